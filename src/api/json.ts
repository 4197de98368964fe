/**
 * JSON as Go's encoding/json Encoder writes it with SetEscapeHTML(false): compact, with a
 * trailing newline, U+2028 and U+2029 escaped.
 */
export function goJson(v: unknown): string {
  return escapeSeparators(JSON.stringify(v) ?? 'null') + '\n';
}

function escapeSeparators(s: string): string {
  return /[\u2028\u2029]/.test(s) ? s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : s;
}
