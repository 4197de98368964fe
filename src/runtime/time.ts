/** Wall-clock time with nanoseconds, formatted as Go's RFC 3339 (as Docker stores and prints it). */

const base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Nanoseconds since the epoch: wall clock at start plus the monotonic clock since. */
export function nowNs(): bigint {
  return base + process.hrtime.bigint();
}

/** RFC 3339 with nanoseconds; Go's RFC3339Nano trims trailing zeros, `fixed` keeps all nine. */
export function rfc3339Nano(ns: bigint, fixed = false): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString();
  let frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  if (!fixed) frac = frac.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? '.' + frac : ''}Z`;
}

/** Parses RFC 3339 (with up to nine fractional digits, Z or an offset) into nanoseconds. */
export function parseRfc3339(s: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return undefined;
  const secs = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(secs)) return undefined;
  return BigInt(secs) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Go's zero time.Time as Docker prints it for times never set. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Waits for p, or at most ms; the timer does not outlive the wait. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
