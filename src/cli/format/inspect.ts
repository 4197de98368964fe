// docker/cli's inspect package: `docker inspect` / `docker image inspect` output for the default
// (indented JSON), "json" (compact) and Go-template --format values.

import { compact, decodeUseNumber, indent, marshal, marshalIndent } from './gojson.js';
import { FormatError } from './formatter.js';
import { dockerFuncs } from './template/docker-funcs.js';
import { ExecError } from './template/exec.js';
import { Template } from './template/template.js';

export interface InspectElement {
  /** The typed object (Go struct shape) templates run against first. */
  value: unknown;
  /** The raw JSON the daemon sent, printed verbatim (re-indented) and used as template fallback. */
  raw?: string;
}

export interface InspectResult {
  /** What docker writes to stdout. */
  output: string;
  /** One message per element that failed; docker joins them with "\n" on stderr and exits 1. */
  errors: string[];
}

/** Raised for an unparsable --format; docker exits with status 64. */
export class InspectFormatError extends FormatError {
  readonly exitCode = 64;
}

/** Renders inspected elements the way inspect.Inspect does with the given --format. */
export function renderInspect(format: string | undefined, elements: readonly InspectElement[]): InspectResult {
  const tmplStr = format ?? '';
  if (tmplStr === '' || tmplStr === 'json') return renderJson(elements, tmplStr === '');

  let tmpl: Template;
  try {
    tmpl = Template.create('', dockerFuncs).parse(tmplStr);
  } catch (e) {
    throw new InspectFormatError(`template parsing error: ${(e as Error).message}`);
  }
  let output = '';
  const errors: string[] = [];
  for (const el of elements) {
    try {
      output += tmpl.execute(el.value) + '\n';
      continue;
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      if (el.raw === undefined) {
        errors.push(`template parsing error: ${e.message}`);
        continue;
      }
    }
    // The typed execution failed: retry on the raw JSON, missing keys being errors.
    let raw: unknown;
    try {
      raw = decodeUseNumber(el.raw);
    } catch (e) {
      errors.push(`unable to read inspect data: ${(e as Error).message}`);
      continue;
    }
    // Like docker, this switches the shared template to missingkey=error for good.
    tmpl.option('missingkey=error');
    try {
      output += tmpl.execute(raw) + '\n';
    } catch (e) {
      errors.push(`template parsing error: ${(e as Error).message}`);
    }
  }
  return { output: output === '' ? '\n' : output, errors };
}

function renderJson(elements: readonly InspectElement[], indented: boolean): InspectResult {
  if (elements.length === 0) return { output: '[]\n', errors: [] };
  const raws = elements.filter((e) => e.raw !== undefined).map((e) => e.raw as string);
  let text: string;
  if (raws.length > 0) {
    const joined = '[' + raws.join(',') + ']';
    text = indented ? indent(joined, '', '    ') : compact(joined);
  } else {
    const values = elements.map((e) => e.value);
    text = indented ? marshalIndent(values, '', '    ') : marshal(values);
  }
  return { output: text + '\n', errors: [] };
}
