// RUN steps go through the runtime module (src/runtime: snapshots, container file systems, the
// OCI spec and the runc/crun driver); berth has exactly one way of running containers. This
// file only adapts a build step to those parts: a short-lived container whose changes become
// the step's layer.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { arch as hostArch } from 'node:os';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Store, Lease, NewLayer } from '../store/store.js';
import { chainIds } from '../image/digest.js';
import type { Platform } from '../image/types.js';
import { BerthError, invalidArgument, unavailable } from '../image/errors.js';
import { Snapshots } from '../runtime/snapshots.js';
import { ContainerFs } from '../runtime/container-fs.js';
import { buildSpec, type BindMount, type TmpfsMount } from '../runtime/spec.js';
import { Runc } from '../runtime/runc.js';
import { startRuntimeProcess } from '../runtime/process.js';
import { resolveUser } from '../runtime/user.js';
import { mkdirAllIn } from '../runtime/rootfs.js';
import { cgroupMode } from '../runtime/detect.js';
import { mountOverlay } from '../runtime/mount.js';
import type { CacheSeed, CacheSharing, HeldCache } from '../store/cache-mounts.js';
import { readMountInfo } from '../store/mountinfo.js';

export interface RunMountSpec {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret';
  target: string;
  /** bind: host path to mount; secret: the file with the secret. */
  source?: string;
  /** bind: false for `rw` (writes go to a copy, discarded after the step). */
  readOnly: boolean;
  sizeLimit?: number;
  /** secret given as an environment variable: its value. */
  value?: string;
  /** cache: which cache, how it is shared, what a new instance starts as. */
  cache?: { key: string; sharing: CacheSharing; seed: CacheSeed };
}

export interface RunStepRequest {
  store: Store;
  lease: Lease;
  /** The image's layers, bottom first: the container's root filesystem. */
  layers: NewLayer[];
  args: string[];
  env: string[];
  workdir: string;
  user: string;
  network: 'default' | 'none' | 'host';
  hosts: string[];
  mounts: RunMountSpec[];
  platform: Platform;
  /** Output of the process (stdout and stderr), as it comes. */
  output: (chunk: Buffer) => void;
}

export interface RunStepResult {
  exitCode: number;
  /** The container's changes as a layer tar (whiteouts for deletions). */
  diff: () => Readable;
  cleanup(): Promise<void>;
}

const GOARCH_TO_QEMU: Record<string, string> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  arm: 'arm',
  '386': 'i386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64le: 'mips64el',
};

/** ELF class, byte order and e_machine of each architecture's executables, as binfmt_misc matches them. */
const ELF_IDENT: Record<string, { cls: number; data: number; machine: number }> = {
  amd64: { cls: 2, data: 1, machine: 0x3e },
  arm64: { cls: 2, data: 1, machine: 0xb7 },
  arm: { cls: 1, data: 1, machine: 0x28 },
  '386': { cls: 1, data: 1, machine: 0x03 },
  ppc64le: { cls: 2, data: 1, machine: 0x15 },
  s390x: { cls: 2, data: 2, machine: 0x16 },
  riscv64: { cls: 2, data: 1, machine: 0xf3 },
  mips64le: { cls: 2, data: 1, machine: 0x08 },
};

const NODE_TO_GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** Where binfmt_misc is mounted ($BERTH_BINFMT_MISC_DIR tells tests to look elsewhere). */
const binfmtDir = () => process.env.BERTH_BINFMT_MISC_DIR ?? '/proc/sys/fs/binfmt_misc';

/**
 * Whether binfmt_misc runs executables of an architecture through an enabled handler: one named
 * qemu-<arch> (Debian's qemu-user-static, tonistiigi/binfmt), or any whose magic matches the
 * architecture's ELF header.
 */
export function emulatorRegistered(architecture: string, dir = binfmtDir()): boolean {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  if (!read(join(dir, 'status'))?.startsWith('enabled')) return false;
  const q = GOARCH_TO_QEMU[architecture] ?? architecture;
  if (read(join(dir, `qemu-${q}`))?.startsWith('enabled')) return true;
  const id = ELF_IDENT[architecture];
  if (!id) return false;
  const byte = (n: number) => n.toString(16).padStart(2, '0');
  const machine = id.data === 1 ? byte(id.machine) + '00' : '00' + byte(id.machine);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  for (const n of names) {
    if (n === 'status' || n === 'register') continue;
    const text = read(join(dir, n));
    if (!text?.startsWith('enabled')) continue;
    const magic = /^magic ([0-9a-f]+)$/m.exec(text)?.[1];
    const offset = Number(/^offset (\d+)$/m.exec(text)?.[1] ?? '0');
    if (!magic || offset !== 0 || !magic.startsWith('7f454c46')) continue;
    if (magic.slice(8, 12) === byte(id.cls) + byte(id.data) && magic.slice(36, 40) === machine) return true;
  }
  return false;
}

/** Foreign-architecture RUN needs a qemu user-mode handler registered with binfmt_misc. */
export function checkEmulation(platform: Platform): void {
  const host = NODE_TO_GOARCH[hostArch()] ?? hostArch();
  if (platform.architecture === host || (host === 'amd64' && platform.architecture === '386')) return;
  if (emulatorRegistered(platform.architecture)) return;
  const q = GOARCH_TO_QEMU[platform.architecture] ?? platform.architecture;
  throw unavailable(
    `cannot run a RUN instruction for ${platform.os}/${platform.architecture} on this ${host} host: no qemu-${q} handler is registered with binfmt_misc (install qemu-user-static and binfmt-support); steps without RUN need no emulation`,
  );
}

function etcFiles(dir: string, hostname: string, hosts: string[], network: string): { hosts: string; hostname: string; resolvConf: string } {
  const h = join(dir, 'hosts');
  let text = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
  for (const e of hosts) {
    const i = e.indexOf(':');
    if (i <= 0) throw invalidArgument(`invalid argument "${e}" for "--add-host" flag: bad format for add-host: "${e}"`);
    text += `${e.slice(i + 1)}\t${e.slice(0, i)}\n`;
  }
  writeFileSync(h, text);
  const hn = join(dir, 'hostname');
  writeFileSync(hn, hostname + '\n');
  const rc = join(dir, 'resolv.conf');
  if (network !== 'none' && existsSync('/etc/resolv.conf')) copyFileSync('/etc/resolv.conf', rc);
  else writeFileSync(rc, '');
  return { hosts: h, hostname: hn, resolvConf: rc };
}

/** The spec's RLIMIT_NOFILE cannot exceed what this process may raise it to (sandboxes lower it). */
function clampRlimits(spec: Record<string, unknown>): void {
  const proc = spec.process as { rlimits?: { type: string; hard: number; soft: number }[] } | undefined;
  let hard = Infinity;
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m && m[2] !== 'unlimited') hard = Number(m[2]);
  } catch {
    return;
  }
  for (const r of proc?.rlimits ?? []) {
    if (r.type === 'RLIMIT_NOFILE' && r.hard > hard) {
      r.hard = hard;
      r.soft = Math.min(r.soft, hard);
    }
  }
}

/** Removes mount points made for the run (deepest first) when they are still empty. */
function removeMountPoints(fs: ContainerFs, paths: string[]): void {
  const base = fs.kind === 'overlay' ? fs.upper : fs.rootfs;
  for (const p of [...new Set(paths)].sort((a, b) => b.length - a.length)) {
    const abs = base + p;
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) continue;
    try {
      if (st.isDirectory()) rmdirSync(abs);
      else if (st.isFile() && st.size === 0) unlinkSync(abs);
    } catch {
      // Not empty: the command wrote there, so it stays.
    }
  }
}

const active = new Set<() => Promise<void>>();

/** Stops and removes the containers of RUN steps in progress (on SIGINT/SIGTERM). */
export async function cleanupActiveRuns(): Promise<void> {
  await Promise.all([...active].map((c) => c().catch(() => undefined)));
}

/**
 * The cgroup directories the runtime makes for a cgroups path: one per mounted hierarchy (v1), or
 * the one of the unified hierarchy.
 */
function cgroupDirs(cgroupsPath: string): string[] {
  const roots = readMountInfo().filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
  return [...new Set(roots.map((m) => m.mountPoint + cgroupsPath))];
}

/**
 * A read-write view of a bind source whose writes are thrown away with the step, as BuildKit's
 * `rw` binds: an overlay with the source as its lower layer, or a copy where overlay cannot be used.
 */
function writableView(source: string, dir: string, overlay: boolean): string {
  const st = statSync(source);
  if (st.isDirectory() && overlay) {
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    const merged = join(dir, 'merged');
    for (const d of [upper, work, merged]) mkdirSync(d, { recursive: true });
    try {
      // A lone lower layer needs an upper one: the step's writes land there.
      mountOverlay({ base: dir, lowers: [source], upper, work, target: merged });
      return merged;
    } catch {
      // Some lower file systems (overlay itself on older kernels) refuse: copy instead.
    }
  }
  // A single file (or a directory overlay refused): a copy, thrown away with the step.
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, 'copy');
  const r = spawnSync('cp', ['-a', '--', source, copy], { encoding: 'utf8' });
  if (r.status !== 0) throw new BerthError('internal', `cannot prepare the read-write bind mount of ${source}: ${r.stderr.trim()}`);
  return copy;
}

/** Runs one RUN step's command in a container made of the image's snapshots. */
export async function runStep(req: RunStepRequest): Promise<RunStepResult> {
  checkEmulation(req.platform);
  const store = req.store;
  const snaps = new Snapshots(store);
  const names = await snaps.prepare(req.lease, chainIds(req.layers.map((l) => l.diffId)));
  const id = randomBytes(32).toString('hex');
  // Scratch space of the build's lease: if this process dies, the store's collector kills the
  // container (through its cgroups), unmounts its root file system and removes it all, runtime
  // state included.
  const dir = store.scratch.create(req.lease, 'run');
  const fs = new ContainerFs({ dir: join(dir, 'c'), kind: snaps.kind, snapshotsDir: store.paths.snapshots, snapshots: names });
  let runc: Runc | undefined;
  let created = false;
  const held: HeldCache[] = [];
  const cleanup = async () => {
    active.delete(cleanup);
    if (created) runc?.delete(id);
    created = false;
    for (const h of held.splice(0)) h.release();
    try {
      store.scratch.remove(dir);
    } catch {
      // Still busy: the collector retries once this build's lease is gone.
    }
  };
  active.add(cleanup);
  try {
    runc = new Runc(join(dir, 'rt'));
    const rootfs = fs.mount();
    const user = resolveUser(rootfs, req.user);
    mkdirAllIn(rootfs, req.workdir || '/', 0o755, req.user ? { uid: user.uid, gid: user.gid } : undefined);
    const binds: BindMount[] = [];
    const tmpfs: TmpfsMount[] = [];
    const env = [...req.env];
    let views = 0;
    for (const m of req.mounts) {
      if (m.type === 'bind' && m.source) {
        const source = m.readOnly ? m.source : writableView(m.source, join(dir, `rw-${views++}`), snaps.kind === 'overlay');
        binds.push({ source, destination: m.target, readonly: m.readOnly });
      } else if (m.type === 'cache' && m.cache) {
        const h = await store.cacheMounts.acquire(m.cache);
        held.push(h);
        binds.push({ source: h.dir, destination: m.target, readonly: m.readOnly });
      } else if (m.type === 'tmpfs') {
        tmpfs.push({ destination: m.target, options: ['nosuid', 'nodev', 'mode=1777', ...(m.sizeLimit ? [`size=${m.sizeLimit}`] : [])] });
      } else if (m.type === 'secret') {
        if (m.value !== undefined) {
          const f = join(dir, `secret-${binds.length}`);
          writeFileSync(f, m.value, { mode: 0o400 });
          binds.push({ source: f, destination: m.target, readonly: true });
        } else if (m.source) binds.push({ source: m.source, destination: m.target, readonly: true });
      }
    }
    // Mount points the image did not have are created for the run and removed before the diff,
    // as BuildKit does, so they never show up in the step's layer.
    const made: string[] = [];
    const note = (p: string) => {
      const parts = p.split('/').filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        const sub = '/' + parts.slice(0, i).join('/');
        if (!lstatSync(rootfs + sub, { throwIfNoEntry: false })) made.push(sub);
      }
    };
    for (const b of binds) {
      note(b.destination);
      const isDir = statSync(b.source, { throwIfNoEntry: false })?.isDirectory() ?? true;
      mkdirAllIn(rootfs, isDir ? b.destination : posix.dirname(b.destination), 0o755);
    }
    for (const t of tmpfs) {
      note(t.destination);
      mkdirAllIn(rootfs, t.destination, 0o755);
    }
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    const cgroupsPath = `/berth-build/${id}`;
    store.scratch.recordCgroups(dir, cgroupDirs(cgroupsPath));
    const spec = buildSpec({
      process: { args: req.args, env, cwd: req.workdir || '/', uid: user.uid, gid: user.gid, additionalGids: user.additionalGids, terminal: false },
      rootfs,
      hostname: id.slice(0, 12),
      network: req.network === 'none' ? 'none' : 'host',
      etcFiles: etcFiles(dir, id.slice(0, 12), req.hosts, req.network),
      binds,
      tmpfs,
      cgroupsPath,
      cgroupNamespace: cgroupMode() === 'unified',
    });
    clampRlimits(spec);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const proc = await startRuntimeProcess(runc, 'create', ['--bundle', bundle, id], { stdin: false, tty: false }, {
      pidFile: join(dir, 'pid'),
      logFile: join(dir, 'runtime.log'),
      consoleSocket: join(dir, 'console.sock'),
    });
    created = true;
    const pump = (s: NodeJS.ReadableStream | undefined) =>
      new Promise<void>((resolve) => {
        if (!s) return resolve();
        s.on('data', (b: Buffer) => req.output(b));
        s.once('end', () => resolve());
        s.once('close', () => resolve());
        s.once('error', () => resolve());
      });
    const outDone = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
    runc.run('start', ['start', id], join(dir, 'runtime.log'));
    const status = await proc.wait();
    await Promise.race([outDone, new Promise((r) => setTimeout(r, 2000))]);
    proc.stdout?.destroy();
    proc.stderr?.destroy();
    runc.delete(id);
    created = false;
    for (const h of held.splice(0)) h.release();
    fs.unmount();
    // The read-write bind views go before the diff is read: nothing of theirs is kept.
    for (let i = 0; i < views; i++) store.scratch.remove(join(dir, `rw-${i}`));
    removeMountPoints(fs, made);
    let layer: { stream: Readable; release: () => void } | undefined;
    return {
      exitCode: status.code,
      diff: () => {
        layer = fs.changesLayer();
        return layer.stream;
      },
      cleanup: async () => {
        layer?.release();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    if (err instanceof BerthError) throw err;
    throw new BerthError('internal', (err as Error).message, { cause: err });
  }
}
