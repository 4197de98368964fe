// One line of CSV, split into fields like go-csvvalue (used by BuildKit for --mount and --device):
// RFC 4180 quoting, strict about stray quotes, a trailing newline tolerated.

export class CSVParseError extends Error {}

function parseError(orig: string, offset: number, bareQuote: boolean): CSVParseError {
  const column = Buffer.byteLength(orig.slice(0, offset), 'utf8') + 1;
  const what = bareQuote ? 'bare " in non-quoted-field' : 'extraneous or missing " in quoted-field';
  return new CSVParseError(`parse error on line 1, column ${column}: ${what}`);
}

export function csvFields(input: string): string[] {
  let line = input;
  if (line.endsWith('\r\n')) line = line.slice(0, -2);
  else if (line.endsWith('\n')) line = line.slice(0, -1);
  if (line.length === 0) throw new CSVParseError('EOF');
  const orig = line;
  const at = () => orig.length - line.length;
  const fields: string[] = [];
  for (;;) {
    if (line.length === 0 || line[0] !== '"') {
      const i = line.indexOf(',');
      const field = i >= 0 ? line.slice(0, i) : line;
      const q = field.indexOf('"');
      if (q >= 0) throw parseError(orig, at() + q, true);
      fields.push(field);
      if (i < 0) return fields;
      line = line.slice(i + 1);
      continue;
    }
    line = line.slice(1);
    let field = '';
    for (;;) {
      const i = line.indexOf('"');
      if (i < 0) throw parseError(orig, at(), false);
      field += line.slice(0, i);
      line = line.slice(i + 1);
      if (line[0] === '"') {
        field += '"';
        line = line.slice(1);
        continue;
      }
      if (line[0] === ',') {
        fields.push(field);
        line = line.slice(1);
        break;
      }
      if (line.length === 0) {
        fields.push(field);
        return fields;
      }
      throw parseError(orig, at() - 1, false);
    }
  }
}
