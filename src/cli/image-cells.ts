// The lines and cells of `images` worked out from a listing's columns, without the reference
// grammar or the format library, which the default table does not need to load.
import { refRepo, type ImageListing } from '../engine/listing.js';

export interface RefCell {
  repo: string;
  tag: string;
  digest: string;
}

const DANGLING: readonly RefCell[] = [{ repo: '<none>', tag: '<none>', digest: '<none>' }];

/**
 * The same lines for image i of a listing, from its stored references: those are valid,
 * normalized references, so the familiar name is derived directly instead of parsed back from
 * the familiar string.
 */
export function listingRefCells(l: ImageListing, i: number, withDigests: boolean): readonly RefCell[] {
  const start = l.refStart[i]!;
  const end = l.refStart[i + 1]!;
  if (start === end) return DANGLING;
  // Most often every reference is a tag of one repository: the lines are its tags, in order.
  const first = refRepo(l, start);
  let oneRepo = true;
  for (let r = start; r < end && oneRepo; r++) oneRepo = !l.refIsDigest[r] && (r === start || refRepo(l, r) === first);
  if (oneRepo) {
    const repo = l.refText.slice(l.refFamiliar[start]!, l.refSplit[start]!);
    const out: RefCell[] = [];
    for (let r = start; r < end; r++) out.push({ repo, tag: l.refText.slice(l.refSplit[r]! + 1, l.refTo[r]!), digest: '<none>' });
    return out;
  }
  const tagged: [string, string][] = [];
  const digested: [string, string][] = [];
  for (let r = start; r < end; r++) {
    const cell: [string, string] = [l.refText.slice(l.refFamiliar[r]!, l.refSplit[r]!), l.refText.slice(l.refSplit[r]! + 1, l.refTo[r]!)];
    if (l.refIsDigest[r]) digested.push(cell);
    else tagged.push(cell);
  }
  return cellsOf(tagged, digested, withDigests);
}

/**
 * docker/cli's imageFormatTaggedAndDigest from parsed (familiar name, tag) and (familiar name,
 * digest) pairs: repositories in sorted order (docker iterates a Go map, so its order is random).
 */
export function cellsOf(tagged: [string, string][], digested: [string, string][], withDigests: boolean): RefCell[] {
  const tags = new Map<string, string[]>();
  const digests = new Map<string, string[]>();
  for (const [name, tag] of tagged) {
    const l = tags.get(name);
    if (l) l.push(tag);
    else tags.set(name, [tag]);
  }
  for (const [name, digest] of digested) {
    const l = digests.get(name);
    if (l) l.push(digest);
    else digests.set(name, [digest]);
  }
  const out: RefCell[] = [];
  for (const repo of [...tags.keys()].sort()) {
    const ds = withDigests ? (digests.get(repo) ?? []) : [];
    digests.delete(repo);
    for (const tag of tags.get(repo)!) {
      if (ds.length === 0) out.push({ repo, tag, digest: '<none>' });
      else for (const d of ds) out.push({ repo, tag, digest: d });
    }
  }
  for (const repo of [...digests.keys()].sort()) {
    if (withDigests) for (const d of digests.get(repo)!) out.push({ repo, tag: '<none>', digest: d });
    else out.push({ repo, tag: '<none>', digest: '' });
  }
  return out;
}

/**
 * units.HumanDuration (docker/go-units) for a duration in milliseconds, in two steps so that a
 * listing can tell equal results apart without making the strings: durationKey packs the unit
 * and the count, durationText spells it. Tested against the format library's humanDuration.
 */
export function humanDuration(ms: number): string {
  return durationText(durationKey(ms));
}

const UNIT_TEXT = ['Less than a second', '1 second', ' seconds', 'About a minute', ' minutes', 'About an hour', ' hours', ' days', ' weeks', ' months', ' years'];

export function durationKey(ms: number): number {
  const at = (unit: number, n = 0) => unit + 16 * n;
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return at(0);
  if (seconds === 1) return at(1);
  if (seconds < 60) return at(2, seconds);
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return at(3);
  if (minutes < 60) return at(4, minutes);
  const hours = Math.trunc(ms / 3600000 + 0.5);
  if (hours === 1) return at(5);
  if (hours < 48) return at(6, hours);
  if (hours < 24 * 7 * 2) return at(7, Math.trunc(hours / 24));
  if (hours < 24 * 30 * 2) return at(8, Math.trunc(hours / 24 / 7));
  if (hours < 24 * 365 * 2) return at(9, Math.trunc(hours / 24 / 30));
  return at(10, Math.trunc(Math.trunc(ms / 3600000) / 24 / 365));
}

export function durationText(key: number): string {
  const unit = key % 16;
  const text = UNIT_TEXT[unit]!;
  return text.startsWith(' ') ? `${(key - unit) / 16}${text}` : text;
}

const DECIMAL_ABBRS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * units.HumanSizeWithPrecision(size, 3) ("1.99MB") without Go's strconv: JavaScript's
 * toPrecision rounds the exact binary value as Go does, except on exact ties (Go rounds half to
 * even, JavaScript up) and where rounding reaches 1000 (Go switches to exponent form); for those
 * it returns undefined and the caller uses the format library.
 */
export function humanSize3(size: number): string | undefined {
  let v = size;
  let i = 0;
  while (v >= 1000 && i < DECIMAL_ABBRS.length - 1) {
    v /= 1000;
    i++;
  }
  if (Number.isInteger(v) && v >= 0 && v < 1000) return v + DECIMAL_ABBRS[i]!;
  if (!(v >= 1 && v < 1000)) return undefined;
  // A tie has exactly four significant digits ending in 5; 21 digits tell ties from neighbours.
  const exact = v.toPrecision(21);
  const digits = exact.replace('.', '').replace(/^0+/, '');
  if (digits[3] === '5' && /^0*$/.test(digits.slice(4))) return undefined;
  const r = Number(v.toPrecision(3));
  if (r >= 1000) return undefined;
  return String(r) + DECIMAL_ABBRS[i]!;
}
