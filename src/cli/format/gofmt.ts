// Go's fmt package over the value model of values.ts: Sprint, Sprintln, Sprintf.

import { canBackquote, formatFloat, quote, quoteRune, type FloatFormat } from './strconv.js';
import {
  GO_STRING,
  GoNil,
  floatValue,
  goTypeName,
  intValue,
  kindOf,
  mapEntries,
  stringValue,
  structFields,
  type Kind,
} from './values.js';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  width?: number;
  prec?: number;
}

function noFlags(): Flags {
  return { plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false };
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function truncateRunes(s: string, n: number): string {
  if (runeCount(s) <= n) return s;
  return Array.from(s).slice(0, n).join('');
}

class Printer {
  out = '';
  f: Flags = noFlags();

  private pad(s: string): void {
    const w = this.f.width;
    if (w === undefined) {
      this.out += s;
      return;
    }
    const n = w - runeCount(s);
    if (n <= 0) {
      this.out += s;
      return;
    }
    if (this.f.minus) this.out += s + ' '.repeat(n);
    else this.out += (this.f.zero ? '0' : ' ').repeat(n) + s;
  }

  private badVerb(verb: string, arg: unknown): void {
    this.out += '%!' + verb + '(';
    const k = kindOf(arg);
    if (k === 'nil' || k === 'invalid') this.out += '<nil>';
    else {
      this.out += goTypeName(arg) + '=';
      this.printArg(arg, 'v', 0);
    }
    this.out += ')';
  }

  printArg(arg: unknown, verb: string, depth: number): void {
    const k = kindOf(arg);
    if (k === 'nil' || k === 'invalid') {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.fmtString(goTypeName(arg), 's');
      return;
    }
    if (verb === 'p') {
      this.badVerb(verb, arg);
      return;
    }
    const stringer = typeof arg === 'object' ? (arg as Record<symbol, unknown>)[GO_STRING] : undefined;
    if (typeof stringer === 'function' && !this.f.sharpV && 'vsxXq'.includes(verb)) {
      this.fmtString(String(stringer.call(arg)), verb);
      return;
    }
    this.printValue(arg, k, verb, depth);
  }

  private printValue(arg: unknown, k: Kind, verb: string, depth: number): void {
    switch (k) {
      case 'bool':
        if (verb === 't' || verb === 'v') this.pad(arg ? 'true' : 'false');
        else this.badVerb(verb, arg);
        return;
      case 'int':
        this.fmtInteger(intValue(arg), verb, arg);
        return;
      case 'float':
        this.fmtFloatVerb(floatValue(arg), verb, arg);
        return;
      case 'string':
        this.fmtString(stringValue(arg), verb, arg);
        return;
      case 'slice':
      case 'nilslice':
        this.printSlice(k === 'slice' ? (arg as unknown[]) : [], arg, verb, depth);
        return;
      case 'map':
      case 'nilmap':
        this.printMap(arg, verb, depth);
        return;
      case 'struct':
        this.printStruct(arg as object, verb, depth);
        return;
      case 'nilptr':
      case 'nilfunc':
        if (verb === 'v') this.pad(this.f.sharpV ? `(${goTypeName(arg)})(nil)` : '<nil>');
        else this.badVerb(verb, arg);
        return;
      case 'func':
        if (verb === 'v') this.pad('0xc000000000');
        else this.badVerb(verb, arg);
        return;
      default:
        this.pad('<nil>');
    }
  }

  private printElement(v: unknown, verb: string, depth: number): void {
    const k = kindOf(v);
    if (k === 'nil' || k === 'invalid') {
      this.out += this.f.sharpV ? 'interface {}(nil)' : '<nil>';
      return;
    }
    this.printArg(v, verb, depth);
  }

  private printSlice(items: unknown[], arg: unknown, verb: string, depth: number): void {
    if (this.f.sharpV) {
      this.out += goTypeName(arg);
      if (arg instanceof GoNil) {
        this.out += '(nil)';
        return;
      }
      this.out += '{';
      items.forEach((v, i) => {
        if (i > 0) this.out += ', ';
        this.printElement(v, verb, depth + 1);
      });
      this.out += '}';
      return;
    }
    this.out += '[';
    items.forEach((v, i) => {
      if (i > 0) this.out += ' ';
      this.printElement(v, verb, depth + 1);
    });
    this.out += ']';
  }

  private printMap(arg: unknown, verb: string, depth: number): void {
    const entries = mapEntries(arg);
    if (this.f.sharpV) {
      this.out += goTypeName(arg);
      if (arg instanceof GoNil) {
        this.out += '(nil)';
        return;
      }
      this.out += '{';
    } else this.out += 'map[';
    entries.forEach(([key, v], i) => {
      if (i > 0) this.out += this.f.sharpV ? ', ' : ' ';
      this.printElement(key, verb, depth + 1);
      this.out += ':';
      this.printElement(v, verb, depth + 1);
    });
    this.out += this.f.sharpV ? '}' : ']';
  }

  private printStruct(obj: object, verb: string, depth: number): void {
    if (this.f.sharpV) this.out += goTypeName(obj).replace(/^\*/, '');
    this.out += '{';
    structFields(obj).forEach(([name, v], i) => {
      if (i > 0) this.out += this.f.sharpV ? ', ' : ' ';
      if (this.f.plusV || this.f.sharpV) this.out += name + ':';
      this.printElement(v, verb, depth + 1);
    });
    this.out += '}';
  }

  private fmtString(s: string, verb: string, arg: unknown = s): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV) this.pad(quote(s));
        else this.pad(this.f.prec !== undefined ? truncateRunes(s, this.f.prec) : s);
        return;
      case 's':
        this.pad(this.f.prec !== undefined ? truncateRunes(s, this.f.prec) : s);
        return;
      case 'q': {
        const t = this.f.prec !== undefined ? truncateRunes(s, this.f.prec) : s;
        if (this.f.sharp && canBackquote(t)) this.pad('`' + t + '`');
        else this.pad(quote(t, this.f.plus));
        return;
      }
      case 'x':
      case 'X':
        this.pad(this.hexBytes(Buffer.from(s, 'utf8'), verb));
        return;
    }
    this.badVerb(verb, arg);
  }

  private hexBytes(bytes: Buffer, verb: string): string {
    let b = bytes;
    if (this.f.prec !== undefined && this.f.prec < b.length) b = b.subarray(0, this.f.prec);
    const digits = verb === 'X' ? '0123456789ABCDEF' : '0123456789abcdef';
    let s = '';
    for (let i = 0; i < b.length; i++) {
      if (this.f.space && i > 0) s += ' ';
      if (this.f.sharp && (this.f.space || i === 0)) s += verb === 'X' ? '0X' : '0x';
      s += digits[b[i] >> 4] + digits[b[i] & 15];
    }
    return s;
  }

  private fmtInteger(n: bigint, verb: string, arg: unknown): void {
    switch (verb) {
      case 'v':
      case 'd':
        this.fmtIntBase(n, 10, verb, '');
        return;
      case 'b':
        this.fmtIntBase(n, 2, verb, '');
        return;
      case 'o':
        this.fmtIntBase(n, 8, verb, this.f.sharp ? '0' : '');
        return;
      case 'O':
        this.fmtIntBase(n, 8, verb, '0o');
        return;
      case 'x':
        this.fmtIntBase(n, 16, verb, this.f.sharp ? '0x' : '');
        return;
      case 'X':
        this.fmtIntBase(n, 16, verb, this.f.sharp ? '0X' : '');
        return;
      case 'c':
        this.pad(String.fromCodePoint(validRune(n)));
        return;
      case 'q':
        this.pad(quoteRune(validRune(n), this.f.plus));
        return;
      case 'U': {
        const cp = n < 0n ? 0 : Number(n);
        let s = 'U+' + n.toString(16).toUpperCase().padStart(4, '0');
        if (this.f.sharp && cp <= 0x10ffff) s += " '" + String.fromCodePoint(cp) + "'";
        this.pad(s);
        return;
      }
    }
    this.badVerb(verb, arg);
  }

  private fmtIntBase(n: bigint, base: number, verb: string, prefix: string): void {
    const neg = n < 0n;
    let digits = (neg ? -n : n).toString(base);
    if (verb === 'X') digits = digits.toUpperCase();
    const prec = this.f.prec;
    if (prec !== undefined) {
      if (prec === 0 && n === 0n) {
        this.out += ' '.repeat(this.f.width ?? 0);
        return;
      }
      digits = digits.padStart(prec, '0');
    } else if (this.f.zero && !this.f.minus && this.f.width !== undefined) {
      const signLen = neg || this.f.plus || this.f.space ? 1 : 0;
      digits = digits.padStart(this.f.width - signLen, '0');
    }
    if (prefix === '0' && digits.startsWith('0')) prefix = '';
    const sign = neg ? '-' : this.f.plus ? '+' : this.f.space ? ' ' : '';
    const zero = this.f.zero;
    this.f.zero = false;
    this.pad(sign + prefix + digits);
    this.f.zero = zero;
  }

  private fmtFloatVerb(x: number, verb: string, arg: unknown): void {
    switch (verb) {
      case 'v':
        this.fmtFloat(x, 'g', -1);
        return;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
        this.fmtFloat(x, verb, 6);
        return;
      case 'g':
      case 'G':
        this.fmtFloat(x, verb, -1);
        return;
    }
    this.badVerb(verb, arg);
  }

  private fmtFloat(x: number, verb: FloatFormat, defaultPrec: number): void {
    const prec = this.f.prec ?? defaultPrec;
    let num = formatFloat(x, verb, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (this.f.space && num[0] === '+' && !this.f.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      if (num[1] === 'N' && !this.f.space && !this.f.plus) num = num.slice(1);
      const zero = this.f.zero;
      this.f.zero = false;
      this.pad(num);
      this.f.zero = zero;
      return;
    }
    if (this.f.plus || num[0] !== '+') {
      if (this.f.zero && !this.f.minus && this.f.width !== undefined && this.f.width > num.length) {
        this.out += num[0] + '0'.repeat(this.f.width - num.length) + num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }
}

function validRune(n: bigint): number {
  if (n < 0n || n > 0x10ffffn) return 0xfffd;
  const cp = Number(n);
  return cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
}

function isStringArg(v: unknown): boolean {
  return kindOf(v) === 'string';
}

/** fmt.Sprint: operands formatted with %v, a space between operands when neither is a string. */
export function sprint(...args: unknown[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = isStringArg(arg);
    if (i > 0 && !isString && !prevString) p.out += ' ';
    p.f = noFlags();
    p.printArg(arg, 'v', 0);
    prevString = isString;
  });
  return p.out;
}

/** fmt.Sprintln: operands separated by spaces, newline appended. */
export function sprintln(...args: unknown[]): string {
  const p = new Printer();
  args.forEach((arg, i) => {
    if (i > 0) p.out += ' ';
    p.f = noFlags();
    p.printArg(arg, 'v', 0);
  });
  return p.out + '\n';
}

/** The %v text of one value (what a template action prints). */
export function formatValue(v: unknown): string {
  return sprint(v);
}

function parseNum(s: string, i: number): { n: number | undefined; i: number } {
  let j = i;
  while (j < s.length && s[j] >= '0' && s[j] <= '9') j++;
  if (j === i) return { n: undefined, i };
  return { n: Number(s.slice(i, j)), i: j };
}

/** fmt.Sprintf with Go's verbs, flags, width, precision, argument indexes and error markers. */
export function sprintf(format: string, ...args: unknown[]): string {
  const p = new Printer();
  let argNum = 0;
  let reordered = false;
  let goodArgNum: boolean;
  let i = 0;
  const end = format.length;

  const argIndex = (): void => {
    if (i >= end || format[i] !== '[') return;
    reordered = true;
    const close = format.indexOf(']', i + 1);
    if (close < 0) {
      goodArgNum = false;
      return;
    }
    const idx = Number(format.slice(i + 1, close));
    if (!/^\d+$/.test(format.slice(i + 1, close)) || idx < 1 || idx > args.length) {
      goodArgNum = false;
      i = close + 1;
      return;
    }
    argNum = idx - 1;
    i = close + 1;
  };

  const intArg = (): number | undefined => {
    if (argNum >= args.length) return undefined;
    const a = args[argNum++];
    if (kindOf(a) !== 'int') return undefined;
    const n = Number(intValue(a));
    return Math.abs(n) > 1e6 ? undefined : n;
  };

  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      p.out += format.slice(i);
      break;
    }
    p.out += format.slice(i, pct);
    i = pct + 1;
    p.f = noFlags();
    goodArgNum = true;

    flags: while (i < end) {
      switch (format[i]) {
        case '#':
          p.f.sharp = true;
          break;
        case '0':
          p.f.zero = !p.f.minus;
          break;
        case '+':
          p.f.plus = true;
          break;
        case '-':
          p.f.minus = true;
          p.f.zero = false;
          break;
        case ' ':
          p.f.space = true;
          break;
        default:
          break flags;
      }
      i++;
    }

    argIndex();
    if (i < end && format[i] === '*') {
      i++;
      const w = intArg();
      if (w === undefined) p.out += '%!(BADWIDTH)';
      else if (w < 0) {
        p.f.minus = true;
        p.f.zero = false;
        p.f.width = -w;
      } else p.f.width = w;
    } else {
      const r = parseNum(format, i);
      if (r.n !== undefined) {
        p.f.width = r.n;
        i = r.i;
      }
    }

    if (i + 1 <= end && format[i] === '.') {
      i++;
      argIndex();
      if (i < end && format[i] === '*') {
        i++;
        const pr = intArg();
        if (pr === undefined || pr < 0) {
          if (pr === undefined) p.out += '%!(BADPREC)';
        } else p.f.prec = pr;
      } else {
        const r = parseNum(format, i);
        p.f.prec = r.n ?? 0;
        i = r.i;
      }
    }

    argIndex();
    if (i >= end) {
      p.out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;

    if (verb === '%') {
      p.out += '%';
      continue;
    }
    if (!goodArgNum) {
      p.out += '%!' + verb + '(BADINDEX)';
      continue;
    }
    if (argNum >= args.length) {
      p.out += '%!' + verb + '(MISSING)';
      continue;
    }
    let v = verb;
    if (v === 'w') v = 'v';
    if (v === 'v') {
      if (p.f.sharp) {
        p.f.sharp = false;
        p.f.sharpV = true;
      }
      if (p.f.plus) {
        p.f.plus = false;
        p.f.plusV = true;
      }
    }
    p.printArg(args[argNum++], v, 0);
  }

  if (!reordered && argNum < args.length) {
    p.f = noFlags();
    p.out += '%!(EXTRA ';
    args.slice(argNum).forEach((a, idx) => {
      if (idx > 0) p.out += ', ';
      const k = kindOf(a);
      if (k === 'nil' || k === 'invalid') p.out += '<nil>';
      else {
        p.out += goTypeName(a) + '=';
        p.printArg(a, 'v', 0);
      }
    });
    p.out += ')';
  }
  return p.out;
}
