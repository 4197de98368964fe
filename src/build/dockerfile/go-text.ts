// String primitives with the semantics of Go's standard library (unicode.IsSpace,
// strings.TrimSpace, strconv.Quote, ...). BuildKit's Dockerfile frontend is written in Go;
// matching its output byte for byte needs these exact definitions, which differ from
// JavaScript's own (`\s` includes U+FEFF but not U+0085, toUpperCase('ß') is 'SS', ...).

/** unicode.IsSpace */
export function isSpace(ch: string): boolean {
  switch (ch) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
  }
  return ch >= '\u2000' && ch <= '\u200a' && ch.length === 1;
}

/** unicode.IsSpace applied to a single byte taken as a rune, as BuildKit does in a few byte loops. */
export function isSpaceByte(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0x85 || code === 0xa0;
}

/** strings.TrimLeftFunc(s, unicode.IsSpace) */
export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i])) i++;
  return s.slice(i);
}

/** strings.TrimRightFunc(s, unicode.IsSpace) */
export function trimRightSpace(s: string): string {
  let j = s.length;
  while (j > 0 && isSpace(s[j - 1])) j--;
  return s.slice(0, j);
}

/** strings.TrimSpace */
export function trimSpace(s: string): string {
  return trimRightSpace(trimLeftSpace(s));
}

const letterRe = /^\p{L}$/u;
const digitRe = /^\p{Nd}$/u;
const printRe = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** unicode.IsLetter */
export function isLetter(ch: string): boolean {
  return letterRe.test(ch);
}

/** unicode.IsDigit */
export function isDigit(ch: string): boolean {
  return digitRe.test(ch);
}

function mapRunes(s: string, fn: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const mapped = fn(ch);
    // Go maps rune by rune with simple case mappings; a mapping that expands is not simple.
    out += [...mapped].length === 1 ? mapped : ch;
  }
  return out;
}

/** strings.ToLower */
export function toLower(s: string): string {
  return /^[\x00-\x7f]*$/.test(s) ? s.toLowerCase() : mapRunes(s, (c) => c.toLowerCase());
}

/** strings.ToUpper */
export function toUpper(s: string): string {
  return /^[\x00-\x7f]*$/.test(s) ? s.toUpperCase() : mapRunes(s, (c) => c.toUpperCase());
}

/** strings.EqualFold (close enough: per-rune lower-case comparison) */
export function equalFold(a: string, b: string): boolean {
  return toLower(a) === toLower(b);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** strconv.Quote */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    let cp = ch.codePointAt(0) as number;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate cannot come from UTF-8
    const c = String.fromCodePoint(cp);
    if (c === '"' || c === '\\') {
      out += '\\' + c;
    } else if (c === ' ' || printRe.test(c)) {
      out += c;
    } else {
      switch (c) {
        case '\x07':
          out += '\\a';
          break;
        case '\b':
          out += '\\b';
          break;
        case '\f':
          out += '\\f';
          break;
        case '\n':
          out += '\\n';
          break;
        case '\r':
          out += '\\r';
          break;
        case '\t':
          out += '\\t';
          break;
        case '\v':
          out += '\\v';
          break;
        default:
          if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
          else if (cp < 0x10000) out += '\\u' + hex(cp, 4);
          else out += '\\U' + hex(cp, 8);
      }
    }
  }
  return out + '"';
}

/** fmt.Sprintf("%q", []string{...}) */
export function quoteList(list: readonly string[]): string {
  return '[' + list.map(quote).join(' ') + ']';
}

/** Compares strings by code point, which is Go's (UTF-8 byte-wise) string order. */
export function compareStrings(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (d !== 0) return d;
  }
}

/**
 * The UTF-8 bytes of s, one char per byte (latin1). Lets byte-oriented Go loops that write
 * each byte back as a rune be reproduced exactly: the resulting chars are the runes Go writes.
 */
export function utf8Bytes(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** Inverse of utf8Bytes for a slice of the original bytes. */
export function fromUtf8Bytes(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Go's regexp.Split(s, n) for a pattern that never matches the empty string. */
export function regexpSplit(s: string, re: RegExp, n: number): string[] {
  if (n === 0) return [];
  if (s === '') return [''];
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  let count = 0;
  for (const m of s.matchAll(global)) {
    if (n > 0 && count >= n) break;
    count++;
    if (n > 0 && out.length === n - 1) break;
    end = m.index as number;
    const mEnd = end + m[0].length;
    if (mEnd !== 0) out.push(s.slice(beg, end));
    beg = mEnd;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}
