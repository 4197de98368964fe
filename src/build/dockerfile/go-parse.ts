// Number, boolean, duration and size parsers with the acceptance rules and error texts of the
// Go functions BuildKit calls (strconv, time.ParseDuration, go-units RAMInBytes).

import { quote } from './go-text.js';

function numError(fn: string, input: string, what: string): Error {
  return new Error(`strconv.${fn}: parsing ${quote(input)}: ${what}`);
}

/** strconv.ParseBool */
export function parseBool(s: string): boolean {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
  }
  throw numError('ParseBool', s, 'invalid syntax');
}

/** strconv.ParseUint(s, base, bitSize) for an explicit base (no prefixes, no underscores). */
export function parseUint(s: string, base: 8 | 10, bitSize: number, fn = 'ParseUint'): bigint {
  const digits = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!digits.test(s)) throw numError(fn, s, 'invalid syntax');
  const v = BigInt(base === 8 ? '0o' + s : s);
  if (v > (1n << BigInt(bitSize)) - 1n) throw numError(fn, s, 'value out of range');
  return v;
}

/** strconv.ParseInt(s, 10, bitSize) */
export function parseInt10(s: string, bitSize: number): bigint {
  let body = s;
  let neg = false;
  if (body.startsWith('+') || body.startsWith('-')) {
    neg = body[0] === '-';
    body = body.slice(1);
  }
  let v: bigint;
  try {
    v = parseUint(body, 10, 64, 'ParseInt');
  } catch {
    // Go reports an out-of-range magnitude as a range error, anything else as syntax.
    if (/^[0-9]+$/.test(body)) throw numError('ParseInt', s, 'value out of range');
    throw numError('ParseInt', s, 'invalid syntax');
  }
  const limit = 1n << BigInt(bitSize - 1);
  if ((!neg && v >= limit) || (neg && v > limit)) throw numError('ParseInt', s, 'value out of range');
  return neg ? -v : v;
}

// time.ParseDuration's private quote: non-ASCII and control bytes as \x escapes.
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += '\\x' + b.toString(16).padStart(2, '0');
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}

const durationUnits: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  '\u00b5s': 1000n,
  '\u03bcs': 1000n,
  ms: 1000000n,
  s: 1000000000n,
  m: 60n * 1000000000n,
  h: 3600n * 1000000000n,
};

const maxDuration = 1n << 63n;

/** time.ParseDuration; returns nanoseconds. */
export function parseDuration(orig: string): bigint {
  const invalid = () => new Error('time: invalid duration ' + timeQuote(orig));
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let d = 0n;
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    let i = 0;
    let v = 0n;
    while (isDigit(s[i])) {
      if (v > maxDuration / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > maxDuration) throw invalid();
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (isDigit(s[j])) {
        if (!overflow) {
          const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
          if (f > (maxDuration - 1n) / 10n || y > maxDuration) overflow = true;
          else {
            f = y;
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let u = 0;
    while (u < s.length && !(s[u] === '.' || isDigit(s[u]))) u++;
    if (u === 0) throw new Error('time: missing unit in duration ' + timeQuote(orig));
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = durationUnits[unitName];
    if (unit === undefined) {
      throw new Error('time: unknown unit ' + timeQuote(unitName) + ' in duration ' + timeQuote(orig));
    }
    if (v > maxDuration / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > maxDuration) throw invalid();
    }
    d += v;
    if (d > maxDuration) throw invalid();
  }
  if (neg) return -d;
  if (d > maxDuration - 1n) throw invalid();
  return d;
}

// strconv.ParseFloat for the decimal forms that can reach it from RAMInBytes.
function parseFloat64(s: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  throw numError('ParseFloat', s, 'invalid syntax');
}

const binaryUnits: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes (v0.5.0): "64m", "1.5 GiB", "1024" ... */
export function ramInBytes(sizeStr: string): number {
  let sep = -1;
  for (let i = sizeStr.length - 1; i >= 0; i--) {
    if ('01234567890. '.includes(sizeStr[i])) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${sizeStr}'`);
  const num = sizeStr[sep] !== ' ' ? sizeStr.slice(0, sep + 1) : sizeStr.slice(0, sep);
  let sfx = sizeStr.slice(sep + 1);
  let size = parseFloat64(num);
  if (size < 0) throw new Error(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = () => new Error(`invalid suffix: '${sfx}'`);
  if (Buffer.byteLength(sfx) > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = binaryUnits[sfx[0]];
  if (mul === undefined) throw bad();
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size);
}
