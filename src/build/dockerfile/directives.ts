// Parser directives: `# syntax=...`, `# escape=...`, `# check=...` at the top of a Dockerfile.

import { toLower, trimLeftSpace } from './go-text.js';

export interface Directive {
  /** Lower-cased name: syntax, escape or check. */
  name: string;
  value: string;
  /** 1-based line number. */
  line: number;
}

const validDirectives = new Set(['syntax', 'escape', 'check']);
const directiveRe = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;

/** Recognizes directives line by line, and stops for good at the first line that is not one. */
export class DirectiveParser {
  private readonly seen = new Set<string>();
  private done = false;

  constructor(
    private line = 0,
    private readonly comment = '#',
  ) {}

  /** Returns the directive on this line, or null; throws on a repeated directive. */
  parseLine(text: string): Directive | null {
    this.line++;
    if (this.done) return null;
    if (!text.startsWith(this.comment)) {
      this.done = true;
      return null;
    }
    const m = directiveRe.exec(trimLeftSpace(text.slice(this.comment.length)));
    if (!m) {
      this.done = true;
      return null;
    }
    const name = toLower(m[1]);
    if (!validDirectives.has(name)) {
      this.done = true;
      return null;
    }
    if (this.seen.has(name)) throw new Error(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name, value: m[2], line: this.line };
  }

  /** All directives at the top of text (errors end the scan silently, as in BuildKit). */
  parseAll(text: string): Directive[] {
    const out: Directive[] = [];
    for (const raw of text.split('\n')) {
      if (this.done) break;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      let d: Directive | null;
      try {
        d = this.parseLine(line);
      } catch {
        break;
      }
      if (d) out.push(d);
    }
    return out;
  }
}

export interface DirectiveValue {
  /** The value up to its first space (for syntax: the frontend image reference). */
  value: string;
  /** The whole value (for syntax: the reference plus frontend arguments). */
  full: string;
  line: number;
}

function discardBOM(text: string): string {
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

function findDirective(key: string, text: string, anyFormat: boolean): DirectiveValue | null {
  let dt = discardBOM(text);
  let line = 0;
  const nl = dt.indexOf('\n');
  if ((nl < 0 ? dt : dt.slice(0, nl)).startsWith('#!')) {
    dt = nl < 0 ? '' : dt.slice(nl + 1);
    line++;
  }
  const fromParser = (comment: string): DirectiveValue | null => {
    for (const d of new DirectiveParser(line, comment).parseAll(dt)) {
      if (d.name === key) {
        const sp = d.value.indexOf(' ');
        return { value: sp < 0 ? d.value : d.value.slice(0, sp), full: d.value, line: d.line };
      }
    }
    return null;
  };
  const found = fromParser('#');
  if (found || !anyFormat) return found;
  const slashes = fromParser('//');
  if (slashes) return slashes;
  try {
    const obj: unknown = JSON.parse(dt);
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
      const v = (obj as Record<string, unknown>)[key];
      if (typeof v === 'string') return { value: v, full: v, line };
    }
  } catch {
    // not JSON
  }
  return null;
}

/**
 * The `syntax` directive of a Dockerfile, also accepted as `// syntax=` or a JSON document's
 * "syntax" key; a leading `#!` line is skipped. null when absent.
 */
export function detectSyntax(text: string): DirectiveValue | null {
  return findDirective('syntax', text, true);
}

/** A `# key=value` directive (e.g. "check") from the top of a Dockerfile, or null. */
export function parseDirective(key: string, text: string): DirectiveValue | null {
  return findDirective(key, text, false);
}
