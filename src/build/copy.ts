// COPY and ADD as layers: sources matched in a directory (the context, or the files of another
// stage or image), destinations resolved in the image's filesystem, the layer described as
// entries — no container needed.

import { createHash } from 'node:crypto';
import { createReadStream, openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { posix } from 'node:path';
import type { LayerEntry } from '../archive/layer-writer.js';
import { invalidArgument, notFound } from '../image/errors.js';
import { SMALL_FILE, type DirEntry, type DirIndex } from './dir-index.js';
import type { FsIndex, FsNode } from './fs-index.js';
import { PatternMatcher, goClean } from './ignore.js';
import { isArchive } from './context.js';

export interface Owner {
  uid: number;
  gid: number;
}

/** One thing to copy: an entry of a source directory and where it lands relative to the destination. */
export interface SourceItem {
  index: DirIndex;
  entry: DirEntry;
  /** Path below the destination ('' for the destination itself). */
  target: string;
  /** The named source was a directory whose contents are copied. */
  contents: boolean;
  /** A source named by the instruction (or matched by its wildcard), not something below one. */
  top: boolean;
}

/** Inline file content (COPY <<EOF, ADD from a URL). */
export interface InlineFile {
  name: string;
  data: Buffer | (() => AsyncIterable<Uint8Array>);
  size: number;
  mode: number;
  mtimeSec: number;
  digest: string;
}

export interface CopySpec {
  sources: string[];
  dest: string;
  excludes: string[];
  parents: boolean;
  /** COPY/ADD from the context: owners reset to root; from another image: kept. */
  preserveOwner: boolean;
  /** The instruction is ADD: local archives are unpacked. */
  add: boolean;
}

const GLOB = /[*?[\\]/;

/** Go's filepath.Match for slash paths. */
export function goMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw invalidArgument('syntax error in pattern');
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i];
    else re += c.replace(/[.+()|{}$^\]]/g, '\\$&');
  }
  return new RegExp(re + '$', 's').test(name);
}

/** Resolves a path inside a source directory, following its symlinks as if it were the root. */
export function resolveInIndex(index: DirIndex, rel: string): DirEntry | undefined {
  let parts = rel.split('/').filter(Boolean);
  let cur = '';
  let hops = 0;
  while (parts.length) {
    const next = cur ? `${cur}/${parts.shift()}` : parts.shift()!;
    const e = index.get(next);
    if (e?.type === 'symlink') {
      if (++hops > 255) return undefined;
      const t = e.linkname ?? '';
      const joined = goClean(t.startsWith('/') ? t : posix.join('/', cur, t)).slice(1);
      parts = [...joined.split('/').filter(Boolean), ...parts];
      cur = '';
      continue;
    }
    cur = next;
  }
  return index.get(cur);
}

/** Matches the sources of a COPY/ADD in a directory, as Docker's copier does. */
export function matchSources(index: DirIndex, spec: CopySpec, what: string): SourceItem[] {
  const excl = spec.excludes.length ? new PatternMatcher(spec.excludes) : undefined;
  const items: SourceItem[] = [];
  for (const src of spec.sources) {
    const cleaned = goClean(src.replace(/^\/+/, ''));
    if (cleaned === '..' || cleaned.startsWith('../')) throw invalidArgument(`Forbidden path outside the build context: ${src} ()`);
    const rel = cleaned === '.' ? '' : cleaned;
    let matched: DirEntry[];
    if (GLOB.test(rel)) {
      matched = [...index.entries.values()].filter((e) => e.rel !== '' && goMatch(rel, e.rel));
      matched.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    } else {
      const direct = index.get(rel);
      const e = direct?.type === 'symlink' ? resolveInIndex(index, rel) : direct;
      matched = e ? [e] : [];
    }
    if (matched.length === 0) {
      throw notFound(`${what} failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`);
    }
    // --parents keeps the source's path, from the "/./" pivot when there is one.
    const pivot = src.indexOf('/./');
    const dropPrefix = spec.parents && pivot >= 0 ? goClean(src.slice(0, pivot).replace(/^\/+/, '')) : '';
    const keep = (p: string) => (dropPrefix && dropPrefix !== '.' && p.startsWith(dropPrefix + '/') ? p.slice(dropPrefix.length + 1) : p);
    for (const e of matched) {
      const base = spec.parents ? keep(GLOB.test(rel) ? e.rel : rel) : '';
      if (e.type === 'dir') {
        const top = spec.parents ? base : '';
        items.push({ index, entry: e, target: top, contents: true, top: true });
        for (const d of index.descendants(e.rel)) {
          const sub = d.rel.slice(e.rel ? e.rel.length + 1 : 0);
          if (excl?.matches(sub)) continue;
          items.push({ index, entry: d, target: top ? `${top}/${sub}` : sub, contents: false, top: false });
        }
      } else {
        const name = e.rel.slice(e.rel.lastIndexOf('/') + 1);
        if (excl?.matches(name) || excl?.matches(e.rel)) continue;
        items.push({ index, entry: e, target: spec.parents ? base : name, contents: false, top: true });
      }
    }
  }
  return items;
}

/** A digest of exactly what a COPY takes from its sources (paths, types, modes, contents). */
export async function sourcesDigest(items: SourceItem[], inline: InlineFile[], preserveOwner: boolean): Promise<string> {
  const h = createHash('sha256');
  for (const it of items) {
    const e = it.entry;
    h.update(`${it.target}\0${it.contents ? 'c' : ''}\0${e.type}\0${e.mode.toString(8)}\0`);
    if (preserveOwner) h.update(`${e.uid}:${e.gid}\0`);
    if (e.type === 'file') h.update(await it.index.digest(e));
    else if (e.type === 'symlink') h.update(e.linkname ?? '');
    h.update('\n');
  }
  for (const f of inline) h.update(`inline\0${f.name}\0${f.mode.toString(8)}\0${f.digest}\n`);
  return h.digest('hex');
}

function sniffArchive(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, 512, 0);
    return isArchive(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

export interface LayerPlan {
  entries: LayerEntry[];
  /** Files and directories the layer changes, as the image filesystem will see them. */
  nodes: Map<string, FsNode>;
  /** Local archives ADD must unpack into a directory: [archive file, absolute destination dir]. */
  archives: { path: string; dest: string }[];
}

export interface PlanOptions {
  chown?: Owner;
  chmod?: number;
  /** --link: the layer does not depend on what the image holds. */
  link: boolean;
  /** mtime for created parent directories (seconds). */
  now: number;
}

/**
 * The entries of the layer a COPY/ADD makes. `dest` is absolute; a trailing slash (or several
 * sources) means a directory.
 */
export function planLayer(fs: FsIndex | undefined, items: SourceItem[], inline: InlineFile[], spec: CopySpec, opts: PlanOptions): LayerPlan {
  const plan: LayerPlan = { entries: [], nodes: new Map(), archives: [] };
  const byPath = new Map<string, LayerEntry>();
  const dest = spec.dest;
  const endsSlash = dest.endsWith('/') || dest.endsWith('/.') || dest === '.';
  let destPath = goClean(dest);
  if (fs && !opts.link) destPath = fs.resolve(destPath, true);
  const existing = fs && !opts.link ? fs.get(destPath) : undefined;
  const tops = items.filter((i) => i.top).length + inline.length;
  const destIsDir = endsSlash || existing?.type === 'dir' || tops > 1 || spec.parents || items.some((i) => i.contents);
  if (tops > 1 && !endsSlash && existing?.type !== 'dir') {
    throw invalidArgument('When using COPY with more than one source file, the destination must be a directory and end with a /');
  }

  const owner = (e: { uid: number; gid: number }): Owner => opts.chown ?? (spec.preserveOwner ? { uid: e.uid, gid: e.gid } : { uid: 0, gid: 0 });
  const put = (path: string, le: Omit<LayerEntry, 'path'>) => {
    const p = goClean('/' + path);
    if (p === '/') return;
    const entry: LayerEntry = { path: p.slice(1), ...le };
    byPath.set(p, entry);
    plan.nodes.set(p, { type: le.type === 'hardlink' ? 'file' : (le.type as FsNode['type']), mode: le.mode ?? 0o644, uid: le.uid ?? 0, gid: le.gid ?? 0, linkname: le.linkname });
  };
  const targetOf = (t: string): string => (t === '' ? destPath : destIsDir ? posix.join(destPath, t) : destPath);

  for (const it of items) {
    const e = it.entry;
    const target = targetOf(it.target);
    const o = owner(e);
    if (e.type === 'dir') {
      put(target, { type: 'dir', mode: opts.chmod ?? e.mode, ...o, mtime: e.mtimeMs / 1000 });
    } else if (e.type === 'symlink') {
      put(target, { type: 'symlink', mode: 0o777, ...o, linkname: e.linkname, mtime: e.mtimeMs / 1000 });
    } else if (e.type === 'file') {
      const abs = it.index.abs(e.rel);
      if (spec.add && sniffArchive(abs)) {
        plan.archives.push({ path: abs, dest: it.top ? destPath : posix.dirname(target) });
        continue;
      }
      const body = e.size <= SMALL_FILE ? () => [readFileSync(abs)] : () => createReadStream(abs, { highWaterMark: 1 << 20 });
      put(target, { type: 'file', mode: opts.chmod ?? e.mode, ...o, mtime: e.mtimeMs / 1000, size: e.size, body });
    }
  }
  for (const f of inline) {
    const target = destIsDir ? posix.join(destPath, f.name) : destPath;
    const o = opts.chown ?? { uid: 0, gid: 0 };
    put(target, { type: 'file', mode: opts.chmod ?? f.mode, ...o, mtime: f.mtimeSec, size: f.size, body: typeof f.data === 'function' ? f.data : f.data });
  }
  // A directory copy into a new destination also creates that directory.
  if (destIsDir && !byPath.has(destPath) && destPath !== '/' && (items.length > 0 || inline.length > 0 || plan.archives.length > 0)) {
    if (!existing || existing.type !== 'dir') {
      const o = opts.chown ?? { uid: 0, gid: 0 };
      put(destPath, { type: 'dir', mode: 0o755, ...o, mtime: opts.now });
    }
  }
  addParents(fs, opts, byPath, plan);
  plan.entries = [...byPath.values()];
  return plan;
}

/** Adds the parent directories of every entry: as the image has them, or created 0755. */
function addParents(fs: FsIndex | undefined, opts: PlanOptions, byPath: Map<string, LayerEntry>, plan: LayerPlan): void {
  const paths = [...byPath.keys()];
  for (const p of paths) {
    let d = posix.dirname(p);
    while (d !== '/' && !byPath.has(d)) {
      const node = fs && !opts.link ? fs.get(d) : undefined;
      const le: LayerEntry =
        node && node.type === 'dir'
          ? { path: d.slice(1), type: 'dir', mode: node.mode, uid: node.uid, gid: node.gid, mtime: opts.now }
          : { path: d.slice(1), type: 'dir', mode: 0o755, uid: opts.chown?.uid ?? 0, gid: opts.chown?.gid ?? 0, mtime: opts.now };
      byPath.set(d, le);
      if (!node) plan.nodes.set(d, { type: 'dir', mode: le.mode!, uid: le.uid!, gid: le.gid! });
      d = posix.dirname(d);
    }
  }
}

/** Parses --chmod: octal only, as the classic builder and BuildKit without labs accept. */
export function parseChmod(s: string): number | undefined {
  if (!s) return undefined;
  if (!/^[0-7]{1,4}$/.test(s)) throw invalidArgument(`invalid chmod parameter: ${s}`);
  return parseInt(s, 8);
}
