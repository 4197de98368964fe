import { DirectiveParser } from './directives.js';

/** Per-parse state: the escape token (changed by `# escape=`) and the directive parser. */
export class ParserState {
  escapeToken = '\\';
  continuationRe: RegExp = continuationRegExp('\\');
  readonly directiveParser = new DirectiveParser();

  setEscapeToken(token: string): void {
    if (token !== '`' && token !== '\\') {
      throw new Error(`invalid escape token '${token}' does not match \` or \\`);
    }
    this.escapeToken = token;
    this.continuationRe = continuationRegExp(token);
  }
}

// The escape token as the last non-blank character continues the line, unless the escape token
// itself is escaped right before it (a lone token on its own line continues too).
function continuationRegExp(token: string): RegExp {
  const t = token === '\\' ? '\\\\' : token;
  return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`);
}
