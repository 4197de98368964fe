/**
 * Go's path.Match: shell patterns where `*` and `?` never match `/`, `[...]` classes with ranges
 * and `^` negation, and `\` escaping. Returns an error for a malformed pattern, as Go does.
 */
export function pathMatch(pattern: string, name: string): boolean {
  return matchAt(pattern, 0, name, 0);
}

export class BadPatternError extends Error {
  constructor() {
    super('syntax error in pattern');
  }
}

function matchAt(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      while (p[pi] === '*') pi++;
      if (pi === p.length) return !s.slice(si).includes('/');
      for (let k = si; k <= s.length; k++) {
        if (matchAt(p, pi, s, k)) return true;
        if (s[k] === '/') break;
      }
      validateRest(p, pi);
      return false;
    }
    if (si >= s.length) {
      validateRest(p, pi);
      return false;
    }
    if (c === '?') {
      if (s[si] === '/') return false;
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      const r = matchClass(p, pi + 1, s[si]!);
      if (!r.matched) {
        validateRest(p, r.next);
        return false;
      }
      pi = r.next;
      si++;
      continue;
    }
    if (c === '\\') {
      pi++;
      if (pi >= p.length) throw new BadPatternError();
    }
    if (p[pi] !== s[si]) {
      validateRest(p, pi + 1);
      return false;
    }
    pi++;
    si++;
  }
  return si === s.length;
}

function matchClass(p: string, i: number, ch: string): { matched: boolean; next: number } {
  if (ch === '/') {
    // classes never match a separator; still need to find the end
  }
  let negated = false;
  if (p[i] === '^') {
    negated = true;
    i++;
  }
  let matched = false;
  let first = true;
  while (true) {
    if (i >= p.length) throw new BadPatternError();
    if (p[i] === ']' && !first) {
      i++;
      break;
    }
    first = false;
    let lo = p[i]!;
    if (lo === '\\') {
      i++;
      if (i >= p.length) throw new BadPatternError();
      lo = p[i]!;
    }
    i++;
    let hi = lo;
    if (p[i] === '-' && p[i + 1] !== ']') {
      i++;
      if (i >= p.length) throw new BadPatternError();
      hi = p[i]!;
      if (hi === '\\') {
        i++;
        if (i >= p.length) throw new BadPatternError();
        hi = p[i]!;
      }
      i++;
    }
    if (lo <= ch && ch <= hi) matched = true;
  }
  return { matched: (matched !== negated) && ch !== '/', next: i };
}

/** Go reports a bad pattern even when the mismatch happens before the bad part. */
function validateRest(p: string, i: number): void {
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      if (i + 1 >= p.length) throw new BadPatternError();
      i += 2;
    } else if (c === '[') {
      i = matchClass(p, i + 1, 'a').next;
    } else i++;
  }
}
