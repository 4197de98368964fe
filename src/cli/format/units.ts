// docker/go-units (v0.5.0, as vendored by docker/cli 28): human-readable sizes and durations.

import { sprintf } from './gofmt.js';
import { formatFloat, parseGoFloat } from './strconv.js';
import { GoFloat } from './values.js';

const DECIMAL_ABBRS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_ABBRS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: readonly string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]];
}

/** units.CustomSize: format gets the scaled size (a float64) and the unit. */
export function customSize(format: string, size: number, base: number, units: readonly string[]): string {
  const [v, unit] = sizeAndUnit(size, base, units);
  return sprintf(format, new GoFloat(v), unit);
}

/** units.HumanSizeWithPrecision: decimal units, `precision` significant digits ("1.99MB", "0B"). */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [v, unit] = sizeAndUnit(size, 1000, DECIMAL_ABBRS);
  return formatFloat(v, 'g', precision) + unit;
}

/** units.HumanSize: four significant digits ("1.986MB"). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** units.BytesSize: binary units ("1.894MiB"). */
export function bytesSize(size: number): string {
  return customSize('%.4g%s', size, 1024, BINARY_ABBRS);
}

const DECIMAL_MAP: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const BINARY_MAP: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

export class UnitsError extends Error {
  override name = 'UnitsError';
}

function parseSize(sizeStr: string, unitMap: Record<string, number>): number {
  let sep = -1;
  for (let i = sizeStr.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(sizeStr[i])) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new UnitsError(`invalid size: '${sizeStr}'`);
  const num = sizeStr[sep] !== ' ' ? sizeStr.slice(0, sep + 1) : sizeStr.slice(0, sep);
  let sfx = sizeStr.slice(sep + 1);
  let size = parseGoFloat(num);
  if (size === undefined) throw new UnitsError(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  if (size < 0) throw new UnitsError(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = (): never => {
    throw new UnitsError(`invalid suffix: '${sfx}'`);
  };
  if (Buffer.byteLength(sfx) > 3) bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) bad();
    return Math.trunc(size);
  }
  const mul = Object.prototype.hasOwnProperty.call(unitMap, sfx[0]) ? unitMap[sfx[0]] : undefined;
  if (mul === undefined) bad();
  size *= mul!;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) bad();
  return Math.trunc(size);
}

/** units.FromHumanSize: "44kB", "17MB" (decimal). */
export function fromHumanSize(size: string): number {
  return parseSize(size, DECIMAL_MAP);
}

/** units.RAMInBytes: "44k", "17MiB", "1g" (binary, case-insensitive, 'b' optional). */
export function ramInBytes(size: string): number {
  return parseSize(size, BINARY_MAP);
}

/** units.HumanDuration for a duration in milliseconds ("About a minute", "3 days"). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

/**
 * docker/cli's CreatedSince: HumanDuration(now - created) + " ago", for a creation time in
 * Unix seconds ("Less than a second ago", "3 minutes ago").
 */
export function timeAgo(createdUnixSeconds: number, nowMs: number = Date.now()): string {
  return humanDuration(nowMs - createdUnixSeconds * 1000) + ' ago';
}
