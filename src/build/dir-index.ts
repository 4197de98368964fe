// A directory's files as a build sees them: walked once (with .dockerignore applied for the
// context), looked up by path, content-hashed with a metadata fast path.

import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { PatternMatcher } from './ignore.js';

/** Files up to this size are read whole and synchronously. */
export const SMALL_FILE = 1 << 20;

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface DirEntry {
  /** Slash path relative to the root ('' for the root itself). */
  rel: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  linkname?: string;
  /** dev:ino:size:mtime:ctime, to tell whether a remembered hash still holds. */
  sig: string;
}

/** Remembers file digests across builds, keyed by absolute path and checked by metadata. */
export interface FileHashCache {
  get(path: string, sig: string): string | undefined;
  put(path: string, sig: string, digest: string): void;
}

function typeOf(st: Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

function entryFrom(rel: string, abs: string, st: Stats): DirEntry {
  const type = typeOf(st);
  const e: DirEntry = {
    rel,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: type === 'file' ? st.size : 0,
    mtimeMs: st.mtimeMs,
    sig: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`,
  };
  if (type === 'symlink') e.linkname = readlinkSync(abs);
  return e;
}

export class DirIndex {
  readonly entries = new Map<string, DirEntry>();
  readonly children = new Map<string, string[]>();
  /** Bytes Docker's CLI would send for this context as a tar stream. */
  tarSize = 1024;
  private readonly digests = new Map<string, string>();

  constructor(
    readonly root: string,
    private readonly ignore?: PatternMatcher,
    private hashCache?: FileHashCache,
  ) {
    const st = lstatSync(root);
    this.entries.set('', entryFrom('', root, st));
    this.walk('');
  }

  private walk(dir: string): void {
    const abs = dir ? join(this.root, dir) : this.root;
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch {
      return;
    }
    names.sort();
    const kids: string[] = [];
    for (const name of names) {
      const rel = dir ? `${dir}/${name}` : name;
      const p = join(abs, name);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      const excluded = this.ignore !== undefined && !this.ignore.empty && this.ignore.matches(rel);
      if (excluded) {
        if (st.isDirectory() && this.ignore!.mustDescend(rel)) this.walk(rel);
        continue;
      }
      if (st.isSocket()) continue;
      const e = entryFrom(rel, p, st);
      this.entries.set(rel, e);
      kids.push(name);
      this.tarSize += 512 + (rel.length > 99 ? 1024 : 0) + Math.ceil(e.size / 512) * 512;
      if (e.type === 'dir') this.walk(rel);
    }
    // A directory walked only for its re-included children still needs its own entry.
    if (dir && !this.entries.has(dir)) {
      const st = lstatSync(abs);
      this.entries.set(dir, entryFrom(dir, abs, st));
      const parent = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
      const list = this.children.get(parent) ?? [];
      list.push(dir.slice(dir.lastIndexOf('/') + 1));
      list.sort();
      this.children.set(parent, list);
    }
    this.children.set(dir, kids);
  }

  /** Remembers digests across builds from now on (the index may have been walked before the store was open). */
  useHashCache(cache: FileHashCache): void {
    this.hashCache = cache;
  }

  get(rel: string): DirEntry | undefined {
    return this.entries.get(rel);
  }

  abs(rel: string): string {
    return rel ? join(this.root, rel) : this.root;
  }

  /** Entries below rel (not itself), depth-first in name order. */
  *descendants(rel: string): Generator<DirEntry> {
    for (const name of this.children.get(rel) ?? []) {
      const c = rel ? `${rel}/${name}` : name;
      const e = this.entries.get(c);
      if (!e) continue;
      yield e;
      if (e.type === 'dir') yield* this.descendants(c);
    }
  }

  /** sha256 of a regular file's content, remembered across builds when the metadata is unchanged. */
  async digest(e: DirEntry): Promise<string> {
    const known = this.digests.get(e.rel);
    if (known) return known;
    const abs = this.abs(e.rel);
    let d = this.hashCache?.get(abs, e.sig);
    if (!d) {
      const h = createHash('sha256');
      // Small files are read in one synchronous call: thousands of them would otherwise wait on
      // the thread pool one round trip at a time.
      if (e.size <= SMALL_FILE) h.update(readFileSync(abs));
      else for await (const c of createReadStream(abs, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
      d = h.digest('hex');
      this.hashCache?.put(abs, e.sig, d);
    }
    this.digests.set(e.rel, d);
    return d;
  }
}
