/**
 * Tar names, link targets and PAX values are byte strings that are usually, but not always,
 * UTF-8. We decode them to JS strings losslessly: valid UTF-8 decodes normally and every byte
 * of an invalid sequence becomes a lone surrogate U+DC80..U+DCFF (Python's "surrogateescape"),
 * which encodeRaw turns back into the original byte. Round trips are therefore byte-exact.
 */

const ESCAPE_BASE = 0xdc00;

export function decodeRaw(buf: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (ascii) return b.toString('latin1');
  const s = b.toString('utf8');
  if (!s.includes('\ufffd')) return s;
  return decodeSlow(buf);
}

function decodeSlow(buf: Uint8Array): string {
  const out: number[] = [];
  let i = 0;
  while (i < buf.length) {
    const b0 = buf[i]!;
    if (b0 < 0x80) {
      out.push(b0);
      i++;
      continue;
    }
    const cp = decodeSequence(buf, i);
    if (cp === undefined) {
      out.push(ESCAPE_BASE + b0);
      i++;
      continue;
    }
    const [code, len] = cp;
    if (code > 0xffff) {
      const c = code - 0x10000;
      out.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
    } else {
      out.push(code);
    }
    i += len;
  }
  let s = '';
  for (let j = 0; j < out.length; j += 8192) s += String.fromCharCode(...out.slice(j, j + 8192));
  return s;
}

/** Strict UTF-8 (no overlongs, no surrogates, max U+10FFFF); undefined if invalid at i. */
function decodeSequence(buf: Uint8Array, i: number): [number, number] | undefined {
  const b0 = buf[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf): number | undefined => {
    const b = buf[i + k];
    return b !== undefined && b >= lo && b <= hi ? b & 0x3f : undefined;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 === undefined ? undefined : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 === undefined ? undefined : cont(2);
    return c1 === undefined || c2 === undefined ? undefined : [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 === undefined ? undefined : cont(2);
    const c3 = c2 === undefined ? undefined : cont(3);
    if (c1 === undefined || c2 === undefined || c3 === undefined) return undefined;
    return [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return undefined;
}

const ESCAPED_BYTE = /[\udc80-\udcff]/;

export function encodeRaw(s: string): Buffer {
  if (!ESCAPED_BYTE.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) i++; // a proper pair, encoded by the utf8 run
      continue;
    }
    if (c >= 0xdc80 && c <= 0xdcff) {
      if (i > start) parts.push(Buffer.from(s.slice(start, i), 'utf8'));
      parts.push(Buffer.from([c - ESCAPE_BASE]));
      start = i + 1;
    }
  }
  if (start < s.length) parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

export function rawByteLength(s: string): number {
  return ESCAPED_BYTE.test(s) ? encodeRaw(s).length : Buffer.byteLength(s, 'utf8');
}

/** Go's isASCII: no byte >= 0x80 and no NUL. */
export function isAsciiNoNul(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0) return false;
  }
  return true;
}

/** Go's toASCII: drops every non-ASCII character (and NUL). */
export function toAscii(s: string): string {
  if (isAsciiNoNul(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80 && c !== 0) out += s[i];
  }
  return out;
}

/** Byte-wise comparison of the raw encodings, the order Go's sort.Strings gives. */
export function compareRaw(a: string, b: string): number {
  if (isAsciiNoNul(a) && isAsciiNoNul(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(encodeRaw(a), encodeRaw(b));
}
