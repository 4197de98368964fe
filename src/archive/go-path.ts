/**
 * Slash-separated path helpers with the exact semantics of Go's `path` package, which
 * Docker's archive code (and therefore the names in Docker's tars) relies on.
 * Node's path.posix differs in corner cases (trailing slashes, empty results).
 */

export function goClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(comp);
  }
  const joined = (rooted ? '/' : '') + out.join('/');
  return joined === '' ? '.' : joined;
}

export function goJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  return parts.length === 0 ? '' : goClean(parts.join('/'));
}

/** Splits after the final slash: dir keeps its trailing slash, as in Go. */
export function goSplit(p: string): [dir: string, file: string] {
  const i = p.lastIndexOf('/');
  return [p.slice(0, i + 1), p.slice(i + 1)];
}

export function goBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export function goDir(p: string): string {
  const [dir] = goSplit(p);
  return goClean(dir);
}
