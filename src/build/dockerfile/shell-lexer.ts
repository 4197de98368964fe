// Word expansion for Dockerfile instructions, as BuildKit's shell.Lex does it: quotes, the
// escape token, $VAR / ${VAR} and the ${VAR<modifier>...} forms BuildKit supports, and word
// splitting. Not a shell: no command substitution, no globbing, no arithmetic.

import { isDigit, isLetter, isSpace, quote } from './go-text.js';
import { goReplaceAll, shellPatternToRegExp, trimPrefix, trimSuffix } from './shell-pattern.js';

/** Read access to variables, like BuildKit's shell.EnvGetter. */
export interface EnvGetter {
  get(key: string): string | undefined;
  keys(): string[];
}

/** Anything that can serve as an environment: an EnvGetter, a Map, a record or "K=V" strings. */
export type EnvSource = EnvGetter | ReadonlyMap<string, string> | Readonly<Record<string, string>> | readonly string[];

/** An environment from "KEY=VALUE" strings; a later key wins, "KEY" alone means empty. */
export function envFromList(list: readonly string[]): EnvGetter {
  const map = new Map<string, string>();
  const keys: string[] = [];
  for (const e of list) {
    const i = e.indexOf('=');
    const k = i < 0 ? e : e.slice(0, i);
    keys.push(k);
    map.set(k, i < 0 ? '' : e.slice(i + 1));
  }
  return { get: (k) => map.get(k), keys: () => [...keys] };
}

export const emptyEnv: EnvGetter = { get: () => undefined, keys: () => [] };

function isEnvGetter(src: EnvSource): src is EnvGetter {
  return typeof (src as EnvGetter).get === 'function' && typeof (src as EnvGetter).keys === 'function';
}

/** Normalizes any EnvSource to an EnvGetter. */
export function toEnvGetter(src: EnvSource): EnvGetter {
  if (Array.isArray(src)) return envFromList(src as readonly string[]);
  if (src instanceof Map) {
    const m = src as ReadonlyMap<string, string>;
    return { get: (k) => m.get(k), keys: () => [...m.keys()] };
  }
  if (isEnvGetter(src)) return src;
  const rec = src as Readonly<Record<string, string>>;
  return { get: (k) => (Object.hasOwn(rec, k) ? rec[k] : undefined), keys: () => Object.keys(rec) };
}

export class ShellLexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellLexError';
  }
}

export interface ProcessWordResult {
  /** The expanded word, spaces kept. */
  result: string;
  /** The expansion split into words (ProcessWords). */
  words: string[];
  /** Variables that were referenced and set. */
  matched: Set<string>;
  /** Variables that were referenced but not set. */
  unmatched: Set<string>;
}

const EOF = null;
type Ch = string | null;

// Shared between nested processStopOn calls of one word, as in BuildKit (see processStopOn).
interface SharedWordBuffer {
  s: string;
}

class WordSplitter {
  words: string[] = [];
  inWord = false;
  constructor(private readonly buf: SharedWordBuffer) {}

  addChar(ch: string): void {
    if (isSpace(ch) && this.inWord) {
      if (this.buf.s.length !== 0) {
        this.words.push(this.buf.s);
        this.buf.s = '';
        this.inWord = false;
      }
    } else if (!isSpace(ch)) {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.buf.s += ch;
    this.inWord = true;
  }

  addString(str: string): void {
    for (const ch of str) this.addChar(ch);
  }

  addRawString(str: string): void {
    this.buf.s += str;
    this.inWord = true;
  }

  getWords(): string[] {
    if (this.buf.s.length > 0) {
      this.words.push(this.buf.s);
      this.buf.s = '';
      this.inWord = false;
    }
    return this.words;
  }
}

/** The state of expanding one word. */
class ShellWord {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;
  private readonly wordsBuffer: SharedWordBuffer = { s: '' };
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    private readonly lex: ShellLex,
    word: string,
    private readonly env: EnvGetter,
    private readonly capture: boolean,
  ) {
    this.chars = Array.from(word);
    // Go's text/scanner skips a byte order mark at the very start.
    if (this.chars[0] === '\ufeff') this.pos = 1;
    this.rawEscapes = lex.rawEscapes;
  }

  private peek(): Ch {
    return this.pos < this.chars.length ? this.chars[this.pos] : EOF;
  }

  private next(): Ch {
    return this.pos < this.chars.length ? this.chars[this.pos++] : EOF;
  }

  process(): [string, string[]] {
    return this.processStopOn(EOF, this.rawEscapes);
  }

  // Reads up to stopChar (consumed) or the end. Like BuildKit, every call resets the one words
  // buffer of the word: a nested ${VAR:-...} therefore drops the partial word before it from
  // the split result. Kept for identical ProcessWords output.
  private processStopOn(stopChar: Ch, rawEscapes: boolean): [string, string[]] {
    let result = '';
    this.wordsBuffer.s = '';
    const words = new WordSplitter(this.wordsBuffer);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.peek() !== EOF) {
        let ch = this.peek() as string;
        if (stopChar !== EOF && ch === stopChar) {
          this.next();
          return [result, words.getWords()];
        }
        const special = this.specialHandler(ch);
        if (special) {
          const tmp = special();
          result += tmp;
          if (ch === '$') words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        ch = this.next() as string;
        if (ch === this.lex.escapeToken) {
          if (this.rawEscapes) {
            words.addRawChar(ch);
            result += ch;
          }
          const escaped = this.next();
          if (escaped === EOF) break;
          ch = escaped;
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        result += ch;
      }
      if (stopChar !== EOF) {
        throw new ShellLexError(`unexpected end of statement while looking for matching ${stopChar}`);
      }
      return [result, words.getWords()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  private specialHandler(ch: string): (() => string) | undefined {
    switch (ch) {
      case '$':
        return () => this.processDollar();
      case '<':
        return () => this.processPossibleHeredoc();
      case "'":
        return this.lex.skipProcessQuotes ? undefined : () => this.processSingleQuote();
      case '"':
        return this.lex.skipProcessQuotes ? undefined : () => this.processDoubleQuote();
    }
    return undefined;
  }

  private processSingleQuote(): string {
    let result = '';
    let ch = this.next() as string;
    if (this.lex.rawQuotes) result += ch;
    for (;;) {
      ch = this.next() as string;
      if (ch === EOF) throw new ShellLexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    const open = this.next() as string;
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new ShellLexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.next();
        if (this.lex.rawQuotes) result += p;
        return result;
      }
      if (p === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next() as string;
      if (ch === this.lex.escapeToken) {
        if (this.rawEscapes) result += ch;
        const q = this.peek();
        if (q === EOF) continue; // a trailing escape is dropped; the loop then reports the open quote
        if (q === '"' || q === '$' || q === this.lex.escapeToken) ch = this.next() as string;
      }
      result += ch;
    }
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new ShellLexError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ShellLexError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let chs = ch ?? '\ufffd'; // Go's string(rune(EOF))
    switch (ch) {
      case '}': {
        const value = this.getEnv(name);
        if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
        return value ?? '';
      }
      case ':':
      case '+':
      case '-':
      case '?':
      case '#':
      case '%': {
        let nullIsUnset = false;
        if (ch === ':') {
          nullIsUnset = true;
          ch = this.next();
          chs += ch ?? '\ufffd';
        }
        const rawEscapes = ch === '#' || ch === '%';
        if (nullIsUnset && rawEscapes) throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
        let word: string;
        try {
          [word] = this.processStopOn('}', rawEscapes);
        } catch (err) {
          if (this.peek() === EOF) throw new ShellLexError("syntax error: missing '}'");
          throw err;
        }
        const value = this.getEnv(name);
        if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}${chs}${word}}`;
        const set = value !== undefined;
        switch (ch) {
          case '-':
            if (!set || (nullIsUnset && value === '')) return word;
            return value;
          case '+':
            if (!set || (nullIsUnset && value === '')) return '';
            return word;
          case '?':
            if (!set) throw new ShellLexError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
            if (nullIsUnset && value === '') {
              throw new ShellLexError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
            }
            return value;
          case '%':
          case '#': {
            let greedy = false;
            if (word.length > 0 && word[0] === ch) {
              greedy = true;
              word = word.slice(1);
            }
            try {
              return ch === '%' ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
            } catch (err) {
              throw new ShellLexError(`invalid pattern (${word}) in substitution: ${(err as Error).message}`);
            }
          }
          default:
            throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
        }
      }
      case '/': {
        const replaceAll = this.peek() === '/';
        if (replaceAll) this.next();
        let pattern: string;
        try {
          [pattern] = this.processStopOn('/', true);
        } catch (err) {
          if (this.peek() === EOF) throw new ShellLexError("syntax error: missing '/' in ${}");
          throw err;
        }
        let replacement: string;
        try {
          [replacement] = this.processStopOn('}', true);
        } catch (err) {
          if (this.peek() === EOF) throw new ShellLexError("syntax error: missing '}'");
          throw err;
        }
        const value = this.getEnv(name);
        if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
        let re: RegExp;
        try {
          re = shellPatternToRegExp(pattern, true, false);
        } catch (err) {
          throw new ShellLexError(`invalid pattern (${pattern}) in substitution: ${(err as Error).message}`);
        }
        const v = value ?? '';
        if (replaceAll) return goReplaceAll(re, v, replacement);
        const m = re.exec(v);
        return m ? v.slice(0, m.index) + replacement + v.slice(m.index + m[0].length) : v;
      }
      default:
        throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek() as string;
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek() as string)) name += this.next();
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) {
        return this.next() as string;
      }
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let space = '';
    for (let c = this.peek(); c === '\t' || c === '\r' || c === ' '; c = this.peek()) {
      space += c;
      this.next();
    }
    return '<<' + space;
  }

  private getEnv(name: string): string | undefined {
    const v = this.env.get(name);
    if (this.capture) (v !== undefined ? this.matched : this.unmatched).add(name);
    return v;
  }
}

function isSpecialParam(ch: string): boolean {
  return '@*#?-$!0'.includes(ch);
}

/** Expands words like BuildKit's shell.Lex; create one per escape token. */
export class ShellLex {
  /** Keep quote characters in the result. */
  rawQuotes = false;
  /** Keep escape characters in the result. */
  rawEscapes = false;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes = false;
  /** Leave references to unset variables as written. */
  skipUnsetEnv = false;

  constructor(readonly escapeToken: string = '\\') {
    if (escapeToken !== '\\' && escapeToken !== '`') {
      throw new Error(`invalid escape token '${escapeToken}' does not match \` or \\`);
    }
  }

  /** Expands variables and removes quoting; throws ShellLexError. */
  processWord(word: string, env: EnvSource): string {
    return this.process(word, env, true).result;
  }

  /** processWord plus the variables that were used (matched) and missing (unmatched). */
  processWordWithMatches(word: string, env: EnvSource): ProcessWordResult {
    return this.process(word, env, true);
  }

  /** Expands and splits into words at unquoted white space (after expansion). */
  processWords(word: string, env: EnvSource): string[] {
    return this.process(word, env, false).words;
  }

  private process(word: string, env: EnvSource, capture: boolean): ProcessWordResult {
    const sw = new ShellWord(this, word, toEnvGetter(env), capture);
    try {
      const [result, words] = sw.process();
      return { result, words, matched: sw.matched, unmatched: sw.unmatched };
    } catch (err) {
      if (err instanceof ShellLexError) throw new ShellLexError(`failed to process ${quote(word)}: ${err.message}`);
      throw err;
    }
  }
}
