// Recognizing here-document words (`<<EOF`, `<<-"EOF"`, `3<<EOF`) in RUN/COPY/ADD lines.

import type { Heredoc } from './ast.js';
import { emptyEnv, ShellLex } from './shell-lexer.js';

const reHeredoc = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

/**
 * The here-document a word introduces, or null when it is not one. Throws when the delimiter is
 * malformed (an unterminated quote). The content is empty: the parser fills it.
 */
export function parseHeredoc(src: string): Heredoc | null {
  const m = reHeredoc.exec(src);
  if (!m) return null;
  const rest = m[3];
  if (rest.length === 0) return null;
  const lex = new ShellLex('\\');
  lex.skipUnsetEnv = true;
  // Lex the delimiter with and without quote removal: if the quote counts differ, part of it
  // was quoted and the body must not be expanded.
  const words = lex.processWords(rest, emptyEnv);
  if (words.length !== 1) return null;
  lex.rawQuotes = true;
  const wordsRaw = lex.processWords(rest, emptyEnv);
  if (wordsRaw.length !== words.length) {
    throw new Error(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  }
  const quotes = (s: string) => s.split("'").length + s.split('"').length - 2;
  return {
    name: words[0],
    fileDescriptor: m[1] === '' ? 0 : Number(m[1]),
    expand: quotes(words[0]) === quotes(wordsRaw[0]),
    chomp: m[2] === '-',
    content: '',
  };
}

/** parseHeredoc, with malformed words treated as not here-documents. */
export function mustParseHeredoc(src: string): Heredoc | null {
  try {
    return parseHeredoc(src);
  } catch {
    return null;
  }
}

/** The here-documents introduced on an instruction line, in order. */
export function heredocsFromLine(line: string): Heredoc[] {
  const lex = new ShellLex('\\');
  lex.rawQuotes = true;
  lex.rawEscapes = true;
  lex.skipUnsetEnv = true;
  let words: string[];
  try {
    words = lex.processWords(line, emptyEnv);
  } catch {
    words = [];
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredoc(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** Strips the leading tabs of every line (the `<<-` form). */
export function chompHeredocContent(src: string): string {
  return src
    .split('\n')
    .map((l) => l.replace(/^\t+/, ''))
    .join('\n');
}
