// The Dockerfile parser: text to syntax tree, line for line what BuildKit's parser.Parse does
// (directives, comments, continuation lines, here-documents, per-instruction argument forms).

import { newNode, type Node } from './ast.js';
import type { Directive } from './directives.js';
import { DockerfileError, withLocation, type LineRange } from './errors.js';
import { trimLeftSpace, trimSpace, toLower } from './go-text.js';
import { heredocsFromLine } from './heredoc.js';
import {
  parseEnv,
  parseHealthConfig,
  parseIgnore,
  parseLabel,
  parseMaybeJSON,
  parseMaybeJSONToList,
  parseNameOrNameVal,
  parseString,
  parseStringsWhitespaceDelimited,
  type LineParser,
  type ParsedArgs,
} from './line-parsers.js';
import { ParserState } from './parser-state.js';
import { splitCommand } from './split-command.js';

export interface ParseWarning {
  /** One-line message, e.g. "Empty continuation line found in: RUN a     b". */
  short: string;
  detail: string[];
  url: string;
  location: LineRange;
}

export interface ParseResult {
  /** Root node: one child per instruction. */
  ast: Node;
  /** '\\' or '`' (from `# escape=`): the escape token for the shell lexer too. */
  escapeToken: string;
  warnings: ParseWarning[];
  /** Parser directives found at the top (syntax, escape, check). */
  directives: Directive[];
}

/** Longest line bufio.Scanner accepts (BuildKit reads Dockerfiles with its default buffer). */
const maxLineBytes = 64 * 1024;

const emptyContinuationURL = 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/';

const heredocInstructions = new Set(['add', 'copy', 'run']);

const dispatch: Record<string, LineParser> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: parseEnv,
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: parseLabel,
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

// ONBUILD: the rest of the line is an instruction of its own, nested as the only child.
function parseSubCommand(rest: string, state: ParserState): ParsedArgs {
  if (rest === '') return { next: null, attributes: {} };
  const child = newNodeFromLine(rest, state, []);
  return { next: newNode({ children: [child] }), attributes: {} };
}

function newNodeFromLine(line: string, state: ParserState, comments: string[]): Node {
  const { cmd, flags, args } = splitCommand(line, state);
  const fn = Object.hasOwn(dispatch, toLower(cmd)) ? dispatch[toLower(cmd)] : parseIgnore;
  const { next, attributes } = fn(args, state);
  return newNode({ value: cmd, original: line, flags, next, attributes, prevComment: comments });
}

function canContainHeredoc(node: Node): boolean {
  if (toLower(node.value) === 'onbuild' && node.next && node.next.children.length > 0) {
    node = node.next.children[0];
  }
  return heredocInstructions.has(toLower(node.value)) && !node.attributes.json;
}

/** Splits into lines that keep their '\n'; stops (sets tooLong) at a line over the limit. */
class LineScanner {
  private readonly lines: string[];
  private i = 0;
  tooLong = false;

  constructor(text: string) {
    this.lines = text === '' ? [] : text.split(/(?<=\n)/);
  }

  scan(): string | null {
    if (this.tooLong || this.i >= this.lines.length) return null;
    const line = this.lines[this.i];
    const bytes = Buffer.byteLength(line, 'utf8');
    // A final line without '\n' must leave room in the buffer for one.
    if (bytes > maxLineBytes || (bytes === maxLineBytes && !line.endsWith('\n'))) {
      this.tooLong = true;
      return null;
    }
    this.i++;
    return line;
  }
}

function trimNewline(s: string): string {
  let j = s.length;
  while (j > 0 && (s[j - 1] === '\n' || s[j - 1] === '\r')) j--;
  return s.slice(0, j);
}

function isComment(line: string): boolean {
  return trimLeftSpace(line).startsWith('#');
}

function isEmptyContinuationLine(line: string): boolean {
  return trimLeftSpace(trimNewline(line)).length === 0;
}

// Returns the line without its continuation token, and whether the instruction ends here.
function trimContinuation(line: string, state: ParserState): [string, boolean] {
  if (state.continuationRe.test(line)) return [line.replace(state.continuationRe, '$1'), false];
  return [line, true];
}

// Strips the newline (and leading space on first lines), applies a directive, drops comments.
function processLine(state: ParserState, token: string, stripLeft: boolean): { text: string; directive: Directive | null } {
  token = trimNewline(token);
  if (stripLeft) token = trimLeftSpace(token);
  const directive = state.directiveParser.parseLine(token);
  if (directive?.name === 'escape') state.setEscapeToken(directive.value);
  return { text: isComment(token) ? '' : token, directive };
}

/**
 * Parses a Dockerfile. Throws DockerfileError (with the offending lines) for: no instructions,
 * a bad or repeated directive, a non-string JSON array, ENV/LABEL syntax errors, unterminated
 * here-documents, over-long lines.
 */
export function parse(input: string | Uint8Array): ParseResult {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  const state = new ParserState();
  const scanner = new LineScanner(text);
  const root = newNode({ startLine: -1 });
  const warnings: ParseWarning[] = [];
  const directives: Directive[] = [];
  let comments: string[] = [];
  let currentLine = 0;

  for (let raw = scanner.scan(); raw !== null; raw = scanner.scan()) {
    let line = currentLine === 0 && raw.startsWith('\ufeff') ? raw.slice(1) : raw;
    if (isComment(line)) {
      const comment = trimSpace(line.slice(1));
      if (comment === '') comments = [];
      else comments.push(comment);
    }
    let directive: Directive | null;
    try {
      ({ text: line, directive } = processLine(state, line, true));
    } catch (err) {
      throw withLocation(err, currentLine + 1);
    }
    if (directive) {
      // A directive is a comment line but not a comment of the next instruction.
      comments.pop();
      directives.push(directive);
    }
    currentLine++;

    const startLine = currentLine;
    let endOfLine: boolean;
    [line, endOfLine] = trimContinuation(line, state);
    if (endOfLine && line.length === 0) continue;

    let buf = line;
    let hasEmptyContinuationLine = false;
    while (!endOfLine) {
      const next = scanner.scan();
      if (next === null) break;
      let part: string;
      try {
        part = processLine(state, next, false).text;
      } catch (err) {
        throw withLocation(err, currentLine + 1);
      }
      currentLine++;
      if (isComment(next)) continue;
      if (isEmptyContinuationLine(part)) {
        hasEmptyContinuationLine = true;
        continue;
      }
      [part, endOfLine] = trimContinuation(part, state);
      buf += part;
    }

    if (hasEmptyContinuationLine) {
      warnings.push({
        short: 'Empty continuation line found in: ' + buf,
        detail: ['Empty continuation lines will become errors in a future release'],
        url: emptyContinuationURL,
        location: { start: currentLine, end: currentLine },
      });
    }

    let child: Node;
    try {
      child = newNodeFromLine(buf, state, comments);
    } catch (err) {
      throw withLocation(err, startLine, currentLine);
    }

    if (canContainHeredoc(child) && buf.includes('<<')) {
      let heredocs;
      try {
        heredocs = heredocsFromLine(buf);
      } catch (err) {
        throw withLocation(err, startLine, currentLine);
      }
      for (const heredoc of heredocs) {
        let terminated = false;
        let content = heredoc.content;
        for (let body = scanner.scan(); body !== null; body = scanner.scan()) {
          currentLine++;
          let possibleTerminator = trimNewline(body);
          if (heredoc.chomp) possibleTerminator = possibleTerminator.replace(/^\t+/, '');
          if (possibleTerminator === heredoc.name) {
            terminated = true;
            break;
          }
          content += body;
        }
        if (!terminated) throw new DockerfileError('unterminated heredoc', { start: startLine, end: currentLine });
        child.heredocs.push({ ...heredoc, content });
      }
    }

    child.startLine = startLine;
    child.endLine = currentLine;
    // ONBUILD's nested instruction spans the same lines (BuildKit leaves it at 0).
    for (const nested of child.next?.children ?? []) {
      nested.startLine = startLine;
      nested.endLine = currentLine;
    }
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
    comments = [];
  }

  if (root.startLine < 0) throw new DockerfileError('file with no instructions', { start: currentLine, end: currentLine });
  if (scanner.tooLong) {
    throw new DockerfileError(`dockerfile line greater than max allowed size of ${maxLineBytes - 1}`, {
      start: currentLine + 1,
      end: currentLine + 1,
    });
  }
  return { ast: root, escapeToken: state.escapeToken, warnings, directives };
}
