// The Go value model used by the template engine, fmt and encoding/json.
//
// Template data is plain JS. This module decides which Go kind each JS value
// stands for:
//   undefined            -> the invalid reflect.Value (what a missing map key yields)
//   null                 -> a nil interface{}
//   boolean / string     -> bool / string
//   integral number      -> int (int64); bigint -> int64
//   non-integral number  -> float64; GoFloat wraps a number that is a float even when integral
//   array                -> slice
//   goMap(obj) / Map     -> map (keys sorted when printed, ranged or marshalled)
//   other objects        -> struct (fields in insertion order; functions are methods)
//   function / GoFunc    -> func
//   GoNil                -> a typed nil (slice, map or pointer)

/** Names the Go type of a struct or map object (used in error messages and %T). */
export const GO_TYPE: unique symbol = Symbol.for('berth.format.goType');
/** Marks a plain object as a Go map rather than a struct. */
export const GO_MAP: unique symbol = Symbol.for('berth.format.goMap');
/** A method returning the object's JSON text, like Go's json.Marshaler. */
export const GO_MARSHAL_JSON: unique symbol = Symbol.for('berth.format.goMarshalJSON');
/** A method returning the object's text for %v and %s, like Go's fmt.Stringer. */
export const GO_STRING: unique symbol = Symbol.for('berth.format.goString');

export class GoFloat {
  constructor(readonly value: number) {}
}

/** A number that encoding/json keeps as literal text (json.Number). */
export class GoJsonNumber {
  constructor(readonly text: string) {}
}

export type NilKind = 'slice' | 'map' | 'pointer' | 'func';

/** A typed nil: prints as [] / map[] / <nil>, marshals as null, has length 0. */
export class GoNil {
  constructor(
    readonly kind: NilKind,
    readonly typeName: string,
  ) {}
}

/** Parameter types of template functions, as far as the engine needs to check them. */
export type ParamType = 'any' | 'value' | 'string' | 'int' | 'bool' | 'float' | 'strings';

export const GO_FUNC: unique symbol = Symbol.for('berth.format.goFunc');

/** A function with declared Go parameter types, so arguments are checked as Go would. */
export interface GoFunc {
  readonly [GO_FUNC]: true;
  readonly params: readonly ParamType[];
  /** Element type of a trailing variadic parameter. */
  readonly variadic?: ParamType;
  readonly fn: (...args: never[]) => unknown;
  /**
   * As an object property: true for a method (`.F` calls it), false for a field of func type
   * (`.F` yields the function, e.g. for `call`). Plain JS function properties are methods.
   */
  readonly method: boolean;
}

/** A typed template function, or a typed method when used as an object property. */
export function goFunc(params: readonly ParamType[], fn: (...args: never[]) => unknown, variadic?: ParamType): GoFunc {
  return { [GO_FUNC]: true, params, variadic, fn, method: true };
}

/** A func-typed field value: `.F` yields it rather than calling it (use with `call`). */
export function goFuncValue(params: readonly ParamType[], fn: (...args: never[]) => unknown, variadic?: ParamType): GoFunc {
  return { [GO_FUNC]: true, params, variadic, fn, method: false };
}

export function isGoFunc(v: unknown): v is GoFunc {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[GO_FUNC] === true;
}

export type GoRecord = Record<string, unknown>;

/** Marks obj as a Go map (sorted keys, missing key -> <no value>). Returns obj. */
export function goMap<T extends object>(obj: T, typeName?: string): T {
  Object.defineProperty(obj, GO_MAP, { value: true, enumerable: false, configurable: true });
  if (typeName !== undefined) setGoType(obj, typeName);
  return obj;
}

/** Names the Go struct type of obj (e.g. "*formatter.imageContext"). Returns obj. */
export function goStruct<T extends object>(obj: T, typeName: string): T {
  return setGoType(obj, typeName);
}

function setGoType<T extends object>(obj: T, typeName: string): T {
  Object.defineProperty(obj, GO_TYPE, { value: typeName, enumerable: false, configurable: true });
  return obj;
}

/** A nil slice of the given type: prints [], marshals as null. */
export function nilSlice(typeName = '[]string'): GoNil {
  return new GoNil('slice', typeName);
}

/** A nil map of the given type: prints map[], marshals as null. */
export function nilMap(typeName = 'map[string]string'): GoNil {
  return new GoNil('map', typeName);
}

/** A nil pointer of the given type: prints <nil>, marshals as null; `.Field` on it is an error. */
export function nilPointer(typeName: string): GoNil {
  return new GoNil('pointer', typeName);
}

export function goFloat(n: number): GoFloat {
  return new GoFloat(n);
}

export type Kind =
  | 'invalid'
  | 'nil'
  | 'bool'
  | 'int'
  | 'float'
  | 'string'
  | 'slice'
  | 'map'
  | 'struct'
  | 'func'
  | 'nilslice'
  | 'nilmap'
  | 'nilptr'
  | 'nilfunc';

export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'undefined':
      return 'invalid';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'function':
      return 'func';
    case 'symbol':
      return 'invalid';
    case 'object':
      break;
  }
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (v instanceof GoFloat) return 'float';
  if (v instanceof GoJsonNumber) return 'string';
  if (v instanceof GoNil) {
    return v.kind === 'slice' ? 'nilslice' : v.kind === 'map' ? 'nilmap' : v.kind === 'func' ? 'nilfunc' : 'nilptr';
  }
  if (v instanceof Map) return 'map';
  if (isGoFunc(v)) return 'func';
  if ((v as Record<symbol, unknown>)[GO_MAP] === true) return 'map';
  return 'struct';
}

/** Integer value of an int-kind value as bigint. */
export function intValue(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  return BigInt(v as number);
}

export function floatValue(v: unknown): number {
  if (v instanceof GoFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  return v as number;
}

export function stringValue(v: unknown): string {
  if (v instanceof GoJsonNumber) return v.text;
  return v as string;
}

/** Entries of a map-kind value, sorted as Go's internal/fmtsort sorts them. */
export function mapEntries(v: unknown): Array<[unknown, unknown]> {
  let entries: Array<[unknown, unknown]>;
  if (v instanceof Map) entries = [...v.entries()];
  else if (v instanceof GoNil) entries = [];
  else entries = Object.entries(v as GoRecord).filter(([, x]) => x !== undefined);
  return entries.sort((a, b) => compareKeys(a[0], b[0]));
}

export function compareKeys(a: unknown, b: unknown): number {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'string' && kb === 'string') return compareGoStrings(stringValue(a), stringValue(b));
  if ((ka === 'int' || ka === 'float') && (kb === 'int' || kb === 'float')) {
    if (ka === 'int' && kb === 'int') {
      const x = intValue(a);
      const y = intValue(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const x = floatValue(a);
    const y = floatValue(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ka === 'bool' && kb === 'bool') return a === b ? 0 : a ? 1 : -1;
  return 0;
}

/** Byte-wise comparison of the UTF-8 encodings, i.e. code point order. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Fields of a struct-kind value in declaration (insertion) order; methods excluded. */
export function structFields(v: object): Array<[string, unknown]> {
  return Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== 'function' && !isGoFunc(x));
}

/** The Go type name of a value, as %T and error messages print it. */
export function goTypeName(v: unknown): string {
  const k = kindOf(v);
  switch (k) {
    case 'invalid':
      return '<invalid reflect.Value>';
    case 'nil':
      return '<nil>';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'string':
      return v instanceof GoJsonNumber ? 'json.Number' : 'string';
    case 'func':
      return 'func';
    case 'nilslice':
    case 'nilmap':
    case 'nilptr':
    case 'nilfunc':
      return (v as GoNil).typeName;
    case 'slice': {
      const named = (v as Record<symbol, unknown>)[GO_TYPE];
      if (typeof named === 'string') return named;
      return '[]' + elementTypeName(v as unknown[]);
    }
    case 'map': {
      const named = (v as Record<symbol, unknown>)[GO_TYPE];
      if (typeof named === 'string') return named;
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as GoRecord);
      const keyType = v instanceof Map ? elementTypeName(entries.map((e) => e[0])) : 'string';
      return `map[${keyType}]${elementTypeName(entries.map((e) => e[1]))}`;
    }
    case 'struct': {
      const named = (v as Record<symbol, unknown>)[GO_TYPE];
      return typeof named === 'string' ? named : 'struct';
    }
  }
}

function elementTypeName(values: unknown[]): string {
  if (values.length === 0) return 'interface {}';
  const first = goTypeName(values[0]);
  if (first === '<nil>' || first === '<invalid reflect.Value>') return 'interface {}';
  for (const x of values) if (goTypeName(x) !== first) return 'interface {}';
  return first;
}

/** Go's template truth: the zero value of any type is false. */
export function isTrue(v: unknown): { truth: boolean; ok: boolean } {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
    case 'nilslice':
    case 'nilmap':
    case 'nilptr':
    case 'nilfunc':
      return { truth: false, ok: true };
    case 'bool':
      return { truth: v as boolean, ok: true };
    case 'int':
      return { truth: intValue(v) !== 0n, ok: true };
    case 'float':
      return { truth: floatValue(v) !== 0, ok: true };
    case 'string':
      return { truth: stringValue(v).length > 0, ok: true };
    case 'slice':
      return { truth: (v as unknown[]).length > 0, ok: true };
    case 'map':
      return { truth: mapEntries(v).length > 0, ok: true };
    case 'struct':
    case 'func':
      return { truth: true, ok: true };
  }
}

/** Length of a string in UTF-8 bytes, as Go's len counts it. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
