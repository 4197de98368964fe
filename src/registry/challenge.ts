/** One authentication challenge from a `WWW-Authenticate` header (RFC 7235). */
export interface Challenge {
  /** Lower-case scheme: `bearer`, `basic`, … */
  scheme: string;
  /** Parameters with lower-case names: realm, service, scope, error, … */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses the challenges of one or more `WWW-Authenticate` header values. Several challenges may
 * share one value, separated by commas: `Basic realm="r", Bearer realm="x",service="y"`.
 * Malformed parts are skipped rather than failing the whole header.
 */
export function parseChallenges(values: string | string[] | undefined): Challenge[] {
  if (values === undefined) return [];
  const out: Challenge[] = [];
  for (const v of Array.isArray(values) ? values : [values]) parseOne(v, out);
  return out;
}

function parseOne(s: string, out: Challenge[]): void {
  let i = 0;
  const n = s.length;
  const skipWs = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    // s[i] is the opening quote
    i++;
    let v = '';
    while (i < n && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < n) i++;
      v += s[i];
      i++;
    }
    i++;
    return v;
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const name = token();
    if (name === '') {
      i++;
      continue;
    }
    skipWs();
    if (s[i] === '=' && current) {
      // A parameter of the current challenge, unless this is token68 ("abc==").
      i++;
      skipWs();
      const value = s[i] === '"' ? quoted() : token();
      current.params[name.toLowerCase()] = value;
      continue;
    }
    if (s[i] === '=' && !current) {
      i = start + name.length + 1;
      continue;
    }
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
  }
}
