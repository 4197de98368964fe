// How template functions are described to the executor.

import { GO_FUNC, isGoFunc, type GoFunc, type ParamType } from '../values.js';

/** A template function: a GoFunc (typed like a Go func) or a plain JS function (variadic interface{}). */
export type TemplateFunc = GoFunc | ((...args: never[]) => unknown);
export type FuncMap = Record<string, TemplateFunc>;

export interface FuncSpec {
  params: readonly ParamType[];
  variadic?: ParamType;
  fn: (...args: never[]) => unknown;
  /** Receiver for plain JS methods. */
  self?: unknown;
}

export function toSpec(f: TemplateFunc, self?: unknown): FuncSpec {
  if (isGoFunc(f)) return { params: f.params, variadic: f.variadic, fn: f.fn, self };
  return { params: [], variadic: 'any', fn: f, self };
}

export function isTemplateFunc(v: unknown): v is TemplateFunc {
  return typeof v === 'function' || isGoFunc(v);
}

export function paramTypeName(t: ParamType): string {
  switch (t) {
    case 'any':
      return 'interface {}';
    case 'value':
      return 'reflect.Value';
    case 'string':
      return 'string';
    case 'int':
      return 'int';
    case 'bool':
      return 'bool';
    case 'float':
      return 'float64';
    case 'strings':
      return '[]string';
  }
}

/** Go's canBeNil for the parameter types we model. */
export function canBeNil(t: ParamType): boolean {
  return t === 'any' || t === 'value' || t === 'strings';
}

export { GO_FUNC };
