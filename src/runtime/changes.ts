/**
 * A container's file system changes, as `docker diff` lists them: A (added), C (changed),
 * D (deleted), a directory's line before the lines of what is inside it, and deletions after
 * the other changes of their directory. Names within a directory are in byte order (Docker's
 * own order there is Go's map order, i.e. random).
 *
 * With overlay, changes are read from the upper directory and compared with the lower view (the
 * image's layers and the container's init layer, mounted read-only) the way Docker's naive
 * differ compares stat data: a file copied up without a real change is not reported.
 * With copies, two whole trees are compared.
 */
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { loadNative } from '../archive/native.js';
import { OVERLAY_OPAQUE_XATTR } from '../archive/whiteout.js';

export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  kind: ChangeKind;
  path: string;
}

/** Docker's numeric Kind: 0 modify, 1 add, 2 delete. */
export function changeKindNumber(k: ChangeKind): number {
  return k === 'C' ? 0 : k === 'A' ? 1 : 2;
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort(byteOrder);
  } catch {
    return [];
  }
}

function lst(p: string): BigIntStats | undefined {
  return lstatSync(p, { bigint: true, throwIfNoEntry: false });
}

const S_IFMT = 0o170000n;
const S_IFDIR = 0o040000n;
const S_IFCHR = 0o020000n;

const isDir = (s: BigIntStats) => (s.mode & S_IFMT) === S_IFDIR;

function isWhiteout(s: BigIntStats): boolean {
  return (s.mode & S_IFMT) === S_IFCHR && s.rdev === 0n;
}

/** Go's sameFsTime: equal, or same second with either side lacking nanoseconds. */
function sameTime(a: bigint, b: bigint): boolean {
  if (a === b) return true;
  const s = 1_000_000_000n;
  return a / s === b / s && (a % s === 0n || b % s === 0n);
}

/** archive.statDifferent: mode, owner, device; for non-directories also mtime and size. */
export function statDifferent(o: BigIntStats, n: BigIntStats): boolean {
  if (o.mode !== n.mode || o.uid !== n.uid || o.gid !== n.gid || o.rdev !== n.rdev) return true;
  if (!isDir(o) && (!sameTime(o.mtimeNs, n.mtimeNs) || o.size !== n.size)) return true;
  return false;
}

function join(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Paths of every entry below an added directory, as A lines. */
function addAll(root: string, dir: string, out: Change[]): void {
  for (const name of list(root + dir)) {
    const p = join(dir, name);
    const s = lst(root + p);
    if (!s) continue;
    out.push({ kind: 'A', path: p });
    if (isDir(s)) addAll(root, p, out);
  }
}

/**
 * Changes recorded in an overlay upper directory, compared against `lower`, the merged view of
 * the layers below it (a read-only mount, or a plain directory).
 */
export function overlayChanges(upper: string, lower: string): Change[] {
  const native = loadNative();
  const out: Change[] = [];
  const walk = (dir: string): void => {
    const deletions: Change[] = [];
    const present = new Set<string>();
    for (const name of list(upper + (dir === '/' ? '' : dir))) {
      const p = join(dir, name);
      const s = lst(upper + p);
      if (!s) continue;
      present.add(name);
      const old = lst(lower + p);
      if (isWhiteout(s)) {
        if (old) deletions.push({ kind: 'D', path: p });
        continue;
      }
      if (!old) {
        out.push({ kind: 'A', path: p });
        if (isDir(s)) addAll(upper, p, out);
        continue;
      }
      if (isDir(s) && isDir(old)) {
        const at = out.length;
        walk(p);
        if (native.lgetxattr(upper + p, OVERLAY_OPAQUE_XATTR)?.toString('latin1') === 'y') {
          // A directory deleted and made again: what the layers below had is gone.
          const inside = new Set(list(upper + p));
          for (const child of list(lower + p)) if (!inside.has(child)) out.push({ kind: 'D', path: join(p, child) });
        }
        if (statDifferent(old, s) || out.length > at) out.splice(at, 0, { kind: 'C', path: p });
        continue;
      }
      if (statDifferent(old, s) || isDir(s) !== isDir(old)) {
        out.push({ kind: 'C', path: p });
        if (isDir(s)) addAll(upper, p, out);
      }
    }
    out.push(...deletions);
  };
  walk('/');
  return out;
}

/**
 * Changes between two whole trees (the copy snapshotter): `newer` against `older`. Paths for
 * which `ignore` returns true are left out when unchanged from what it expects.
 */
export function treeChanges(newer: string, older: string, ignore?: (path: string, s: BigIntStats) => boolean): Change[] {
  const out: Change[] = [];
  const walk = (dir: string): void => {
    const rel = dir === '/' ? '' : dir;
    const newNames = list(newer + rel);
    const oldNames = new Set(list(older + rel));
    for (const name of newNames) {
      const p = join(dir, name);
      const s = lst(newer + p);
      if (!s) continue;
      const old = oldNames.has(name) ? lst(older + p) : undefined;
      oldNames.delete(name);
      if (!old) {
        if (ignore?.(p, s)) continue;
        out.push({ kind: 'A', path: p });
        if (isDir(s)) addAll(newer, p, out);
        continue;
      }
      if (isDir(s) && isDir(old)) {
        const at = out.length;
        walk(p);
        if (statDifferent(old, s) || out.length > at) out.splice(at, 0, { kind: 'C', path: p });
        continue;
      }
      if (statDifferent(old, s)) {
        out.push({ kind: 'C', path: p });
        if (isDir(s)) addAll(newer, p, out);
      }
    }
    for (const name of [...oldNames].sort(byteOrder)) out.push({ kind: 'D', path: join(dir, name) });
  };
  walk('/');
  return out;
}

/** Sum of the sizes of regular files below dir (Docker's directory.Size for an upper dir). */
export function directorySize(dir: string): number {
  let n = 0;
  const seen = new Set<bigint>();
  const walk = (d: string) => {
    for (const name of list(d)) {
      const p = `${d}/${name}`;
      const s = lst(p);
      if (!s) continue;
      if (isDir(s)) walk(p);
      else if (s.isFile()) {
        if (s.nlink > 1n) {
          if (seen.has(s.ino)) continue;
          seen.add(s.ino);
        }
        n += Number(s.size);
      }
    }
  };
  walk(dir);
  return n;
}
