// encoding/json compatible output: Marshal, MarshalIndent, Indent and Compact, byte for byte.
//
// Objects marshal as Go structs (fields in insertion order, undefined fields omitted) unless
// marked with goMap() (or being a JS Map), which marshal with sorted keys like Go maps.

import { formatFloat } from './strconv.js';
import {
  GO_MAP,
  GO_MARSHAL_JSON,
  GoJsonNumber,
  compareGoStrings,
  floatValue,
  intValue,
  kindOf,
  stringValue,
  structFields,
} from './values.js';

export class GoJsonError extends Error {
  override name = 'GoJsonError';
}

export interface MarshalOptions {
  /** Escape <, > and & as \u003c, \u003e, \u0026 (json.Marshal does; docker's json template function does not). */
  escapeHTML?: boolean;
}

const HEX = '0123456789abcdef';

const SAFE_HTML = /^[^"\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]*$/;
const SAFE = /^[^"\\\u0000-\u001f\u2028\u2029\ud800-\udfff]*$/;

/** Go's encodeState.string: a JSON string literal with Go's escaping rules. */
export function quoteString(s: string, escapeHTML = true): string {
  if ((escapeHTML ? SAFE_HTML : SAFE).test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && !(escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26))) {
        out += s[i];
        continue;
      }
      switch (c) {
        case 0x5c:
        case 0x22:
          out += '\\' + s[i];
          break;
        case 0x08:
          out += '\\b';
          break;
        case 0x0c:
          out += '\\f';
          break;
        case 0x0a:
          out += '\\n';
          break;
        case 0x0d:
          out += '\\r';
          break;
        case 0x09:
          out += '\\t';
          break;
        default:
          out += '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
      }
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
      } else out += '\\ufffd';
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    if (c === 0x2028 || c === 0x2029) {
      out += '\\u202' + HEX[c & 0xf];
      continue;
    }
    out += s[i];
  }
  return out + '"';
}

/** How encoding/json writes a float64. */
export function formatJsonFloat(f: number): string {
  if (!Number.isFinite(f)) throw new GoJsonError(`json: unsupported value: ${formatFloat(f, 'g', -1)}`);
  const abs = Math.abs(f);
  let fmt: 'f' | 'e' = 'f';
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) fmt = 'e';
  let b = formatFloat(f, fmt, -1);
  if (fmt === 'e') {
    const n = b.length;
    if (n >= 4 && b[n - 4] === 'e' && b[n - 3] === '-' && b[n - 2] === '0') b = b.slice(0, n - 2) + b[n - 1];
  }
  return b;
}

class Encoder {
  private seen = new Set<object>();
  constructor(private readonly escapeHTML: boolean) {}

  encode(v: unknown): string {
    if (v instanceof Date) return quoteString(dateRFC3339Nano(v), this.escapeHTML);
    if (v instanceof Uint8Array) return '"' + Buffer.from(v).toString('base64') + '"';
    if (typeof v === 'object' && v !== null) {
      const m = (v as Record<symbol, unknown>)[GO_MARSHAL_JSON];
      if (typeof m === 'function') return compact(String(m.call(v)), this.escapeHTML);
    }
    switch (kindOf(v)) {
      case 'invalid':
      case 'nil':
      case 'nilslice':
      case 'nilmap':
      case 'nilptr':
      case 'nilfunc':
        return 'null';
      case 'bool':
        return v ? 'true' : 'false';
      case 'int':
        return intValue(v).toString();
      case 'float':
        return formatJsonFloat(floatValue(v));
      case 'string':
        if (v instanceof GoJsonNumber) return v.text === '' ? '0' : v.text;
        return quoteString(stringValue(v), this.escapeHTML);
      case 'func':
        throw new GoJsonError('json: unsupported type: func()');
      case 'slice':
        return this.guard(v as object, () => '[' + (v as unknown[]).map((x) => this.encode(x)).join(',') + ']');
      case 'map':
        return this.guard(v as object, () => this.encodeMap(v));
      case 'struct':
        return this.guard(v as object, () => {
          const parts = structFields(v as object).map(([k, x]) => quoteString(k, this.escapeHTML) + ':' + this.encode(x));
          return '{' + parts.join(',') + '}';
        });
    }
  }

  private encodeMap(v: unknown): string {
    const entries: Array<[string, unknown]> =
      v instanceof Map
        ? [...v.entries()].map(([k, x]) => [typeof k === 'string' ? k : String(k), x])
        : Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort((a, b) => compareGoStrings(a[0], b[0]));
    return '{' + entries.map(([k, x]) => quoteString(k, this.escapeHTML) + ':' + this.encode(x)).join(',') + '}';
  }

  private guard(obj: object, f: () => string): string {
    if (this.seen.has(obj)) throw new GoJsonError('json: unsupported value: encountered a cycle');
    this.seen.add(obj);
    try {
      return f();
    } finally {
      this.seen.delete(obj);
    }
  }
}

function dateRFC3339Nano(d: Date): string {
  return d.toISOString().replace(/\.?0*Z$/, 'Z');
}

/** json.Marshal (HTML escaping on unless opts.escapeHTML is false). */
export function marshal(v: unknown, opts: MarshalOptions = {}): string {
  return new Encoder(opts.escapeHTML ?? true).encode(v);
}

/** json.MarshalIndent. */
export function marshalIndent(v: unknown, prefix: string, indentStr: string, opts: MarshalOptions = {}): string {
  return indent(marshal(v, opts), prefix, indentStr);
}

function isJsonSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** Copies a string literal starting at src[i] (the opening quote); returns the index after it. */
function scanString(src: string, i: number): number {
  let j = i + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') j += 2;
    else if (c === '"') return j + 1;
    else j++;
  }
  throw new GoJsonError('unexpected end of JSON input');
}

/** json.Indent: re-indents JSON text; leading space is dropped, trailing space kept. */
export function indent(src: string, prefix: string, indentStr: string): string {
  let out = '';
  let depth = 0;
  let needIndent = false;
  let i = 0;
  while (i < src.length && isJsonSpace(src[i])) i++;
  let end = src.length;
  while (end > i && isJsonSpace(src[end - 1])) end--;
  const newline = (): void => {
    out += '\n' + prefix + indentStr.repeat(depth);
  };
  while (i < end) {
    const c = src[i];
    if (isJsonSpace(c)) {
      i++;
      continue;
    }
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      newline();
    }
    switch (c) {
      case '"': {
        const j = scanString(src, i);
        out += src.slice(i, j);
        i = j;
        continue;
      }
      case '{':
      case '[':
        needIndent = true;
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        if (needIndent) needIndent = false;
        else {
          depth--;
          newline();
        }
        out += c;
        break;
      default:
        out += c;
    }
    i++;
  }
  if (depth !== 0 || needIndent) throw new GoJsonError('unexpected end of JSON input');
  return out + src.slice(end);
}

/** json.Compact; with escapeHTML it also escapes <, >, &, U+2028 and U+2029 as the Encoder does. */
export function compact(src: string, escapeHTML = false): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"') i = scanString(src, i) - 1;
    else if (isJsonSpace(c)) {
      out += src.slice(start, i);
      start = i + 1;
    }
  }
  out += src.slice(start);
  // <, >, & and U+2028/9 can only occur inside strings once the text is valid JSON.
  if (escapeHTML) out = out.replace(/[<>&\u2028\u2029]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
  return out;
}

/** Parses JSON text into Go-like values: objects as goMap()s, numbers as json.Number (Decoder.UseNumber). */
export function decodeUseNumber(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && isJsonSpace(text[i])) i++;
  };
  const fail = (): never => {
    throw new GoJsonError(i >= text.length ? 'unexpected EOF' : `invalid character ${JSON.stringify(text[i])} looking for beginning of value`);
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      Object.defineProperty(obj, GO_MAP, { value: true, enumerable: false });
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const j = scanString(text, i);
        const key = JSON.parse(text.slice(i, j)) as string;
        i = j;
        ws();
        if (text[i] !== ':') fail();
        i++;
        obj[key] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail();
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail();
      }
    }
    if (c === '"') {
      const j = scanString(text, i);
      const s = JSON.parse(text.slice(i, j)) as string;
      i = j;
      return s;
    }
    const m = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
    if (m![0] === 'true') return true;
    if (m![0] === 'false') return false;
    if (m![0] === 'null') return null;
    return new GoJsonNumber(m![0]);
  };
  const v = value();
  ws();
  if (i < text.length) fail();
  return v;
}
