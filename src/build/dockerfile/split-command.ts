// Splits an instruction line into keyword, leading `--flags` and the remaining arguments.

import { fromUtf8Bytes, isSpaceByte, regexpSplit, trimSpace, utf8Bytes } from './go-text.js';
import type { ParserState } from './parser-state.js';

/** BuildKit's separator between keyword and arguments (note: no newline, no Unicode spaces). */
export const reWhitespace = /[\t\v\f\r ]+/;

export interface SplitCommand {
  cmd: string;
  flags: string[];
  args: string;
}

export function splitCommand(line: string, state: ParserState): SplitCommand {
  const cmdline = regexpSplit(trimSpace(line), reWhitespace, 2);
  let args = '';
  let flags: string[] = [];
  if (cmdline.length === 2) [args, flags] = extractBuilderFlags(cmdline[1], state.escapeToken);
  return { cmd: cmdline[0], flags, args: trimSpace(args) };
}

/**
 * Takes the leading words that start with `--` (quotes and the escape token are processed in
 * them; a bare `--` ends the flags) and returns the rest of the line and the flags.
 * BuildKit walks this line byte by byte and appends each byte as a character, so non-ASCII
 * text in flags comes out as its UTF-8 bytes read as Latin-1; done here the same way.
 */
function extractBuilderFlags(text: string, escapeToken: string): [string, string[]] {
  const line = utf8Bytes(text);
  const rest = (pos: number) => fromUtf8Bytes(line.slice(pos));
  const inSpaces = 0;
  const inWord = 1;
  const inQuote = 2;
  const words: string[] = [];
  let phase = inSpaces;
  let word = '';
  let quote = '';
  let blankOK = false;
  let ch = '';
  for (let pos = 0; pos <= line.length; pos++) {
    if (pos !== line.length) ch = line[pos];
    if (phase === inSpaces) {
      if (pos === line.length) break;
      if (isSpaceByte(ch.charCodeAt(0))) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return [rest(pos), words];
      phase = inWord;
    }
    if ((phase === inWord || phase === inQuote) && pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === inWord) {
      if (isSpaceByte(ch.charCodeAt(0))) {
        phase = inSpaces;
        if (word === '--') return [rest(pos), words];
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = inQuote;
        continue;
      }
      if (ch === escapeToken) {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = line[pos];
      }
      word += ch;
      continue;
    }
    if (phase === inQuote) {
      if (ch === quote) {
        phase = inWord;
        continue;
      }
      if (ch === escapeToken) {
        if (pos + 1 === line.length) {
          phase = inWord;
          continue;
        }
        pos++;
        ch = line[pos];
      }
      word += ch;
    }
  }
  return ['', words];
}
