/**
 * A container's file system: containers/<id>/ holds its init layer (mount points for what the
 * runtime mounts over, like Docker's "-init" layer, so they never show up as changes), its
 * upper and work directories, and rootfs/ where the overlay is mounted while it runs. With the
 * copy snapshotter, rootfs/ is a full copy instead and changes are found by comparing trees.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync, chownSync, lutimesSync, chmodSync, type BigIntStats } from 'node:fs';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BerthError } from '../image/errors.js';
import { layerFromDirectory } from '../archive/layer-writer.js';
import { loadNative } from '../archive/native.js';
import { isMountPoint, mountOverlay, unmountAll } from './mount.js';
import { overlayChanges, treeChanges, directorySize, type Change } from './changes.js';
import type { SnapshotterKind } from './detect.js';

/** Docker's init layer: what the runtime mounts over exists before the container starts. */
const INIT_ENTRIES: [string, 'dir' | 'file' | 'symlink', string?][] = [
  ['/dev', 'dir'],
  ['/dev/pts', 'dir'],
  ['/dev/shm', 'dir'],
  ['/dev/console', 'file'],
  ['/proc', 'dir'],
  ['/sys', 'dir'],
  ['/etc', 'dir'],
  ['/etc/resolv.conf', 'file'],
  ['/etc/hosts', 'file'],
  ['/etc/hostname', 'file'],
  ['/etc/mtab', 'symlink', '/proc/mounts'],
  ['/.dockerenv', 'file'],
];
const INIT_PATHS = new Set(INIT_ENTRIES.map((e) => e[0]));

export interface ContainerFsOptions {
  dir: string;
  kind: SnapshotterKind;
  snapshotsDir: string;
  /** Snapshot names, bottom first. */
  snapshots: string[];
}

export class ContainerFs {
  readonly dir: string;
  readonly kind: SnapshotterKind;
  readonly snapshotsDir: string;
  readonly snapshots: string[];

  constructor(o: ContainerFsOptions) {
    this.dir = o.dir;
    this.kind = o.kind;
    this.snapshotsDir = o.snapshotsDir;
    this.snapshots = o.snapshots;
  }

  get rootfs(): string {
    return join(this.dir, 'rootfs');
  }
  get upper(): string {
    return join(this.dir, 'upper');
  }
  get work(): string {
    return join(this.dir, 'work');
  }
  get init(): string {
    return join(this.dir, 'init');
  }
  private get copyBase(): string {
    return this.snapshots.length ? join(this.snapshotsDir, this.snapshots.at(-1)!) : join(this.dir, 'empty');
  }

  /** Lower directories, top first: the init layer, then the image's layers. */
  private lowers(): string[] {
    return [this.init, ...[...this.snapshots].reverse()];
  }

  /** Creates the container's directories (idempotent). */
  create(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o710 });
    if (this.kind === 'overlay') {
      if (!existsSync(this.init)) {
        const tmp = this.init + '.tmp';
        rmSync(tmp, { recursive: true, force: true });
        makeInitLayer(tmp);
        renameDir(tmp, this.init);
      }
      mkdirSync(this.upper, { recursive: true, mode: 0o755 });
      mkdirSync(this.work, { recursive: true, mode: 0o700 });
      mkdirSync(this.rootfs, { recursive: true, mode: 0o755 });
    } else if (!existsSync(this.rootfs)) {
      const tmp = this.rootfs + '.tmp';
      rmSync(tmp, { recursive: true, force: true });
      if (this.snapshots.length) copyTree(this.copyBase, tmp);
      else mkdirSync(tmp, { mode: 0o755 });
      makeInitLayer(tmp);
      renameDir(tmp, this.rootfs);
    }
  }

  get mounted(): boolean {
    return this.kind === 'copy' || isMountPoint(this.rootfs);
  }

  /** Mounts the root file system (overlay); a no-op when mounted or with copies. */
  mount(): string {
    this.create();
    if (this.kind === 'overlay' && !isMountPoint(this.rootfs)) {
      mountOverlay({
        base: this.snapshotsDir,
        lowers: this.lowers(),
        upper: this.upper,
        work: this.work,
        target: this.rootfs,
        stackDir: join(this.dir, 'stack'),
      });
    }
    return this.rootfs;
  }

  unmount(): void {
    if (this.kind === 'overlay') unmountAll(this.dir);
  }

  /** Runs fn with the merged view of the layers below the container's changes. */
  private withLowerView<T>(fn: (lower: string) => T): T {
    const lowers = this.lowers();
    if (lowers.length === 1) return fn(lowers[0]!);
    // A mount of its own per call: concurrent diffs must not unmount each other's view.
    const tag = randomBytes(4).toString('hex');
    const target = join(this.dir, `lower-${tag}`);
    const stack = join(this.dir, `stack-${tag}`);
    mountOverlay({ base: this.snapshotsDir, lowers, target, stackDir: stack });
    try {
      return fn(target);
    } finally {
      unmountAll(target);
      unmountAll(stack);
      rmSync(target, { recursive: true, force: true });
      rmSync(stack, { recursive: true, force: true });
    }
  }

  changes(): Change[] {
    this.create();
    if (this.kind === 'overlay') return this.withLowerView((lower) => overlayChanges(this.upper, lower));
    return treeChanges(this.rootfs, this.snapshots.length ? this.copyBase : join(this.dir, 'empty'), isUnchangedInit);
  }

  /** Bytes of the container's own files (SizeRw). */
  sizeRw(): number {
    if (this.kind === 'overlay') return existsSync(this.upper) ? directorySize(this.upper) : 0;
    let n = 0;
    for (const c of this.changes()) {
      if (c.kind === 'D') continue;
      const s = lstatSync(this.rootfs + c.path, { throwIfNoEntry: false });
      if (s?.isFile()) n += s.size;
    }
    return n;
  }

  /**
   * The container's changes as a layer tar (Docker's conventions, whiteouts for deletions,
   * reproducible). `release` must be called when the stream has been consumed.
   */
  changesLayer(): { stream: Readable; release: () => void } {
    this.create();
    if (this.kind === 'overlay') return { stream: layerFromDirectory(this.upper, { overlayWhiteouts: true }), release: () => undefined };
    const staging = join(this.dir, 'commit-staging');
    rmSync(staging, { recursive: true, force: true });
    stageChanges(this.rootfs, staging, this.changes());
    return { stream: layerFromDirectory(staging, { overlayWhiteouts: true }), release: () => rmSync(staging, { recursive: true, force: true }) };
  }

  /** Runs fn with the container's whole file system mounted (for export). */
  async withMerged<T>(fn: (root: string) => Promise<T>): Promise<T> {
    if (this.mounted) return fn(this.rootfs);
    this.mount();
    try {
      return await fn(this.rootfs);
    } finally {
      this.unmount();
    }
  }

  /** Removes everything of the container on disk (after unmounting). */
  remove(): void {
    this.unmount();
    if (existsSync(this.dir) && isMountPoint(this.rootfs)) {
      throw new BerthError('internal', `cannot remove ${this.dir}: still mounted`);
    }
  }
}

function renameDir(from: string, to: string): void {
  const r = spawnSync('mv', ['-T', '--', from, to]);
  if (r.status !== 0) throw new BerthError('internal', `cannot move ${from} to ${to}`);
}

function copyTree(from: string, to: string): void {
  const r = spawnSync('cp', ['-a', '--preserve=all', '--', from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new BerthError('internal', `cannot copy ${from}: ${r.stderr.trim()}`);
}

function makeInitLayer(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  for (const [p, type, target] of INIT_ENTRIES) {
    const abs = root + p;
    const s = lstatSync(abs, { throwIfNoEntry: false });
    if (s) continue;
    mkdirSync(dirname(abs), { recursive: true, mode: 0o755 });
    if (type === 'dir') mkdirSync(abs, { mode: 0o755 });
    else if (type === 'file') writeFileSync(abs, '', { mode: 0o755 });
    else symlinkSync(target!, abs);
  }
}

/** With copies: init entries the container left as they were made are not changes. */
function isUnchangedInit(path: string, s: BigIntStats): boolean {
  if (!INIT_PATHS.has(path)) return false;
  if (s.isDirectory()) return true;
  if (s.isSymbolicLink()) return path === '/etc/mtab';
  return s.isFile() && s.size === 0n;
}

/**
 * Builds an upper-like directory from a list of changes (copy snapshotter): changed files are
 * hard links to the container's, directories copies of their metadata, deletions overlay
 * whiteouts; layerFromDirectory then writes it as Docker would.
 */
function stageChanges(rootfs: string, staging: string, changes: Change[]): void {
  const native = loadNative();
  mkdirSync(staging, { mode: 0o755 });
  const dirs: { path: string; s: ReturnType<typeof lstatSync> }[] = [];
  const ensureParent = (p: string) => {
    const parent = dirname(p);
    if (parent === '/' || existsSync(staging + parent)) return;
    ensureParent(parent);
    const s = lstatSync(rootfs + parent);
    mkdirSync(staging + parent, { mode: 0o755 });
    dirs.push({ path: parent, s });
  };
  for (const c of changes) {
    ensureParent(c.path);
    const dest = staging + c.path;
    if (c.kind === 'D') {
      native.mknod(dest, 0o020000 | 0o600, 0, 0);
      continue;
    }
    const s = lstatSync(rootfs + c.path);
    if (s.isDirectory()) {
      if (!existsSync(dest)) mkdirSync(dest, { mode: 0o755 });
      dirs.push({ path: c.path, s });
    } else {
      linkSync(rootfs + c.path, dest);
    }
  }
  // Directory metadata last (children change mtimes), deepest first.
  for (const d of dirs.sort((a, b) => b.path.length - a.path.length)) {
    const s = d.s!;
    chmodSync(staging + d.path, Number(s.mode) & 0o7777);
    chownSync(staging + d.path, Number(s.uid), Number(s.gid));
    lutimesSync(staging + d.path, s.atime, s.mtime);
  }
}
