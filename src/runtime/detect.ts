/**
 * What this host offers for running containers: the OCI runtime (runc, or crun where the cgroup
 * hierarchy is unified — crun refuses hybrid hosts), the cgroup layout, and whether overlayfs
 * works on the store's file system. Detected, never assumed; BERTH_RUNTIME and
 * BERTH_SNAPSHOTTER override the choice.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { unavailable } from '../image/errors.js';
import { runtimeNative } from './native.js';

export type CgroupMode = 'unified' | 'hybrid' | 'legacy' | 'none';

export interface RuntimeInfo {
  name: string;
  path: string;
  version: string;
}

export interface HostInfo {
  cgroupMode: CgroupMode;
  /** "2" on a unified hierarchy, else "1". */
  cgroupVersion: '1' | '2';
  runtime: RuntimeInfo | undefined;
  /** Runtimes found on the host, usable or not. */
  runtimesFound: string[];
}

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function which(name: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function mounts(): { target: string; fstype: string }[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const f = l.split(' ');
        return { target: f[1]!.replace(/\\040/g, ' '), fstype: f[2]! };
      });
  } catch {
    return [];
  }
}

export function cgroupMode(): CgroupMode {
  const all = mounts();
  const at = (p: string) => all.filter((m) => m.target === p).at(-1);
  const root = at('/sys/fs/cgroup');
  if (root?.fstype === 'cgroup2') return 'unified';
  if (!root && !all.some((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2')) return 'none';
  return at('/sys/fs/cgroup/unified')?.fstype === 'cgroup2' ? 'hybrid' : 'legacy';
}

let hostCache: HostInfo | undefined;

/** The host's cgroup layout and the OCI runtime berth uses on it. */
export function hostInfo(): HostInfo {
  if (hostCache) return hostCache;
  const mode = cgroupMode();
  const found = ['crun', 'runc'].filter((n) => which(n) !== undefined);
  let runtime: RuntimeInfo | undefined;
  const forced = process.env.BERTH_RUNTIME;
  const order = forced ? [forced] : mode === 'unified' ? ['crun', 'runc'] : ['runc'];
  for (const name of order) {
    const path = which(name);
    if (!path) continue;
    runtime = { name: name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name, path, version: '' };
    break;
  }
  hostCache = { cgroupMode: mode, cgroupVersion: mode === 'unified' ? '2' : '1', runtime, runtimesFound: found };
  return hostCache;
}

/** The runtime to use, or a clear error saying what is missing. */
export function requireRuntime(): RuntimeInfo {
  const h = hostInfo();
  if (h.runtime) return h.runtime;
  if (process.env.BERTH_RUNTIME) throw unavailable(`OCI runtime ${process.env.BERTH_RUNTIME} not found`);
  if (h.runtimesFound.includes('crun')) {
    throw unavailable(`no usable OCI runtime: crun needs a unified cgroup v2 hierarchy (this host's is ${h.cgroupMode}); install runc`);
  }
  throw unavailable('no OCI runtime found: install runc (or crun on a cgroup v2 host)');
}

/** `<runtime> --version`, first line's version number. */
export function runtimeVersion(rt: RuntimeInfo): string {
  if (rt.version) return rt.version;
  const r = spawnSync(rt.path, ['--version'], { encoding: 'utf8', timeout: 5000 });
  const m = /version\s+(\S+)/.exec(r.stdout ?? '');
  rt.version = m?.[1] ?? 'unknown';
  return rt.version;
}

export type SnapshotterKind = 'overlay' | 'copy';

const overlayCache = new Map<string, boolean>();

/**
 * Whether an overlay mount with an upper directory works under dir (the store's snapshot area):
 * the kernel must know overlayfs and the file system must accept it as upper (trusted xattrs,
 * d_type). Probed once per directory and process.
 */
export function overlayWorks(dir: string): boolean {
  const cached = overlayCache.get(dir);
  if (cached !== undefined) return cached;
  let ok = false;
  try {
    if (readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n') && process.getuid?.() === 0) {
      // Named after this process, so a collection can remove the probe of one that was killed.
      const probe = join(dir, `.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
      const [l1, l2, u, w, m] = ['l1', 'l2', 'u', 'w', 'm'].map((n) => join(probe, n));
      for (const d of [l1!, l2!, u!, w!, m!]) mkdirSync(d, { recursive: true });
      const n = runtimeNative();
      try {
        n.mount('overlay', m!, 'overlay', 0, 'lowerdir=l1:l2,upperdir=u,workdir=w', probe);
        n.umount(m!, 0);
        ok = true;
      } catch {
        ok = false;
      } finally {
        rmSync(probe, { recursive: true, force: true });
      }
    }
  } catch {
    ok = false;
  }
  overlayCache.set(dir, ok);
  return ok;
}

/** The snapshotter for a store: overlay where it works, else copies; BERTH_SNAPSHOTTER overrides. */
export function chooseSnapshotter(snapshotsDir: string): SnapshotterKind {
  const forced = process.env.BERTH_SNAPSHOTTER;
  if (forced === 'copy' || forced === 'overlay') return forced;
  mkdirSync(snapshotsDir, { recursive: true, mode: 0o700 });
  return overlayWorks(snapshotsDir) ? 'overlay' : 'copy';
}
