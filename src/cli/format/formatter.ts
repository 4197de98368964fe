// docker/cli's formatter.Context: renders rows through a --format value ("table ...", "json",
// a Go template, or the command's default table) exactly as `docker images`, `docker history`
// and friends print them.

import { marshal } from './gojson.js';
import { eastAsianWidth } from './runewidth.js';
import { dockerTableWriter } from './tabwriter.js';
import { dockerFuncs, dockerHeaderFuncs } from './template/docker-funcs.js';
import { Template } from './template/template.js';
import { ExecError } from './template/exec.js';
import { GO_MARSHAL_JSON, GO_TYPE, goMap, isGoFunc } from './values.js';

export const TableFormatKey = 'table';
export const RawFormatKey = 'raw';
export const JSONFormatKey = 'json';
export const DefaultQuietFormat = '{{.ID}}';
export const JSONFormat = '{{json .}}';

/** An error docker prints as is ("template parsing error: ..."). */
export class FormatError extends Error {
  override name = 'FormatError';
}

export interface FormatSelection {
  /** The --format value; empty or undefined means "table". */
  format?: string;
  /** The command's default table format, e.g. "table {{.Repository}}\t{{.Tag}}\t..."; omit when `format` is already resolved. */
  defaultTableFormat?: string;
  /** -q/--quiet: only applies when the format is "table" (docker ignores it for custom formats). */
  quiet?: boolean;
  /** Format used with quiet; docker's default is {{.ID}}. */
  quietFormat?: string;
  /** The command's "raw" format (and its quiet variant), if it has one. */
  rawFormat?: string;
  rawQuietFormat?: string;
}

/** Chooses the effective format the way the New<X>Format functions of docker/cli do. */
export function resolveFormat(sel: FormatSelection): string {
  const source = sel.format === undefined || sel.format === '' ? TableFormatKey : sel.format;
  if (source === TableFormatKey) return sel.quiet ? (sel.quietFormat ?? DefaultQuietFormat) : (sel.defaultTableFormat ?? TableFormatKey);
  if (source === RawFormatKey && sel.rawFormat !== undefined) {
    return sel.quiet ? (sel.rawQuietFormat ?? sel.rawFormat) : sel.rawFormat;
  }
  return source;
}

export function isTableFormat(format: string): boolean {
  return format.startsWith(TableFormatKey);
}

/** Context.preFormat: strips "table", maps "json", trims spaces, expands \t and \n escapes. */
export function preFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice(TableFormatKey.length);
  else if (f === JSONFormatKey) f = JSONFormat;
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/** Parses a format the way docker's templates.Parse does (with docker's functions). */
export function parseDockerTemplate(format: string): Template {
  try {
    return Template.create('', dockerFuncs).parse(format);
  } catch (e) {
    throw new FormatError(`template parsing error: ${(e as Error).message}`);
  }
}

export interface RenderOptions extends FormatSelection {
  /** Column titles by field name, e.g. { ID: 'IMAGE ID', Repository: 'REPOSITORY' } (a SubHeaderContext). */
  headers: Record<string, string>;
  /** Rows as plain objects with Docker's field names; function-valued properties act as methods. */
  rows: Iterable<object>;
  /** Go type of a row in error messages, e.g. "*formatter.imageContext". */
  rowType?: string;
}

// docker's marshalMap: every exported (upper-case) method without arguments, called.
function rowValues(row: object): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (!/^\p{Lu}/u.test(k)) continue;
    if (typeof v === 'function') {
      if (v.length === 0) values[k] = (v as () => unknown).call(row);
    } else if (isGoFunc(v)) {
      if (v.params.length === 0 && v.variadic === undefined) values[k] = (v.fn as () => unknown)();
    } else if (v !== undefined) values[k] = v;
  }
  return values;
}

// Shared by all rows of one type, so wrapping a row is a plain copy of its fields.
function contextPrototype(rowType: string): object {
  const proto = {};
  Object.defineProperty(proto, GO_TYPE, { value: rowType });
  Object.defineProperty(proto, GO_MARSHAL_JSON, {
    value: function (this: object): string {
      return marshal(goMap(rowValues(this)));
    },
  });
  return proto;
}

const DEFAULT_ROW_TYPE = '*formatter.context';

/**
 * Wraps a row as docker's sub-contexts behave: `{{json .}}` marshals every field (methods
 * called) as a map with sorted keys and HTML escaping; errors name the row's Go type.
 */
export function formatterContext<T extends object>(row: T, rowType = DEFAULT_ROW_TYPE, proto = contextPrototype(rowType)): T {
  return Object.assign(Object.create(proto) as T, plainFields(row));
}

// Class instances keep getters and methods on their prototypes; copy them as fields/methods.
function plainFields(row: object): object {
  const proto: unknown = Object.getPrototypeOf(row);
  if (proto === Object.prototype || proto === null) return row;
  const out: Record<string, unknown> = {};
  for (let p = proto as object | null; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const [name, desc] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (name === 'constructor' || name in out) continue;
      if (desc.get) out[name] = (row as Record<string, unknown>)[name];
      else if (typeof desc.value === 'function') out[name] = (desc.value as (...a: unknown[]) => unknown).bind(row);
    }
  }
  return Object.assign(out, row);
}

function execError(e: unknown): FormatError {
  if (e instanceof ExecError) return new FormatError(`template parsing error: ${e.message}`);
  return e as FormatError;
}

/**
 * Renders rows like docker/cli's formatter.Context.Write: one template execution per row, each
 * followed by a newline; table formats get a header row (the template run over the headers with
 * docker's header functions) and are aligned with tabwriter(10, 1, 3, ' ', 0).
 * Nothing is returned on error: docker prints nothing but the error either.
 */
export function renderFormatted(opts: RenderOptions): string {
  const format = resolveFormat(opts);
  const tmpl = parseDockerTemplate(preFormat(format));
  let body = '';
  const rowType = opts.rowType ?? DEFAULT_ROW_TYPE;
  const proto = contextPrototype(rowType);
  for (const row of opts.rows) {
    try {
      body += tmpl.execute(formatterContext(row, rowType, proto)) + '\n';
    } catch (e) {
      throw execError(e);
    }
  }
  if (!isTableFormat(format)) return body;
  let header: string;
  try {
    header = tmpl.funcs(dockerHeaderFuncs).execute(goMap({ ...opts.headers }, 'formatter.SubHeaderContext'));
  } catch (e) {
    // docker ignores header errors but keeps what was written before them.
    header = e instanceof ExecError ? e.output : '';
  }
  const tw = dockerTableWriter();
  tw.write(header);
  tw.write('\n');
  tw.write(body);
  return tw.flush();
}

/**
 * docker's formatter.Ellipsis: truncates to a display width, ending in "…"
 * (East Asian wide characters count two).
 */
export function ellipsis(s: string, maxDisplayWidth: number): string {
  if (maxDisplayWidth <= 0) return '';
  const runes = [...s];
  if (maxDisplayWidth === 1) return runes[0] ?? '';
  if (Buffer.byteLength(s) === runes.length) {
    return runes.length <= maxDisplayWidth ? s : runes.slice(0, maxDisplayWidth - 1).join('') + '…';
  }
  const widths = runes.map((r) => eastAsianWidth(r.codePointAt(0)!));
  let total = 0;
  const display = widths.map((w) => (total += w));
  if (total <= maxDisplayWidth) return s;
  for (let i = 0; i < display.length; i++) {
    if (display[i] <= maxDisplayWidth - 1 && display[i + 1] > maxDisplayWidth - 1) return runes.slice(0, i + 1).join('') + '…';
  }
  return s;
}

/** stringid.TruncateID: drops an algorithm prefix and keeps 12 characters. */
export function truncateID(id: string): string {
  const i = id.indexOf(':');
  if (i >= 0) id = id.slice(i + 1);
  return id.length > 12 ? id.slice(0, 12) : id;
}
