/**
 * Safe extraction of a layer tar into a directory, with OCI layer semantics (whiteouts,
 * opaque directories, hardlinks, devices, ownership, modes, times, xattrs).
 *
 * Safety: every entry's parent directory is resolved inside the root by the native addon
 * (openat2 RESOLVE_IN_ROOT or its userspace equivalent), so ".." and symlinks - absolute or
 * relative, planted by this archive or present before - resolve as if the root were "/".
 * The final component is created with *at() calls that never follow it. Names that escape the
 * root lexically ("../x") are rejected, as Docker does.
 */
import { closeSync, constants as fsc, ftruncateSync, mkdirSync, write as fsWrite } from 'node:fs';
import { BerthError, corrupt, unavailable } from '../image/errors.js';
import type { ByteInput } from './byte-source.js';
import { goClean, goDir, goJoin } from './go-path.js';
import { loadNative, type NativeArchive } from './native.js';
import { encodeRaw, decodeRaw } from './raw-string.js';
import { TarType, compareTarTime, type TarHeader, type TarTime } from './tar-header.js';
import { readTar, type ReadTarOptions, type TarEntry } from './tar-reader.js';
import { OVERLAY_OPAQUE_XATTR, classifyWhiteout } from './whiteout.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

export interface ExtractOptions extends ReadTarOptions {
  /**
   * 'apply' (default): whiteouts delete what they name from the directory, as when layers are
   * applied on top of each other. 'overlay': they become overlayfs whiteouts (0/0 character
   * devices and an opaque xattr on directories), for building overlay lower directories.
   */
  whiteouts?: 'apply' | 'overlay';
  /** xattr marking opaque directories in overlay mode (user.overlay.opaque for unprivileged overlay). */
  opaqueXattr?: string;
  /** Set owners from the archive (default: only when running as root). */
  chown?: boolean;
  /** Maps archive ids to host ids (user namespaces). */
  mapIds?: (uid: number, gid: number) => [uid: number, gid: number];
  /** Called for each entry before it is applied; return false to skip it. */
  filter?: (header: TarHeader) => boolean;
  signal?: AbortSignal;
}

export interface ExtractResult {
  /** Entries applied (whiteouts included). */
  entries: number;
  /** Sum of the sizes of regular files written (Docker's "layer size"). */
  size: number;
  /** Things skipped because the filesystem or privileges refused them (xattrs, device nodes). */
  warnings: string[];
}

/** Extracts a tar stream into dest (created if missing). */
export async function extractTar(input: ByteInput, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  return extractEntries(readTar(input, options), dest, options);
}

interface PendingDir {
  rel: string;
  ino: number;
  mode: number;
  atime: TarTime;
  mtime: TarTime;
}

/** Extracts entries from readTar (or any source of TarEntry) into dest. */
export async function extractEntries(
  entries: AsyncIterable<TarEntry>,
  dest: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const native = loadNative();
  mkdirSync(dest, { recursive: true });
  const ex = new Extractor(native, native.openRoot(dest), options);
  try {
    for await (const entry of entries) {
      options.signal?.throwIfAborted();
      if (options.filter !== undefined && !options.filter(entry.header)) continue;
      await ex.apply(entry);
    }
    ex.finishDirectories();
    return ex.result;
  } finally {
    ex.close();
  }
}

class Extractor {
  readonly result: ExtractResult = { entries: 0, size: 0, warnings: [] };
  private readonly unpacked = new Set<string>();
  private readonly dirs: PendingDir[] = [];
  private readonly overlay: boolean;
  private readonly chown: boolean;
  /** Name of the entry being applied, for error messages. */
  private current = '';

  constructor(
    private readonly n: NativeArchive,
    private readonly rootFd: number,
    private readonly opts: ExtractOptions,
  ) {
    this.overlay = opts.whiteouts === 'overlay';
    this.chown = opts.chown ?? process.getuid?.() === 0;
  }

  close(): void {
    closeSync(this.rootFd);
  }

  async apply(entry: TarEntry): Promise<void> {
    const h = entry.header;
    if (h.type === TarType.PaxGlobal) return;
    const rel = confine(h.name, 'entry');
    this.current = h.name;
    try {
      await this.applyAt(entry, rel);
    } catch (err) {
      throw wrapFsError(err, h.name);
    }
  }

  private async applyAt(entry: TarEntry, rel: string): Promise<void> {
    const h = entry.header;
    if (rel === '.') {
      // The root itself: Docker leaves it alone; anything but a directory cannot replace it.
      if (h.type !== TarType.Dir) throw corrupt(`archive entry ${JSON.stringify(h.name)} would replace the extraction root`);
      return;
    }
    const parentRel = goDir(rel);
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    const parentFd = this.ensureDir(parentRel);
    try {
      const wo = classifyWhiteout(base);
      if (wo.kind === 'meta') return;
      if (wo.kind === 'opaque') {
        this.result.entries++;
        if (this.overlay) this.setOpaque(parentFd);
        else this.clearOpaque(parentFd, parentRel);
        return;
      }
      if (wo.kind === 'file') {
        if (wo.target === '' || wo.target === '.' || wo.target === '..') {
          throw corrupt(`invalid whiteout entry ${JSON.stringify(h.name)}`);
        }
        this.result.entries++;
        this.n.removeAllAt(parentFd, encodeRaw(wo.target));
        if (this.overlay) {
          this.n.mknodAt(parentFd, encodeRaw(wo.target), S_IFCHR, 0, 0);
          if (this.chown) {
            const [uid, gid] = this.ids(h.uid, h.gid);
            this.n.lchownAt(parentFd, encodeRaw(wo.target), uid, gid);
          }
        }
        return;
      }
      await this.create(entry, rel, parentFd, encodeRaw(base));
      this.unpacked.add(rel);
      this.result.entries++;
    } finally {
      closeSync(parentFd);
    }
  }

  private async create(entry: TarEntry, rel: string, dirFd: number, name: Buffer): Promise<void> {
    const h = entry.header;
    const existing = this.n.lstatAt(dirFd, name);
    const existingIsDir = existing !== null && (existing.mode & S_IFMT) === S_IFDIR;
    if (existing !== null && !(existingIsDir && h.type === TarType.Dir)) this.n.removeAllAt(dirFd, name);

    switch (h.type) {
      case TarType.Dir: {
        // Created writable by us; the archive's mode is applied after its contents (see finishDirectories).
        if (!existingIsDir) this.n.mkdirAt(dirFd, name, 0o700);
        break;
      }
      case TarType.File:
      case TarType.Cont:
      case TarType.GnuSparse:
        await this.writeFile(entry, dirFd, name);
        this.result.size += h.size;
        break;
      case TarType.Link: {
        const target = confine(h.linkname, 'hardlink target');
        if (target === '.') throw corrupt(`hardlink ${JSON.stringify(h.name)} points at the extraction root`);
        const targetParent = this.n.resolveIn(this.rootFd, encodeRaw(goDir(target)));
        try {
          this.n.linkAt(targetParent, encodeRaw(target.slice(target.lastIndexOf('/') + 1)), dirFd, name);
        } finally {
          closeSync(targetParent);
        }
        break;
      }
      case TarType.Symlink:
        this.n.symlinkAt(encodeRaw(h.linkname), dirFd, name);
        break;
      case TarType.Char:
      case TarType.Block:
      case TarType.Fifo: {
        const type = h.type === TarType.Char ? S_IFCHR : h.type === TarType.Block ? S_IFBLK : S_IFIFO;
        try {
          this.n.mknodAt(dirFd, name, type | (h.mode & 0o7777), h.devmajor, h.devminor);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EPERM' || h.type === TarType.Fifo) throw err;
          this.result.warnings.push(`${h.name}: cannot create device node without privileges; skipped`);
          return;
        }
        break;
      }
      default:
        throw corrupt(`archive entry ${JSON.stringify(h.name)} has unsupported type ${JSON.stringify(h.type)}`);
    }

    if (this.chown) {
      const [uid, gid] = this.ids(h.uid, h.gid);
      this.n.lchownAt(dirFd, name, uid, gid);
    }
    this.setXattrs(h, dirFd, name);
    const atime = h.atime !== undefined && compareTarTime(h.atime, h.mtime) >= 0 ? h.atime : h.mtime;
    if (h.type === TarType.Dir) {
      const st = this.n.lstatAt(dirFd, name);
      this.dirs.push({ rel, ino: st?.ino ?? -1, mode: h.mode & 0o7777, atime, mtime: h.mtime });
      return;
    }
    if (h.type !== TarType.Symlink) this.n.chmodAt(dirFd, name, h.mode & 0o7777);
    this.n.utimensAt(dirFd, name, atime.sec, atime.nsec, h.mtime.sec, h.mtime.nsec);
  }

  private async writeFile(entry: TarEntry, dirFd: number, name: Buffer): Promise<void> {
    const fd = this.n.openFileAt(dirFd, name, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    // Holes of sparse entries stay holes: zero chunks are skipped and the length set at the end.
    const sparse = entry.body.storedSize !== entry.body.size;
    let pos = 0;
    try {
      for await (const chunk of entry.body) {
        if (!(sparse && isAllZero(chunk))) {
          let off = 0;
          while (off < chunk.length) off += await writeFd(fd, chunk, off, pos + off);
        }
        pos += chunk.length;
      }
      if (sparse) ftruncateSync(fd, pos);
    } finally {
      closeSync(fd);
    }
  }

  private setXattrs(h: TarHeader, dirFd: number, name: Buffer): void {
    for (const [key, value] of Object.entries(h.xattrs ?? {})) {
      if (value.length === 0) continue;
      try {
        this.n.setxattrAt(dirFd, name, encodeRaw(key), value, 0);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTSUP' && code !== 'EPERM') throw err;
        this.result.warnings.push(`${h.name}: xattr ${key} not set (${code})`);
      }
    }
  }

  private ids(uid: number, gid: number): [number, number] {
    return this.opts.mapIds !== undefined ? this.opts.mapIds(uid, gid) : [uid, gid];
  }

  /** O_PATH fd of the directory rel inside the root, creating missing directories (0755) like Docker. */
  private ensureDir(rel: string): number {
    try {
      return this.n.resolveIn(this.rootFd, encodeRaw(rel));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const comps = rel.split('/');
    let fd = this.n.resolveIn(this.rootFd, Buffer.from('.'));
    try {
      for (let i = 0; i < comps.length; i++) {
        const prefix = encodeRaw(comps.slice(0, i + 1).join('/'));
        let next: number;
        try {
          next = this.n.resolveIn(this.rootFd, prefix);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          try {
            this.n.mkdirAt(fd, encodeRaw(comps[i]!), 0o755);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
            // Docker fails the same way (its MkdirAll meets the same non-directory).
            throw corrupt(
              `extract ${JSON.stringify(this.current)}: cannot create directory ${JSON.stringify(comps.slice(0, i + 1).join('/'))}: ` +
                'a symlink that does not lead to a directory inside the root is in the way',
            );
          }
          if (this.chown) {
            const [uid, gid] = this.ids(0, 0);
            this.n.lchownAt(fd, encodeRaw(comps[i]!), uid, gid);
          }
          next = this.n.resolveIn(this.rootFd, prefix);
        }
        closeSync(fd);
        fd = next;
      }
      return fd;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  private setOpaque(dirFd: number): void {
    const key = this.opts.opaqueXattr ?? OVERLAY_OPAQUE_XATTR;
    this.n.setxattrAt(dirFd, '.', key, Buffer.from('y'), 0);
  }

  /** Docker's opaque handling: remove everything under the directory not unpacked by this layer. */
  private clearOpaque(dirFd: number, dirRel: string): void {
    for (const raw of this.n.listDirAt(dirFd, '.')) {
      const childRel = dirRel === '.' ? decodeRaw(raw) : `${dirRel}/${decodeRaw(raw)}`;
      if (!this.unpacked.has(childRel)) {
        this.n.removeAllAt(dirFd, raw);
        continue;
      }
      const st = this.n.lstatAt(dirFd, raw);
      if (st !== null && (st.mode & S_IFMT) === S_IFDIR) {
        const childFd = this.n.resolveIn(this.rootFd, encodeRaw(childRel));
        try {
          this.clearOpaque(childFd, childRel);
        } finally {
          closeSync(childFd);
        }
      }
    }
  }

  /** Directory modes and times, once nothing more will be created inside them. */
  finishDirectories(): void {
    for (const d of this.dirs) {
      let parent: number;
      try {
        parent = this.n.resolveIn(this.rootFd, encodeRaw(goDir(d.rel)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw wrapFsError(err, d.rel);
      }
      try {
        const name = encodeRaw(d.rel.slice(d.rel.lastIndexOf('/') + 1));
        const st = this.n.lstatAt(parent, name);
        // Skip if a later entry replaced or removed the directory.
        if (st === null || (st.mode & S_IFMT) !== S_IFDIR || st.ino !== d.ino) continue;
        this.n.chmodAt(parent, name, d.mode);
        this.n.utimensAt(parent, name, d.atime.sec, d.atime.nsec, d.mtime.sec, d.mtime.nsec);
      } catch (err) {
        throw wrapFsError(err, d.rel);
      } finally {
        closeSync(parent);
      }
    }
  }
}

function writeFd(fd: number, buf: Buffer, off: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fsWrite(fd, buf, off, buf.length - off, position, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function isAllZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * The entry's path relative to the root ("." for the root), cleaned the way Docker does:
 * leading slashes are dropped (absolute names are inside the root), ".." that would leave
 * the root is an error.
 */
export function confine(name: string, what: string): string {
  const cleaned = goClean(name);
  if (cleaned === '..' || cleaned.startsWith('../')) {
    throw corrupt(`archive ${what} ${JSON.stringify(name)} is outside of the extraction root`);
  }
  const rel = goClean(goJoin('/', cleaned)).slice(1);
  return rel === '' ? '.' : rel;
}

const RESOURCE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'ENOMEM', 'EROFS', 'EACCES']);

function wrapFsError(err: unknown, name: string): Error {
  if (err instanceof BerthError) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return err as Error;
  const msg = `extract ${JSON.stringify(name)}: ${e.message}`;
  return RESOURCE_ERRORS.has(e.code) ? unavailable(msg, err) : corrupt(msg, err);
}
