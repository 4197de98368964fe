/**
 * overlayfs mounts of snapshots. The lower directories go into one mount option that the
 * kernel limits to a page, so snapshots are named by short base-36 numbers and listed relative
 * to the snapshots directory (the mount is made with that as working directory): 500 layers
 * take about 2 KiB. The kernel also caps one mount at 500 lower layers; beyond that, the
 * bottom layers are first mounted read-only and that mount becomes one lower layer.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MNT_DETACH, runtimeNative } from './native.js';
import { BerthError } from '../image/errors.js';
import { mountPointsUnder, readMountInfo } from '../store/mountinfo.js';

/** The kernel's OVL_MAX_STACK. */
const MAX_LOWER = 500;

function escapeOpt(p: string): string {
  return p.replace(/[\\,:]/g, (c) => '\\' + c);
}

export interface OverlayLayout {
  /** Directory the relative lower names are resolved in (the snapshots directory). */
  base: string;
  /** Lower directories, top first: names relative to base, or absolute paths. */
  lowers: string[];
  upper?: string;
  work?: string;
  target: string;
  /** Where stacked intermediate mounts go (for more than 500 lower layers). */
  stackDir?: string;
}

function rel(base: string, p: string): string {
  if (!p.startsWith('/')) return p;
  const r = relative(base, p);
  return r.length < p.length ? r : p;
}

function mountOnce(base: string, lowers: string[], upper: string | undefined, work: string | undefined, target: string, readonly: boolean): void {
  const n = runtimeNative();
  const parts = [`lowerdir=${lowers.map((l) => escapeOpt(rel(base, l))).join(':')}`];
  if (upper && work) parts.push(`upperdir=${escapeOpt(rel(base, upper))}`, `workdir=${escapeOpt(rel(base, work))}`);
  const extra = ['index=off', 'redirect_dir=off', 'metacopy=off'];
  mkdirSync(target, { recursive: true });
  const flags = readonly ? 1 : 0;
  try {
    n.mount('overlay', target, 'overlay', flags, [...parts, ...extra].join(','), base);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw wrap(err, target);
    try {
      n.mount('overlay', target, 'overlay', flags, parts.join(','), base);
    } catch (err2) {
      throw wrap(err2, target);
    }
  }
}

function wrap(err: unknown, target: string): BerthError {
  return new BerthError('internal', `error mounting overlay at ${target}: ${(err as Error).message}`, { cause: err });
}

/** Mounts an overlay (stacking when there are more lower layers than one mount takes). */
export function mountOverlay(l: OverlayLayout): void {
  let lowers = [...l.lowers];
  if (lowers.length === 1 && !l.upper) throw new BerthError('internal', 'an overlay needs two lower layers or an upper layer');
  let level = 0;
  // Fold the bottom layers into read-only mounts until the rest fit in one mount.
  while (lowers.length > MAX_LOWER) {
    if (!l.stackDir) throw new BerthError('internal', `more than ${MAX_LOWER} layers need a stack directory`);
    const take = Math.min(MAX_LOWER, lowers.length - MAX_LOWER + 1);
    const bottom = lowers.slice(lowers.length - take);
    const target = join(l.stackDir, `s${level++}`);
    if (!isMountPoint(target)) mountOnce(l.base, bottom, undefined, undefined, target, true);
    lowers = [...lowers.slice(0, lowers.length - take), target];
  }
  mountOnce(l.base, lowers, l.upper, l.work, l.target, false);
}

export function isMountPoint(p: string): boolean {
  return readMountInfo().some((m) => m.mountPoint === p);
}

/** Unmounts everything at or below dir, deepest first; lazily, so busy mounts cannot block. */
export function unmountAll(dir: string): void {
  const n = runtimeNative();
  for (const p of mountPointsUnder(dir)) {
    try {
      n.umount(p, MNT_DETACH);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOENT') throw err;
    }
  }
}
