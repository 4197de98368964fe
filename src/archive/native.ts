/**
 * Loader and types for berth's native addon (src/archive/native, built with node-gyp).
 * Paths and names are Buffers (raw bytes) or strings; file descriptors are plain numbers usable
 * with node:fs (fs.write, fs.close).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { unavailable } from '../image/errors.js';

type PathLike = Buffer | string;

export interface NativeStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  ino: number;
  dev: number;
  nlink: number;
  rdevMajor: number;
  rdevMinor: number;
  mtimeSec: number;
  mtimeNsec: number;
}

export interface NativeArchive {
  /** O_PATH directory fd for the extraction root. */
  openRoot(path: PathLike): number;
  /** O_PATH fd of a directory resolved inside root (RESOLVE_IN_ROOT semantics); throws ENOENT/ENOTDIR/ELOOP... */
  resolveIn(rootFd: number, relPath: PathLike): number;
  /** Force the userspace resolver instead of openat2 (testing). */
  setResolveMode(userspace: boolean): void;
  openat2Available(): boolean;
  mkdirAt(dirFd: number, name: PathLike, mode: number): void;
  /** mode includes the S_IF* type bits. */
  mknodAt(dirFd: number, name: PathLike, mode: number, major: number, minor: number): void;
  symlinkAt(target: PathLike, dirFd: number, name: PathLike): void;
  linkAt(oldDirFd: number, oldName: PathLike, newDirFd: number, newName: PathLike): void;
  /** openat with O_NOFOLLOW|O_CLOEXEC added. */
  openFileAt(dirFd: number, name: PathLike, flags: number, mode: number): number;
  unlinkAt(dirFd: number, name: PathLike, isDir: boolean): void;
  /** Recursive removal that never follows symlinks; a missing name is not an error. */
  removeAllAt(dirFd: number, name: PathLike): void;
  /** null when the name does not exist. name may be "." for the directory itself. */
  lstatAt(dirFd: number, name: PathLike): NativeStat | null;
  lchownAt(dirFd: number, name: PathLike, uid: number, gid: number): void;
  /** false when name is a symlink (modes of symlinks are left alone). */
  chmodAt(dirFd: number, name: PathLike, mode: number): boolean;
  utimensAt(dirFd: number, name: PathLike, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  setxattrAt(dirFd: number, name: PathLike, key: PathLike, value: Buffer, flags: number): void;
  getxattrAt(dirFd: number, name: PathLike, key: PathLike): Buffer | null;
  listxattrAt(dirFd: number, name: PathLike): Buffer[];
  listDirAt(dirFd: number, name: PathLike): Buffer[];
  mknod(path: PathLike, mode: number, major: number, minor: number): void;
  mkfifo(path: PathLike, mode: number): void;
  lchown(path: PathLike, uid: number, gid: number): void;
  lsetxattr(path: PathLike, key: PathLike, value: Buffer, flags: number): void;
  lgetxattr(path: PathLike, key: PathLike): Buffer | null;
  llistxattr(path: PathLike): Buffer[];
  lremovexattr(path: PathLike, key: PathLike): void;
  /** The address of the view's first byte modulo `align` (a power of two). */
  addressMod(view: ArrayBufferView, align: number): number;
}

const ADDON = 'berth_archive.node';

/** Where the addon may be: $BERTH_NATIVE_ADDON, then the node-gyp output next to the sources. */
export function nativeAddonCandidates(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const out: string[] = [];
  if (process.env.BERTH_NATIVE_ADDON) out.push(process.env.BERTH_NATIVE_ADDON);
  // from src/archive (ts run directly) and from dist/src/archive (compiled)
  out.push(`${here}../archive/native/build/Release/${ADDON}`);
  out.push(`${here}../../../src/archive/native/build/Release/${ADDON}`);
  return out;
}

let loaded: NativeArchive | undefined;

export function loadNative(): NativeArchive {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  const tried = nativeAddonCandidates();
  for (const p of tried) {
    if (existsSync(p)) {
      loaded = require(p) as NativeArchive;
      return loaded;
    }
  }
  throw unavailable(
    `berth's native addon is not built (looked for ${tried.join(', ')}); ` +
      'build it with: node-gyp rebuild -C src/archive/native',
  );
}

export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

/**
 * The address of a view's first byte modulo `align` (a power of two), or undefined without the
 * addon: whether memory suits O_DIRECT, which JavaScript cannot see.
 */
export function addressMod(view: ArrayBufferView, align: number): number | undefined {
  if (loaded === undefined) {
    if (addonMissing || !nativeAvailable()) {
      addonMissing = true;
      return undefined;
    }
  }
  return loaded!.addressMod(view, align);
}

let addonMissing = false;
