// "did you mean X?" hints appended to BuildKit errors (util/suggest).

import { toLower, toUpper } from './go-text.js';

function levenshtein(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[t.length];
}

function matchCase(val: string, orig: string): string {
  if (orig === toLower(orig)) return toLower(val);
  if (orig === toUpper(orig)) return toUpper(val);
  return val;
}

/** The closest option within edit distance 2, or '' (also '' when val is itself an option). */
export function suggest(val: string, options: readonly string[], caseSensitive: boolean): string {
  const orig = val;
  if (!caseSensitive) val = toLower(val);
  let match = '';
  let minDist = 3;
  // On a tie the first option wins (BuildKit's order is random where it passes a Go map).
  for (let opt of options) {
    if (!caseSensitive) opt = toLower(opt);
    if (val === opt) return '';
    const dist = levenshtein(val, opt);
    if (dist < minDist) {
      match = caseSensitive ? opt : matchCase(opt, orig);
      minDist = dist;
    }
  }
  return match;
}

/** Appends " (did you mean X?)" to message when there is a close option. */
export function withSuggestion(message: string, val: string, options: readonly string[], caseSensitive: boolean): string {
  const match = suggest(val, options, caseSensitive);
  return match ? `${message} (did you mean ${match}?)` : message;
}
