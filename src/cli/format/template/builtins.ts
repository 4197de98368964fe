// Go text/template's predefined functions.

import { sprint, sprintf, sprintln } from '../gofmt.js';
import {
  compareGoStrings,
  floatValue,
  goFunc,
  goTypeName,
  intValue,
  isGoFunc,
  kindOf,
  mapEntries,
  stringValue,
  structFields,
  utf8Length,
  type GoFunc,
  type Kind,
} from '../values.js';
import { mapIndex, mapZero, truth } from './exec.js';
import { paramTypeName, toSpec } from './funcspec.js';

type V = unknown;

// A nil interface{} handed to a reflect.Value parameter is dug into, leaving the invalid value.
function indirectInterface(v: V): V {
  return v === null ? undefined : v;
}

function typeOf(v: V): string {
  return v === null ? 'interface {}' : goTypeName(v);
}

function zeroValuePanic(): never {
  throw new Error('reflect: call of reflect.Value.Type on zero Value');
}

function length(item: V): number {
  const k = kindOf(item);
  switch (k) {
    case 'nil':
    case 'nilptr':
      throw new Error('len of nil pointer');
    case 'invalid':
      zeroValuePanic();
    // falls through: never returns
    case 'string':
      return utf8Length(stringValue(item));
    case 'slice':
      return (item as V[]).length;
    case 'map':
      return mapEntries(item).length;
    case 'nilslice':
    case 'nilmap':
      return 0;
  }
  throw new Error(`len of type ${typeOf(item)}`);
}

function indexArg(index: V, cap: number): number {
  const k = kindOf(index);
  if (k === 'int') {
    const x = intValue(index);
    if (x < 0n || x > BigInt(cap)) throw new Error(`index out of range: ${x}`);
    return Number(x);
  }
  if (k === 'invalid' || k === 'nil') throw new Error('cannot index slice/array with nil');
  throw new Error(`cannot index slice/array with type ${typeOf(index)}`);
}

function index(item: V, ...indexes: V[]): V {
  item = indirectInterface(item);
  if (item === undefined) throw new Error('index of untyped nil');
  for (let idx of indexes) {
    idx = indirectInterface(idx);
    const k = kindOf(item);
    if (k === 'nilptr') throw new Error('index of nil pointer');
    if (k === 'slice' || k === 'nilslice') {
      const arr = k === 'slice' ? (item as V[]) : [];
      const x = indexArg(idx, arr.length);
      if (x >= arr.length) throw new Error('reflect: slice index out of range');
      item = arr[x];
    } else if (k === 'string') {
      const bytes = Buffer.from(stringValue(item), 'utf8');
      const x = indexArg(idx, bytes.length);
      if (x >= bytes.length) throw new Error('reflect: string index out of range');
      item = bytes[x];
    } else if (k === 'map' || k === 'nilmap') {
      const ik = kindOf(idx);
      if (ik === 'invalid') throw new Error('value is nil; should be of type string');
      let found: V;
      if (item instanceof Map) found = item.get(ik === 'int' ? Number(intValue(idx)) : idx);
      else {
        if (typeof idx !== 'string') throw new Error(`value has type ${typeOf(idx)}; should be string`);
        found = mapIndex(item, idx);
      }
      item = found === undefined ? mapZero(item) : found;
    } else {
      throw new Error(`can't index item of type ${typeOf(item)}`);
    }
  }
  return item;
}

function slice(item: V, ...indexes: V[]): V {
  item = indirectInterface(item);
  if (item === undefined) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  let bytes: Buffer | undefined;
  if (k === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    bytes = Buffer.from(stringValue(item), 'utf8');
    len = bytes.length;
  } else if (k === 'slice') len = (item as V[]).length;
  else if (k === 'nilslice') len = 0;
  else throw new Error(`can't slice item of type ${typeOf(item)}`);
  const idx = [0, len, len];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix, len);
  });
  if (idx[0] > idx[1]) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (bytes) return bytes.subarray(idx[0], idx[1]).toString('utf8');
  if (k === 'nilslice') return item;
  return (item as V[]).slice(idx[0], idx[1]);
}

// ---- comparison ----

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: V): BasicKind {
  const k: Kind = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : 'invalid';
}

function isNilValue(v: V): boolean {
  const k = kindOf(v);
  return k === 'invalid' || k === 'nil' || k === 'nilslice' || k === 'nilmap' || k === 'nilptr' || k === 'nilfunc';
}

// Go compares kinds, not types: nil kinds compare with the kind they are a nil of.
function reflectKind(v: V): string {
  const k = kindOf(v);
  switch (k) {
    case 'nilslice':
      return 'slice';
    case 'nilmap':
      return 'map';
    case 'nilptr':
      return 'ptr';
    case 'nilfunc':
      return 'func';
    case 'nil':
      return 'interface';
  }
  return k;
}

function comparable(v: V): boolean {
  const k = kindOf(v);
  if (k === 'slice' || k === 'map' || k === 'func') return false;
  if (k === 'struct') return structFields(v as object).every(([, f]) => comparable(f));
  return true;
}

function deepEqualComparable(a: V, b: V): boolean {
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  switch (ka) {
    case 'int':
      return intValue(a) === intValue(b);
    case 'float':
      return floatValue(a) === floatValue(b);
    case 'string':
      return stringValue(a) === stringValue(b);
    case 'struct': {
      if (goTypeName(a) !== goTypeName(b)) return false;
      const fa = structFields(a as object);
      const fb = structFields(b as object);
      return fa.length === fb.length && fa.every(([n, x], i) => fb[i][0] === n && deepEqualComparable(x, fb[i][1]));
    }
  }
  return a === b;
}

function eq(arg1: V, ...arg2: V[]): boolean {
  arg1 = indirectInterface(arg1);
  if (arg2.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (let arg of arg2) {
    arg = indirectInterface(arg);
    const k2 = basicKind(arg);
    let result = false;
    if (k1 !== k2) {
      if (arg1 !== undefined && arg !== undefined) {
        throw new Error(`incompatible types for comparison: ${typeOf(arg1)} and ${typeOf(arg)}`);
      }
    } else {
      switch (k1) {
        case 'bool':
          result = arg1 === arg;
          break;
        case 'float':
          result = floatValue(arg1) === floatValue(arg);
          break;
        case 'int':
          result = intValue(arg1) === intValue(arg);
          break;
        case 'string':
          result = stringValue(arg1) === stringValue(arg);
          break;
        default: {
          const r1 = reflectKind(arg1);
          const r2 = reflectKind(arg);
          if (r1 !== r2 && arg1 !== undefined && arg !== undefined) {
            throw new Error(sprintf('non-comparable types %s: %v, %s: %v', sprint(arg1), typeOf(arg1), typeOf(arg), arg));
          }
          if (isNilValue(arg1) || isNilValue(arg)) result = isNilValue(arg) === isNilValue(arg1);
          else {
            if (!comparable(arg)) throw new Error(`non-comparable type ${sprint(arg)}: ${typeOf(arg)}`);
            result = deepEqualComparable(arg1, arg);
          }
        }
      }
    }
    if (result) return true;
  }
  return false;
}

function lt(arg1: V, arg2: V): boolean {
  arg1 = indirectInterface(arg1);
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') throw new Error('invalid type for comparison');
  arg2 = indirectInterface(arg2);
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error(`incompatible types for comparison: ${typeOf(arg1)} and ${typeOf(arg2)}`);
  switch (k1) {
    case 'bool':
      throw new Error('invalid type for comparison');
    case 'float':
      return floatValue(arg1) < floatValue(arg2);
    case 'int':
      return intValue(arg1) < intValue(arg2);
    default:
      return compareGoStrings(stringValue(arg1), stringValue(arg2)) < 0;
  }
}

function le(a: V, b: V): boolean {
  return lt(a, b) || eq(a, b);
}

// ---- escaping ----

/** The text of a function's arguments, as Go's evalArgs produces it for html/js/urlquery. */
function evalArgs(args: V[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  // A nil argument is printed the way a template action prints it.
  return sprint(...args.map((a) => (a === null || a === undefined ? '<no value>' : a)));
}

export function htmlEscapeString(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => {
    switch (c) {
      case '\0':
        return '\uFFFD';
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      default:
        return '&gt;';
    }
  });
}

export function jsEscapeString(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp < 0x80 || /[\p{L}\p{M}\p{N}\p{P}\p{S}\u0020]/u.test(ch)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** url.QueryEscape. */
export function urlQueryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// ---- call ----

function call(name: string, fn: V, ...args: V[]): V {
  fn = indirectInterface(fn);
  if (fn === undefined) throw new Error('call of nil');
  if (typeof fn !== 'function' && !isGoFunc(fn)) throw new Error(`non-function ${name} of type ${typeOf(fn)}`);
  const spec = toSpec(fn as GoFunc);
  const numIn = spec.params.length;
  if (spec.variadic !== undefined) {
    if (args.length < numIn) throw new Error(`wrong number of args for ${name}: got ${args.length} want at least ${numIn}`);
  } else if (args.length !== numIn) {
    throw new Error(`wrong number of args for ${name}: got ${args.length} want ${numIn}`);
  }
  const argv = args.map((a, i) => {
    a = indirectInterface(a);
    const t = i < numIn ? spec.params[i] : spec.variadic!;
    if (t === 'any' || t === 'value') return t === 'any' && a === undefined ? null : a;
    if (a === undefined) throw new Error(`arg ${i}: value is nil; should be of type ${paramTypeName(t)}`);
    const k = kindOf(a);
    const ok =
      (t === 'string' && typeof a === 'string') ||
      (t === 'int' && k === 'int') ||
      (t === 'bool' && k === 'bool') ||
      (t === 'float' && k === 'float') ||
      (t === 'strings' && (k === 'nilslice' || (k === 'slice' && (a as V[]).every((x) => typeof x === 'string'))));
    if (!ok) throw new Error(`arg ${i}: value has type ${typeOf(a)}; should be ${paramTypeName(t)}`);
    return a;
  });
  return (spec.fn as (...a: V[]) => V)(...argv);
}

function unreachable(): never {
  throw new Error('unreachable');
}

/** The predefined functions every template has. */
export const builtinFuncs: Readonly<Record<string, GoFunc>> = {
  and: goFunc(['value'], unreachable, 'value'),
  or: goFunc(['value'], unreachable, 'value'),
  call: goFunc(['value'], (name: string, fn: V, ...args: V[]) => call(name, fn, ...args), 'value'),
  html: goFunc([], (...args: V[]) => htmlEscapeString(evalArgs(args)), 'any'),
  index: goFunc(['value'], index, 'value'),
  slice: goFunc(['value'], slice, 'value'),
  js: goFunc([], (...args: V[]) => jsEscapeString(evalArgs(args)), 'any'),
  len: goFunc(['value'], length),
  not: goFunc(['value'], (v: V) => !truth(v)),
  print: goFunc([], (...args: V[]) => sprint(...args), 'any'),
  printf: goFunc(['string'], (format: string, ...args: V[]) => sprintf(format, ...args), 'any'),
  println: goFunc([], (...args: V[]) => sprintln(...args), 'any'),
  urlquery: goFunc([], (...args: V[]) => urlQueryEscape(evalArgs(args)), 'any'),
  eq: goFunc(['value'], eq, 'value'),
  ge: goFunc(['value', 'value'], (a: V, b: V) => !lt(a, b)),
  gt: goFunc(['value', 'value'], (a: V, b: V) => !le(a, b)),
  le: goFunc(['value', 'value'], le),
  lt: goFunc(['value', 'value'], lt),
  ne: goFunc(['value', 'value'], (a: V, b: V) => !eq(a, b)),
};

