import { invalidArgument } from '../image/errors.js';

/** Docker's filter arguments: name → values, as given with `--filter name=value`. */
export type Filters = Map<string, string[]>;

/** Parses `name=value` strings the way the Docker CLI does (name lower-cased, both trimmed). */
export function parseFilters(items: readonly string[]): Filters {
  const f: Filters = new Map();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) throw invalidArgument('bad format of filter (expected name=value)');
    const name = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim();
    f.set(name, [...(f.get(name) ?? []), value]);
  }
  return f;
}

export function validateFilters(f: Filters, accepted: readonly string[]): void {
  for (const name of f.keys()) {
    if (!accepted.includes(name)) throw invalidArgument(`Invalid filter '${name}'`);
  }
}

/**
 * Docker's `MatchKVList`: every `key` or `key=value` given must be present in the labels.
 */
export function matchLabels(values: readonly string[], labels: Record<string, string> | null | undefined): boolean {
  if (values.length === 0) return true;
  if (!labels) return false;
  return values.every((v) => {
    const eq = v.indexOf('=');
    if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, v);
    const k = v.slice(0, eq);
    return Object.prototype.hasOwnProperty.call(labels, k) && labels[k] === v.slice(eq + 1);
  });
}

/** For `label!=`: true when none of the given labels matches. */
export function matchNoLabels(values: readonly string[], labels: Record<string, string> | null | undefined): boolean {
  return values.every((v) => !matchLabels([v], labels));
}

/**
 * Docker's `until` filter value: a Unix timestamp (with optional fraction), an RFC 3339 date or
 * date-time, or a Go duration relative to now ("10m", "1h30m", "24h").
 */
export function parseTimestamp(value: string, now = Date.now()): number {
  const dur = parseGoDuration(value);
  if (dur !== undefined) return now - dur;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Math.round(parseFloat(value) * 1000);
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? value + 'T00:00:00' : value);
  if (Number.isNaN(t)) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  return t;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go time.Duration string in milliseconds, or undefined if it is not one. */
export function parseGoDuration(s: string): number | undefined {
  const m = s.match(/^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/);
  if (!m) return undefined;
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += parseFloat(part[1]!) * UNITS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}
