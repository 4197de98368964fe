// Everything berth's CLI needs to print exactly as the Docker CLI prints: Go templates,
// Go's fmt and encoding/json, text/tabwriter, docker/cli's formatter and inspect output,
// docker/go-units and Go's time formatting.

import * as goJson from './gojson.js';
import { dockerFuncs } from './template/docker-funcs.js';
import type { FuncMap } from './template/funcspec.js';
import { Template } from './template/template.js';

export { Template } from './template/template.js';
export { ExecError } from './template/exec.js';
export { TemplateError } from './template/parser.js';
export type { FuncMap, TemplateFunc } from './template/funcspec.js';
export { builtinFuncs } from './template/builtins.js';
export { dockerFuncs, dockerHeaderFuncs } from './template/docker-funcs.js';
export {
  GO_MARSHAL_JSON,
  GO_STRING,
  GO_TYPE,
  GoFloat,
  GoJsonNumber,
  GoNil,
  goFloat,
  goFunc,
  goFuncValue,
  goMap,
  goStruct,
  nilMap,
  nilPointer,
  nilSlice,
  type GoFunc,
  type ParamType,
} from './values.js';
export { sprint, sprintf, sprintln, formatValue } from './gofmt.js';
export { quote, formatFloat } from './strconv.js';
export { goJson };
export { GoJsonError, marshal, marshalIndent, indent as jsonIndent, compact as jsonCompact } from './gojson.js';
export {
  TabWriter,
  dockerTableWriter,
  AlignRight,
  Debug,
  DiscardEmptyColumns,
  FilterHTML,
  StripEscape,
  TabIndent,
  type TabWriterOptions,
} from './tabwriter.js';
export { stringWidth } from './runewidth.js';
export {
  DefaultQuietFormat,
  FormatError,
  JSONFormat,
  ellipsis,
  formatterContext,
  isTableFormat,
  preFormat,
  renderFormatted,
  resolveFormat,
  truncateID,
  type FormatSelection,
  type RenderOptions,
} from './formatter.js';
export {
  historyHeaders,
  historyNonHumanTableFormat,
  historyRow,
  historyRowType,
  historyTableFormat,
  imageHeaders,
  imageRawFormat,
  imageRawFormatWithDigest,
  imageRawQuietFormat,
  imageRow,
  imageRowType,
  imageTableFormat,
  imageTableFormatWithDigest,
  newHistoryFormat,
  newImageFormat,
  type HistoryItemLike,
  type HistoryRow,
  type ImageRow,
  type ImageSummaryLike,
} from './docker-formats.js';
export { InspectFormatError, renderInspect, type InspectElement, type InspectResult } from './inspect.js';
export {
  UnitsError,
  bytesSize,
  customSize,
  fromHumanSize,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  ramInBytes,
  timeAgo,
} from './units.js';
export {
  RFC3339,
  RFC3339Nano,
  TimeStringLayout,
  UTC,
  formatGoTime,
  formatRFC3339,
  formatRFC3339Nano,
  fixedZone,
  goTime,
  goTimeString,
  parseGoTime,
  loadLocation,
  localLocation,
  resetLocalLocation,
  type Location,
} from './gotime.js';

/** Parses a Go template (Go's builtins plus `funcs`), like template.New("").Funcs(funcs).Parse(text). */
export function parseTemplate(text: string, funcs?: FuncMap): Template {
  return Template.create('', funcs).parse(text);
}

/** Parses text with docker/cli's template functions (json, split, join, title, lower, upper, pad, truncate). */
export function parseDockerFormat(text: string, name = ''): Template {
  return Template.create(name, dockerFuncs).parse(text);
}

/** Runs a template over data; throws ExecError (whose .output holds what was printed before the error). */
export function execTemplate(tmpl: Template, data: unknown): string {
  return tmpl.execute(data);
}
