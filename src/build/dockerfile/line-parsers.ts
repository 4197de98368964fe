// Per-instruction argument parsers: each turns the argument text of one instruction into the
// chain of argument nodes BuildKit builds for it (plus the json attribute for exec form).

import { newNode, type Node } from './ast.js';
import { fromUtf8Bytes, isSpace, isSpaceByte, quote, regexpSplit, trimLeftSpace, utf8Bytes } from './go-text.js';
import type { ParserState } from './parser-state.js';
import { reWhitespace } from './split-command.js';

export interface ParsedArgs {
  next: Node | null;
  attributes: { json?: boolean };
}

export type LineParser = (rest: string, state: ParserState) => ParsedArgs;

/** An exec-form array with something other than strings in it: an error, not shell form. */
export class NotStringArrayError extends Error {
  constructor() {
    super('when using JSON array syntax, arrays must be comprised of strings only');
  }
}

function chain(values: readonly string[]): Node | null {
  let head: Node | null = null;
  let prev: Node | null = null;
  for (const value of values) {
    const node = newNode({ value });
    if (prev) prev.next = node;
    else head = node;
    prev = node;
  }
  return head;
}

const none: ParsedArgs = { next: null, attributes: {} };

/** Unknown instructions keep their keyword but no arguments. */
export const parseIgnore: LineParser = () => ({ next: newNode(), attributes: {} });

/**
 * Splits at unquoted white space, keeping quotes and escapes in the words (they are processed
 * later, by the shell lexer).
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const chars = Array.from(rest);
  const words: string[] = [];
  const inSpaces = 0;
  const inWord = 1;
  const inQuote = 2;
  let phase = inSpaces;
  let quoteCh = '';
  let blankOK = false;
  let word = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos] : '';
    if (phase === inSpaces) {
      if (pos === chars.length) break;
      if (isSpace(ch)) continue;
      phase = inWord;
    }
    if ((phase === inWord || phase === inQuote) && pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === inWord) {
      if (isSpace(ch)) {
        phase = inSpaces;
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quoteCh = ch;
        blankOK = true;
        phase = inQuote;
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        // An escape outside quotes keeps itself and the next character, even a quote.
        word += ch;
        pos++;
        ch = chars[pos];
      }
      word += ch;
      continue;
    }
    if (phase === inQuote) {
      if (ch === quoteCh) phase = inWord;
      // Nothing escapes inside single quotes.
      if (ch === escapeToken && quoteCh !== "'") {
        if (pos + 1 === chars.length) {
          phase = inWord;
          continue;
        }
        pos++;
        word += ch;
        ch = chars[pos];
      }
      word += ch;
    }
  }
  return words;
}

function keyValueNodes(key: string, value: string, sep: string): Node {
  return newNode({ value: key, next: newNode({ value, next: newNode({ value: sep }) }) });
}

// ENV and LABEL: `KEY=value ...`, or the legacy `KEY value with spaces` when the first word
// has no '='. The third node of each pair is "=" or "" (legacy) and tells the two apart.
function parseNameVal(rest: string, key: string, state: ParserState): Node | null {
  const words = parseWords(rest, state.escapeToken);
  if (words.length === 0) return null;
  if (!words[0].includes('=')) {
    const parts = regexpSplit(rest, reWhitespace, 2);
    if (parts.length < 2) throw new Error(`${key} must have two arguments`);
    return keyValueNodes(parts[0], parts[1], '');
  }
  const nodes: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw new Error(`Syntax error - can't find = in ${quote(word)}. Must be of the form: name=value`);
    }
    nodes.push(word.slice(0, eq), word.slice(eq + 1), '=');
  }
  return chain(nodes);
}

export const parseEnv: LineParser = (rest, state) => ({ next: parseNameVal(rest, 'ENV', state), attributes: {} });

export const parseLabel: LineParser = (rest, state) => ({ next: parseNameVal(rest, 'LABEL', state), attributes: {} });

/** ARG: `name`, `name=value` words (split like ENV but without the key/value nodes). */
export const parseNameOrNameVal: LineParser = (rest, state) => ({
  next: chain(parseWords(rest, state.escapeToken)),
  attributes: {},
});

export const parseStringsWhitespaceDelimited: LineParser = (rest) => {
  if (rest === '') return none;
  return { next: chain(regexpSplit(rest, reWhitespace, -1)), attributes: {} };
};

export const parseString: LineParser = (rest) => {
  if (rest === '') return none;
  return { next: newNode({ value: rest }), attributes: {} };
};

// Go's encoding/json turns invalid UTF-16 escapes into U+FFFD.
function replaceLoneSurrogates(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

class NotJSONError extends Error {}

function hasInfinity(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasInfinity);
  if (v && typeof v === 'object') return Object.values(v).some(hasInfinity);
  return false;
}

function parseJSON(rest: string): ParsedArgs {
  const text = trimLeftSpace(rest);
  if (!text.startsWith('[')) throw new NotJSONError('not a JSON array');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new NotJSONError((err as Error).message);
  }
  if (!Array.isArray(parsed)) throw new NotJSONError('not a JSON array');
  // Go fails to decode a number beyond float64 range, so such input is not JSON form there.
  if (hasInfinity(parsed)) throw new NotJSONError('number out of range');
  const values: string[] = [];
  for (const item of parsed) {
    if (typeof item !== 'string') throw new NotStringArrayError();
    values.push(replaceLoneSurrogates(item));
  }
  return { next: chain(values), attributes: { json: true } };
}

/** CMD, ENTRYPOINT, RUN, SHELL: a JSON string array, or else the whole text as one argument. */
export const parseMaybeJSON: LineParser = (rest) => {
  if (rest === '') return none;
  try {
    return parseJSON(rest);
  } catch (err) {
    if (!(err instanceof NotJSONError)) throw err;
  }
  return { next: newNode({ value: rest }), attributes: {} };
};

/** ADD, COPY, VOLUME: a JSON string array, or else whitespace-separated words. */
export const parseMaybeJSONToList: LineParser = (rest, state) => {
  try {
    return parseJSON(rest);
  } catch (err) {
    if (!(err instanceof NotJSONError)) throw err;
  }
  return parseStringsWhitespaceDelimited(rest, state);
};

/** HEALTHCHECK: a type word (CMD, NONE, ...) then CMD's arguments, JSON or shell form. */
export const parseHealthConfig: LineParser = (rest, state) => {
  // Scanned byte by byte like BuildKit, where a 0x85/0xA0 byte inside a UTF-8 sequence counts
  // as white space too.
  const bytes = utf8Bytes(rest);
  let sep = 0;
  while (sep < bytes.length && !isSpaceByte(bytes.charCodeAt(sep))) sep++;
  let next = sep;
  while (next < bytes.length && isSpaceByte(bytes.charCodeAt(next))) next++;
  if (sep === 0) return none;
  const cmd = parseMaybeJSON(fromUtf8Bytes(bytes.slice(next)), state);
  return { next: newNode({ value: fromUtf8Bytes(bytes.slice(0, sep)), next: cmd.next }), attributes: cmd.attributes };
};
