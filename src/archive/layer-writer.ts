/**
 * Reproducible layer tars: entries in the order Docker's filepath.Walk gives (depth-first,
 * names byte-sorted), headers made as Docker's pkg/archive makes them, plus explicit
 * normalisations (clamped or fixed mtimes, fixed owner) so equal content gives equal digests.
 */
import { lstat, open, readdir, readlink, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { invalidArgument } from '../image/errors.js';
import {
  devMajorMinor,
  dockerFileHeader,
  ownerNames,
  resolveConventions,
  type ConventionName,
  type FileFacts,
  type FileKind,
  type HeaderConventions,
} from './docker-headers.js';
import { goJoin } from './go-path.js';
import { loadNative } from './native.js';
import { compareRaw, decodeRaw } from './raw-string.js';
import { TarType, compareTarTime, tarTimeFromNs, toTarTime, type TarHeaderInit, type TarTime } from './tar-header.js';
import { tarStream, type TarBodySource, type TarInputEntry } from './tar-writer.js';
import { OVERLAY_OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './whiteout.js';

export interface LayerOptions {
  /** Header conventions of a Docker version (default 'docker', i.e. 24+). */
  conventions?: HeaderConventions | ConventionName;
  /** mtimes later than this are set to it (SOURCE_DATE_EPOCH style). */
  clampMtime?: TarTime | Date | number;
  /** Every mtime is set to this. */
  setMtime?: TarTime | Date | number;
  /** Every entry gets this owner (Docker's ChownOpts); names follow the conventions. */
  owner?: { uid: number; gid: number };
}

export interface DirectoryLayerOptions extends LayerOptions {
  /** Which xattrs to record: Docker records only security.capability (default). */
  xattrs?: 'capability' | 'all' | 'none';
  /**
   * Convert overlayfs whiteouts of an upper directory (0/0 character devices, opaque xattr on
   * directories) into .wh. entries, as Docker's overlay2 Diff does.
   */
  overlayWhiteouts?: boolean | { opaqueXattr?: string };
  /**
   * Archive the path itself (a directory with what it holds, or a single file or link) under
   * this name, rather than what the directory holds at the top (docker cp's archives).
   */
  root?: string;
}

/** One entry of a layer described in memory (for `docker save` files, synthetic layers...). */
export interface LayerEntry {
  /** Slash-separated path inside the layer (no leading "./" is added). */
  path: string;
  type: FileKind | 'hardlink';
  /** Permission bits; defaults 0o644 (files), 0o755 (dirs), 0o777 (symlinks), 0o600 (others). */
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: TarTime | Date | number;
  /** Symlink target, or for a hardlink the path of the entry it links to. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Buffer>;
  /** Regular files: the size and the content. */
  size?: number;
  body?: TarBodySource;
}

const DEFAULT_MODE: Record<LayerEntry['type'], number> = {
  file: 0o644,
  dir: 0o755,
  symlink: 0o777,
  hardlink: 0o644,
  char: 0o600,
  block: 0o600,
  fifo: 0o600,
};

/** Docker's filepath.Walk order: component by component, byte-wise. */
export function compareWalkOrder(a: string, b: string): number {
  const ca = a.replace(/\/+$/, '').split('/');
  const cb = b.replace(/\/+$/, '').split('/');
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const c = compareRaw(ca[i]!, cb[i]!);
    if (c !== 0) return c;
  }
  return ca.length - cb.length;
}

function normalizeTime(t: TarTime, opts: LayerOptions): TarTime {
  if (opts.setMtime !== undefined) return toTarTime(opts.setMtime);
  if (opts.clampMtime !== undefined) {
    const clamp = toTarTime(opts.clampMtime);
    if (compareTarTime(t, clamp) > 0) return clamp;
  }
  return t;
}

function finishHeader(h: TarHeaderInit, opts: LayerOptions, conv: HeaderConventions): TarHeaderInit {
  const out = { ...h };
  if (opts.owner !== undefined) {
    out.uid = opts.owner.uid;
    out.gid = opts.owner.gid;
    [out.uname, out.gname] = ownerNames(conv, opts.owner.uid, opts.owner.gid);
  }
  if (opts.setMtime !== undefined || opts.clampMtime !== undefined) {
    out.mtime = normalizeTime(out.mtime ?? { sec: 0, nsec: 0 }, opts);
  }
  return out;
}

/** A layer tar from entries described in memory, sorted into Walk order. */
export function layerFromEntries(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, opts: LayerOptions = {}): Readable {
  return tarStream(layerEntriesToTar(entries, opts));
}

async function* layerEntriesToTar(
  entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>,
  opts: LayerOptions,
): AsyncGenerator<TarInputEntry> {
  const conv = resolveConventions(opts.conventions);
  const all: LayerEntry[] = [];
  for await (const e of entries) all.push(e);
  all.sort((a, b) => compareWalkOrder(a.path, b.path));
  for (let i = 1; i < all.length; i++) {
    if (compareWalkOrder(all[i - 1]!.path, all[i]!.path) === 0) {
      throw invalidArgument(`layer has two entries for ${JSON.stringify(all[i]!.path)}`);
    }
  }
  for (const e of all) {
    const kind: FileKind = e.type === 'hardlink' ? 'file' : e.type;
    const facts: FileFacts = {
      name: e.path.replace(/\/+$/, ''),
      kind,
      mode: e.mode ?? DEFAULT_MODE[e.type],
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      size: e.type === 'file' ? (e.size ?? bodyLength(e)) : 0,
      mtime: toTarTime(e.mtime ?? { sec: 0, nsec: 0 }),
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.devmajor !== undefined ? { devmajor: e.devmajor } : {}),
      ...(e.devminor !== undefined ? { devminor: e.devminor } : {}),
    };
    let header = dockerFileHeader(facts, conv);
    if (e.type === 'hardlink') header = { ...header, type: TarType.Link, linkname: e.linkname ?? '', size: 0 };
    if (e.xattrs !== undefined && Object.keys(e.xattrs).length > 0) header.xattrs = e.xattrs;
    header = finishHeader(header, opts, conv);
    yield e.type === 'file' && e.body !== undefined ? { header, body: e.body } : { header };
  }
}

function bodyLength(e: LayerEntry): number {
  if (typeof e.body === 'string') return Buffer.byteLength(e.body);
  if (e.body instanceof Uint8Array) return e.body.length;
  if (e.body === undefined) return 0;
  throw invalidArgument(`layer entry ${JSON.stringify(e.path)} has a streamed body but no size`);
}

/** A layer tar of a directory's contents (the directory itself is not an entry), like Docker's archive.Tar. */
export function layerFromDirectory(dir: string, opts: DirectoryLayerOptions = {}): Readable {
  return tarStream(directoryToTar(dir, opts));
}

interface Walked {
  rel: string;
  abs: Buffer;
}

/** Whether an error says the path went away (a running container's files come and go). */
const vanished = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function* walkDirectory(absDir: Buffer, relDir: string): AsyncGenerator<Walked> {
  let listed: Buffer[];
  try {
    listed = await readdir(absDir, { encoding: 'buffer' });
  } catch (err) {
    if (vanished(err)) return;
    throw err;
  }
  const names = listed.sort(Buffer.compare);
  for (const nameBuf of names) {
    const name = decodeRaw(nameBuf);
    const rel = relDir === '' ? name : `${relDir}/${name}`;
    const abs = Buffer.concat([absDir, Buffer.from('/'), nameBuf]);
    yield { rel, abs };
  }
}

async function* directoryToTar(dir: string, opts: DirectoryLayerOptions): AsyncGenerator<TarInputEntry> {
  const conv = resolveConventions(opts.conventions);
  const xattrMode = opts.xattrs ?? 'capability';
  const native = xattrMode !== 'none' || opts.overlayWhiteouts ? loadNative() : undefined;
  const opaqueXattr =
    typeof opts.overlayWhiteouts === 'object' ? (opts.overlayWhiteouts.opaqueXattr ?? OVERLAY_OPAQUE_XATTR) : OVERLAY_OPAQUE_XATTR;
  const seen = new Map<string, string>();

  // An explicit stack keeps memory to one directory listing per level.
  const stack: Array<AsyncGenerator<Walked>> = [
    opts.root !== undefined ? (async function* () { yield { rel: opts.root!, abs: Buffer.from(dir) }; })() : walkDirectory(Buffer.from(dir), ''),
  ];
  while (stack.length > 0) {
    const next = await stack[stack.length - 1]!.next();
    if (next.done) {
      stack.pop();
      continue;
    }
    const { rel, abs } = next.value;
    // What is gone by the time the walk reaches it is left out, as if it had not been there.
    let st;
    try {
      st = await lstat(abs, { bigint: true });
    } catch (err) {
      if (vanished(err)) continue;
      throw err;
    }
    const kind = kindOf(Number(st.mode));
    if (kind === undefined) continue; // sockets: Docker logs and skips them

    const facts: FileFacts = {
      name: rel,
      kind,
      mode: Number(st.mode) & 0o7777,
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: kind === 'file' ? Number(st.size) : 0,
      mtime: tarTimeFromNs(st.mtimeNs),
    };
    if (kind === 'symlink') {
      try {
        facts.linkname = decodeRaw(await readlink(abs, { encoding: 'buffer' }));
      } catch (err) {
        if (vanished(err)) continue;
        throw err;
      }
    }
    if (kind === 'char' || kind === 'block') [facts.devmajor, facts.devminor] = devMajorMinor(st.rdev);
    let header = dockerFileHeader(facts, conv);

    if (native !== undefined && xattrMode !== 'none') {
      const xattrs = readXattrs(native, abs, xattrMode);
      if (xattrs !== undefined) header.xattrs = xattrs;
    }

    let body: TarBodySource | undefined;
    if (kind !== 'dir' && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) header = { ...header, type: TarType.Link, linkname: first, size: 0 };
      else seen.set(key, header.name);
    }
    if (header.type === TarType.File && (header.size ?? 0) > 0) {
      // Opened before its header goes out, so a file removed meanwhile is skipped, not half-written.
      let fh: FileHandle;
      try {
        fh = await open(abs, 'r');
      } catch (err) {
        if (vanished(err)) continue;
        throw err;
      }
      body = () => fh.createReadStream();
    }

    let opaque: TarHeaderInit | undefined;
    if (opts.overlayWhiteouts) {
      if (kind === 'char' && facts.devmajor === 0 && facts.devminor === 0) {
        const slash = header.name.lastIndexOf('/');
        header = {
          ...header,
          name: goJoin(header.name.slice(0, slash + 1), WHITEOUT_PREFIX + header.name.slice(slash + 1)),
          mode: 0o600,
          type: TarType.File,
          size: 0,
        };
      } else if (kind === 'dir' && native!.lgetxattr(abs, opaqueXattr)?.toString('latin1') === 'y') {
        if (header.xattrs !== undefined) {
          const { [opaqueXattr]: _dropped, ...rest } = header.xattrs;
          header.xattrs = rest;
        }
        opaque = {
          name: goJoin(header.name, WHITEOUT_OPAQUE),
          type: TarType.File,
          mode: (header.mode ?? 0) & 0o777,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
          uname: header.uname ?? '',
          gname: header.gname ?? '',
        };
      }
    }

    yield body !== undefined ? { header: finishHeader(header, opts, conv), body } : { header: finishHeader(header, opts, conv) };
    if (opaque !== undefined) yield { header: finishHeader(opaque, opts, conv) };
    if (kind === 'dir') stack.push(walkDirectory(abs, rel));
  }
}

/**
 * security.capability as Docker archives it: VFS_CAP_REVISION_3 carries the root uid of a user
 * namespace, meaningless outside it, so it is stored as revision 2 (first 20 bytes).
 */
export function capabilityForArchive(cap: Buffer): Buffer {
  if (cap.length > 3 && cap[3] === 3) {
    const v2 = Buffer.from(cap.subarray(0, 20));
    v2[3] = 2;
    return v2;
  }
  return cap;
}

function kindOf(mode: number): FileKind | undefined {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    case 0o010000:
      return 'fifo';
    default:
      return undefined;
  }
}

function readXattrs(
  native: ReturnType<typeof loadNative>,
  abs: Buffer,
  mode: 'capability' | 'all',
): Record<string, Buffer> | undefined {
  try {
    if (mode === 'capability') {
      const cap = native.lgetxattr(abs, 'security.capability');
      return cap === null ? undefined : { 'security.capability': capabilityForArchive(cap) };
    }
    const out: Record<string, Buffer> = {};
    for (const key of native.llistxattr(abs)) {
      const value = native.lgetxattr(abs, key);
      if (value !== null) out[decodeRaw(key)] = value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTSUP' || code === 'ENODATA' || code === 'EPERM') return undefined;
    throw err;
  }
}

