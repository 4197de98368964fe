// .dockerignore: the file format of moby's dockerignore.ReadAll and the matching of
// moby/patternmatcher (MatchesOrParentMatches), which both the classic builder and BuildKit use.

import { posix } from 'node:path';
import { invalidArgument } from '../image/errors.js';

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface Pattern {
  exclusion: boolean;
  cleaned: string;
  matchType: MatchType;
  regexp?: RegExp;
}

/** Go's filepath.Clean on slash paths ('' becomes '.'). */
export function goClean(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(part);
  }
  const s = (abs ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

const REGEXP_SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

function compile(p: Pattern): void {
  let re = '^';
  let type: MatchType = 'exact';
  const chars = [...p.cleaned];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        const start = i;
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        // A leading "**" is a suffix match unless later wildcards make it a regexp.
        if (start === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (REGEXP_SPECIAL.has(ch)) {
      re += '\\' + ch;
    } else if (ch === '\\') {
      if (i + 1 < chars.length) {
        const next = chars[++i]!;
        re += /[A-Za-z0-9]/.test(next) ? next : '\\' + next;
      } else re += '\\\\';
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else re += ch;
  }
  p.matchType = type;
  if (type === 'regexp') {
    try {
      p.regexp = new RegExp(re + '$', 's');
    } catch {
      throw invalidArgument(`syntax error in pattern`);
    }
  }
}

function matchOne(p: Pattern, path: string): boolean {
  switch (p.matchType) {
    case 'exact':
      return path === p.cleaned;
    case 'prefix':
      return path.startsWith(p.cleaned.slice(0, -2));
    case 'suffix': {
      const suffix = p.cleaned.slice(2);
      if (path.endsWith(suffix)) return true;
      return suffix.startsWith('/') && path === suffix.slice(1);
    }
    case 'regexp':
      return p.regexp!.test(path);
  }
}

/** Docker's PatternMatcher over slash-separated paths relative to the context root. */
export class PatternMatcher {
  private readonly patterns: Pattern[] = [];
  readonly hasExclusions: boolean;

  constructor(patterns: readonly string[]) {
    let excl = false;
    for (let raw of patterns) {
      raw = raw.trim();
      if (raw === '') continue;
      let p = goClean(raw);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw invalidArgument('illegal exclusion pattern: "!"');
        exclusion = true;
        excl = true;
        p = p.slice(1);
      }
      if (/\[[^\]]*$/.test(p)) throw invalidArgument('syntax error in pattern');
      const pat: Pattern = { exclusion, cleaned: p, matchType: 'exact' };
      compile(pat);
      this.patterns.push(pat);
    }
    this.hasExclusions = excl;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether the path, or one of its parent directories, is excluded (MatchesOrParentMatches). */
  matches(file: string): boolean {
    let matched = false;
    const parent = posix.dirname(file);
    const parentDirs = parent.split('/');
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let m = matchOne(p, file);
      if (!m && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !m; i++) m = matchOne(p, parentDirs.slice(0, i + 1).join('/'));
      }
      if (m) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * Whether an excluded directory must still be walked because an exception pattern may
   * re-include something below it (the walk of Docker's TarWithOptions).
   */
  mustDescend(dir: string): boolean {
    if (!this.hasExclusions) return false;
    const dirSlash = dir + '/';
    return this.patterns.some((p) => p.exclusion && (p.cleaned + '/').startsWith(dirSlash));
  }
}

/** Parses a .dockerignore file as dockerignore.ReadAll does. */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (i === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.startsWith('#')) return;
    let pattern = line.trim();
    if (pattern === '') return;
    let invert = false;
    if (pattern.startsWith('!')) {
      if (pattern.length === 1) throw invalidArgument('illegal exclusion pattern: "!"');
      pattern = pattern.slice(1).trim();
      invert = true;
    }
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? '!' + pattern : pattern);
  });
  return out;
}
