// Go's time formatting as docker/cli uses it: Time.String() ("2006-01-02 15:04:05 -0700 MST"),
// RFC3339 and RFC3339Nano, in Go's Local zone (TZ, /etc/localtime and the zoneinfo database
// read the way Go reads them) or UTC.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { GO_MARSHAL_JSON, GO_STRING, GO_TYPE } from './values.js';

export interface Zone {
  name: string;
  /** Seconds east of UTC. */
  offset: number;
}

export interface Location {
  readonly name: string;
  lookup(unixSec: number): Zone;
}

export const UTC: Location = { name: 'UTC', lookup: () => ({ name: 'UTC', offset: 0 }) };

// ---- TZif ----

interface ZoneType {
  offset: number;
  isDST: boolean;
  name: string;
}

interface Rule {
  kind: 'julian' | 'doy' | 'mwd';
  day: number;
  week: number;
  mon: number;
  time: number;
}

class TzifLocation implements Location {
  constructor(
    readonly name: string,
    private readonly zones: ZoneType[],
    private readonly transitions: Array<{ when: number; index: number }>,
    private readonly extend: string,
  ) {}

  lookup(sec: number): Zone {
    const tx = this.transitions;
    if (this.zones.length === 0) return { name: 'UTC', offset: 0 };
    if (tx.length === 0 || sec < tx[0].when) {
      const z = this.zones[this.firstZone()];
      return { name: z.name, offset: z.offset };
    }
    if (sec >= tx[tx.length - 1].when && this.extend !== '') {
      const z = tzset(this.extend, sec);
      if (z) return z;
    }
    let lo = 0;
    let hi = tx.length;
    while (hi - lo > 1) {
      const m = (lo + hi) >> 1;
      if (sec < tx[m].when) hi = m;
      else lo = m;
    }
    const z = this.zones[tx[lo].index];
    return { name: z.name, offset: z.offset };
  }

  // Go's lookupFirstZone: the zone in effect before the first transition.
  private firstZone(): number {
    const tx = this.transitions;
    const used = tx.some((t) => t.index === 0);
    if (!used) return 0;
    if (tx.length > 0 && this.zones[tx[0].index].isDST) {
      for (let zi = tx[0].index - 1; zi >= 0; zi--) if (!this.zones[zi].isDST) return zi;
    }
    for (let zi = 0; zi < this.zones.length; zi++) if (!this.zones[zi].isDST) return zi;
    return 0;
  }
}

/** Parses TZif data (RFC 8536), as Go's LoadLocationFromTZData. */
export function parseTzif(name: string, data: Buffer): Location {
  if (data.length < 44 || data.toString('latin1', 0, 4) !== 'TZif') throw new Error('malformed time zone information');
  const version = data[4];
  const header = (at: number): number[] => [0, 1, 2, 3, 4, 5].map((i) => data.readUInt32BE(at + 20 + 4 * i));
  let [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = header(0);
  let timeSize = 4;
  let p = 44;
  if (version >= 0x32) {
    p += timecnt * 4 + timecnt + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt;
    [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = header(p);
    p += 44;
    timeSize = 8;
  }
  const times: number[] = [];
  for (let i = 0; i < timecnt; i++) {
    times.push(timeSize === 8 ? Number(data.readBigInt64BE(p)) : data.readInt32BE(p));
    p += timeSize;
  }
  const indexes: number[] = [];
  for (let i = 0; i < timecnt; i++) indexes.push(data[p++]);
  const raw: Array<{ offset: number; isDST: boolean; abbr: number }> = [];
  for (let i = 0; i < typecnt; i++) {
    raw.push({ offset: data.readInt32BE(p), isDST: data[p + 4] !== 0, abbr: data[p + 5] });
    p += 6;
  }
  const chars = data.subarray(p, p + charcnt);
  p += charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt;
  const zones = raw.map((z) => {
    const end = chars.indexOf(0, z.abbr);
    return { offset: z.offset, isDST: z.isDST, name: chars.toString('latin1', z.abbr, end < 0 ? chars.length : end) };
  });
  let extend = '';
  if (timeSize === 8 && p < data.length && data[p] === 0x0a) {
    const end = data.indexOf(0x0a, p + 1);
    if (end > p) extend = data.toString('latin1', p + 1, end);
  }
  const transitions = times.map((when, i) => ({ when, index: indexes[i] }));
  return new TzifLocation(name, zones, transitions, extend);
}

// ---- POSIX TZ rules (the TZif footer) ----

function tzsetName(s: string): [string, string] | undefined {
  if (s.length < 3) return undefined;
  if (s[0] !== '<') {
    let i = 0;
    while (i < s.length && !/[0-9,+-]/.test(s[i])) i++;
    return i < 3 ? undefined : [s.slice(0, i), s.slice(i)];
  }
  const end = s.indexOf('>');
  return end < 0 ? undefined : [s.slice(1, end), s.slice(end + 1)];
}

function tzsetOffset(s: string): [number, string] | undefined {
  const m = /^([+-]?)(\d{1,3})(?::(\d{2})(?::(\d{2}))?)?/.exec(s);
  if (!m) return undefined;
  let off = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  if (m[1] === '-') off = -off;
  return [off, s.slice(m[0].length)];
}

function tzsetRule(s: string): [Rule, string] | undefined {
  let m: RegExpExecArray | null;
  let rule: Rule;
  if ((m = /^J(\d+)/.exec(s))) rule = { kind: 'julian', day: Number(m[1]), week: 0, mon: 0, time: 0 };
  else if ((m = /^M(\d+)\.(\d)\.(\d)/.exec(s))) rule = { kind: 'mwd', mon: Number(m[1]), week: Number(m[2]), day: Number(m[3]), time: 0 };
  else if ((m = /^(\d+)/.exec(s))) rule = { kind: 'doy', day: Number(m[1]), week: 0, mon: 0, time: 0 };
  else return undefined;
  let rest = s.slice(m[0].length);
  rule.time = 2 * 3600;
  if (rest[0] === '/') {
    const off = tzsetOffset(rest.slice(1));
    if (!off) return undefined;
    [rule.time, rest] = off;
  }
  return [rule, rest];
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

// Seconds from the start of the (UTC) year to the rule's transition.
function ruleTime(year: number, r: Rule, off: number): number {
  let day: number;
  switch (r.kind) {
    case 'julian':
      day = r.day - 1 + (isLeap(year) && r.day >= 60 ? 1 : 0);
      break;
    case 'doy':
      day = r.day;
      break;
    case 'mwd': {
      const first = new Date(Date.UTC(year, r.mon - 1, 1)).getUTCDay();
      let d = r.day - first;
      if (d < 0) d += 7;
      const daysIn = new Date(Date.UTC(year, r.mon, 0)).getUTCDate();
      for (let i = 1; i < r.week; i++) {
        if (d + 7 >= daysIn) break;
        d += 7;
      }
      day = (Date.UTC(year, r.mon - 1, 1) - Date.UTC(year, 0, 1)) / 86400000 + d;
    }
  }
  return day * 86400 + r.time - off;
}

/** Zone for time sec under a POSIX TZ string like "CET-1CEST,M3.5.0,M10.5.0/3". */
export function tzset(s: string, sec: number): Zone | undefined {
  const std = tzsetName(s);
  if (!std) return undefined;
  const [stdName, afterStd] = std;
  const stdOff = tzsetOffset(afterStd);
  if (!stdOff) return undefined;
  const stdOffset = -stdOff[0];
  let rest = stdOff[1];
  if (rest === '' || rest[0] === ',') return { name: stdName, offset: stdOffset };
  const dst = tzsetName(rest);
  if (!dst) return undefined;
  const dstName = dst[0];
  rest = dst[1];
  let dstOffset = stdOffset + 3600;
  if (rest !== '' && rest[0] !== ',') {
    const o = tzsetOffset(rest);
    if (!o) return undefined;
    dstOffset = -o[0];
    rest = o[1];
  }
  if (rest === '') rest = ',M3.2.0,M11.1.0';
  if (rest[0] !== ',') return undefined;
  const start = tzsetRule(rest.slice(1));
  if (!start || start[1][0] !== ',') return undefined;
  const end = tzsetRule(start[1].slice(1));
  if (!end || end[1] !== '') return undefined;

  const year = new Date(sec * 1000).getUTCFullYear();
  const ysec = sec - Date.UTC(year, 0, 1) / 1000;
  let startSec = ruleTime(year, start[0], stdOffset);
  let endSec = ruleTime(year, end[0], dstOffset);
  let inner = { name: dstName, offset: dstOffset };
  let outer = { name: stdName, offset: stdOffset };
  if (endSec < startSec) {
    [startSec, endSec] = [endSec, startSec];
    [inner, outer] = [outer, inner];
  }
  return ysec < startSec || ysec >= endSec ? outer : inner;
}

// ---- Go's Local ----

const ZONE_SOURCES = ['/usr/share/zoneinfo/', '/usr/share/lib/zoneinfo/', '/usr/lib/locale/TZ/', '/etc/zoneinfo/'];

/** time.LoadLocation from the system zoneinfo database. */
export function loadLocation(name: string): Location {
  if (name === '' || name === 'UTC') return UTC;
  if (name.includes('..') || name.startsWith('/')) throw new Error(`time: invalid location name`);
  const dirs = process.env.ZONEINFO ? [process.env.ZONEINFO, ...ZONE_SOURCES] : ZONE_SOURCES;
  for (const dir of dirs) {
    try {
      return parseTzif(name, readFileSync(join(dir, name)));
    } catch {
      // try the next source
    }
  }
  throw new Error(`unknown time zone ${name}`);
}

let local: Location | undefined;

/** Go's time.Local: $TZ if set (empty or "UTC" meaning UTC), else /etc/localtime, else UTC. */
export function localLocation(): Location {
  if (local) return local;
  local = resolveLocal(process.env.TZ);
  return local;
}

/** Forgets the cached Local zone (after changing TZ, e.g. in tests). */
export function resetLocalLocation(): void {
  local = undefined;
}

function resolveLocal(tz: string | undefined): Location {
  try {
    if (tz === undefined) return parseTzif('Local', readFileSync('/etc/localtime'));
    if (tz.startsWith(':')) tz = tz.slice(1);
    if (tz.startsWith('/')) return parseTzif(tz === '/etc/localtime' ? 'Local' : tz, readFileSync(tz));
    if (tz !== '' && tz !== 'UTC') return loadLocation(tz);
  } catch {
    // Go falls back to UTC when the zone cannot be loaded.
  }
  return UTC;
}

// ---- formatting ----

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const RFC3339 = '2006-01-02T15:04:05Z07:00';
export const RFC3339Nano = '2006-01-02T15:04:05.999999999Z07:00';
/** The layout of Go's Time.String(). */
export const TimeStringLayout = '2006-01-02 15:04:05.999999999 -0700 MST';

type Token =
  | { lit: string }
  | { std: string; digits?: number; trim?: boolean; sep?: string };

const STD_PREFIXES = [
  'January', 'Jan', 'Monday', 'Mon', 'MST',
  '2006', '-07:00:00', '-070000', '-07:00', '-0700', '-07',
  'Z07:00:00', 'Z070000', 'Z07:00', 'Z0700', 'Z07',
  '002', '__2', '_2', '01', '02', '03', '04', '05', '06', '15', 'PM', 'pm',
  '1', '2', '3', '4', '5',
];

function tokenize(layout: string): Token[] {
  const out: Token[] = [];
  let lit = '';
  let i = 0;
  outer: while (i < layout.length) {
    const c = layout[i];
    if ((c === '.' || c === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const ch = layout[i + 1];
      let j = i + 1;
      while (j < layout.length && layout[j] === ch) j++;
      if (!/[0-9]/.test(layout[j] ?? '')) {
        if (lit) out.push({ lit });
        lit = '';
        out.push({ std: 'frac', digits: j - i - 1, trim: ch === '9', sep: c });
        i = j;
        continue;
      }
    }
    for (const p of STD_PREFIXES) {
      if (!layout.startsWith(p, i)) continue;
      // "Jan"/"Mon" only count when not followed by a lower-case letter; "2006"-style years and
      // the digit codes are taken greedily as Go does.
      if ((p === 'Jan' || p === 'Mon') && /[a-z]/.test(layout[i + 3] ?? '')) continue;
      if (lit) out.push({ lit });
      lit = '';
      out.push({ std: p });
      i += p.length;
      continue outer;
    }
    lit += c;
    i++;
  }
  if (lit) out.push({ lit });
  return out;
}

function pad(n: number, w: number): string {
  const s = String(Math.abs(n)).padStart(w, '0');
  return n < 0 ? '-' + s : s;
}

/** Formats a time (Unix seconds + nanoseconds) with a Go layout in a location. */
export function formatGoTime(layout: string, unixSec: number, nsec = 0, loc: Location = localLocation()): string {
  const zone = loc.lookup(unixSec);
  const d = new Date((unixSec + zone.offset) * 1000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = d.getUTCDate();
  const hour = d.getUTCHours();
  const min = d.getUTCMinutes();
  const sec = d.getUTCSeconds();
  const yday = Math.round((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86400000) + 1;
  let out = '';
  for (const t of tokenize(layout)) {
    if ('lit' in t) {
      out += t.lit;
      continue;
    }
    switch (t.std) {
      case 'January':
        out += MONTHS[month];
        break;
      case 'Jan':
        out += MONTHS[month].slice(0, 3);
        break;
      case 'Monday':
        out += DAYS[d.getUTCDay()];
        break;
      case 'Mon':
        out += DAYS[d.getUTCDay()].slice(0, 3);
        break;
      case '2006':
        out += pad(year, 4);
        break;
      case '06':
        out += pad(year % 100, 2);
        break;
      case '01':
        out += pad(month + 1, 2);
        break;
      case '1':
        out += String(month + 1);
        break;
      case '02':
        out += pad(day, 2);
        break;
      case '_2':
        out += String(day).padStart(2, ' ');
        break;
      case '2':
        out += String(day);
        break;
      case '002':
        out += pad(yday, 3);
        break;
      case '__2':
        out += String(yday).padStart(3, ' ');
        break;
      case '15':
        out += pad(hour, 2);
        break;
      case '03':
        out += pad(hour % 12 === 0 ? 12 : hour % 12, 2);
        break;
      case '3':
        out += String(hour % 12 === 0 ? 12 : hour % 12);
        break;
      case '04':
        out += pad(min, 2);
        break;
      case '4':
        out += String(min);
        break;
      case '05':
        out += pad(sec, 2);
        break;
      case '5':
        out += String(sec);
        break;
      case 'PM':
        out += hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += hour >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += zone.name !== '' ? zone.name : offsetText(zone.offset, false, false, false);
        break;
      case 'frac': {
        let digits = String(nsec).padStart(9, '0').slice(0, t.digits);
        if (t.trim) digits = digits.replace(/0+$/, '');
        if (digits !== '') out += t.sep + digits;
        break;
      }
      default: {
        // Zone offsets: -0700, -07:00, -07, -070000, -07:00:00 and the Z variants.
        const z = t.std.startsWith('Z');
        if (z && zone.offset === 0) {
          out += 'Z';
          break;
        }
        const body = z ? t.std.slice(1) : t.std.slice(1);
        out += offsetText(zone.offset, body.includes(':'), body.length <= 2, body.replaceAll(':', '').length === 6);
      }
    }
  }
  return out;
}

function offsetText(offset: number, colon: boolean, hoursOnly: boolean, seconds: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const h = Math.trunc(abs / 3600);
  const m = Math.trunc(abs / 60) % 60;
  const s = abs % 60;
  let out = sign + pad(h, 2);
  if (hoursOnly) return out;
  out += (colon ? ':' : '') + pad(m, 2);
  if (seconds) out += (colon ? ':' : '') + pad(s, 2);
  return out;
}

/** Go's Time.String() for time.Unix(sec, nsec) in Local: "2026-11-25 20:47:59 +0000 UTC". */
export function goTimeString(unixSec: number, nsec = 0, loc: Location = localLocation()): string {
  return formatGoTime(TimeStringLayout, unixSec, nsec, loc);
}

/** t.Format(time.RFC3339): "2026-11-25T20:47:56Z". */
export function formatRFC3339(unixSec: number, loc: Location = localLocation()): string {
  return formatGoTime(RFC3339, unixSec, 0, loc);
}

/** t.Format(time.RFC3339Nano), trailing zeros of the fraction trimmed. */
export function formatRFC3339Nano(unixSec: number, nsec = 0, loc: Location = localLocation()): string {
  return formatGoTime(RFC3339Nano, unixSec, nsec, loc);
}

/**
 * A time.Time value for template data: prints as Time.String() ("2026-11-25 20:47:56.494655803
 * +0000 UTC") and marshals as RFC3339Nano, as Go's time.Time does.
 */
export function goTime(unixSec: number, nsec = 0, loc: Location = UTC): object {
  const t = {};
  Object.defineProperty(t, GO_TYPE, { value: 'time.Time' });
  Object.defineProperty(t, GO_STRING, { value: () => goTimeString(unixSec, nsec, loc) });
  Object.defineProperty(t, GO_MARSHAL_JSON, { value: () => JSON.stringify(formatRFC3339Nano(unixSec, nsec, loc)) });
  return t;
}

/** A zone at a fixed offset with no name, as time.Parse creates for numeric offsets. */
export function fixedZone(name: string, offset: number): Location {
  return { name, lookup: () => ({ name, offset }) };
}

/** Parses an RFC 3339 timestamp (up to nanoseconds) into a goTime; "Z" is UTC, offsets stay fixed. */
export function parseGoTime(rfc3339: string): object {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(rfc3339);
  if (!m) throw new Error(`parsing time ${JSON.stringify(rfc3339)}: invalid RFC 3339 time`);
  const sec = Date.parse(m[1] + m[3]) / 1000;
  const offset = m[3] === 'Z' ? 0 : (m[4] === '-' ? -1 : 1) * (Number(m[5]) * 3600 + Number(m[6]) * 60);
  return goTime(sec, Number((m[2] ?? '').padEnd(9, '0')), m[3] === 'Z' ? UTC : fixedZone('', offset));
}
