// RUN steps go through the runtime module (src/runtime: snapshots, container file systems, the
// OCI spec and the runc/crun driver); berth has exactly one way of running containers. This
// file only adapts a build step to those parts: a short-lived container whose changes become
// the step's layer.

import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { arch as hostArch, tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Store, Lease, NewLayer } from '../store/store.js';
import { chainIds } from '../image/digest.js';
import type { Platform } from '../image/types.js';
import { BerthError, invalidArgument, unavailable } from '../image/errors.js';
import { Snapshots } from '../runtime/snapshots.js';
import { ContainerFs } from '../runtime/container-fs.js';
import { buildSpec, type BindMount, type TmpfsMount } from '../runtime/spec.js';
import { Runc, runDirFor } from '../runtime/runc.js';
import { startRuntimeProcess } from '../runtime/process.js';
import { resolveUser } from '../runtime/user.js';
import { mkdirAllIn } from '../runtime/rootfs.js';
import { cgroupMode } from '../runtime/detect.js';

export interface RunMountSpec {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret';
  target: string;
  /** bind: host path to mount; cache: the cache's id; secret: the file with the secret. */
  source?: string;
  readOnly: boolean;
  sizeLimit?: number;
  /** secret given as an environment variable: its value. */
  value?: string;
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

const NODE_TO_GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** Foreign-architecture RUN needs a qemu user-mode handler registered with binfmt_misc. */
export function checkEmulation(platform: Platform): void {
  const host = NODE_TO_GOARCH[hostArch()] ?? hostArch();
  if (platform.architecture === host || (host === 'amd64' && platform.architecture === '386')) return;
  const q = GOARCH_TO_QEMU[platform.architecture] ?? platform.architecture;
  const entry = `/proc/sys/fs/binfmt_misc/qemu-${q}`;
  let enabled: boolean;
  try {
    enabled = readFileSync(entry, 'utf8').startsWith('enabled');
  } catch {
    enabled = false;
  }
  if (!enabled) {
    throw unavailable(
      `cannot run a RUN instruction for ${platform.os}/${platform.architecture} on this ${host} host: no qemu-${q} handler is registered with binfmt_misc (install qemu-user-static and binfmt-support); steps without RUN need no emulation`,
    );
  }
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

/** Runs one RUN step's command in a container made of the image's snapshots. */
export async function runStep(req: RunStepRequest): Promise<RunStepResult> {
  checkEmulation(req.platform);
  const store = req.store;
  const snaps = new Snapshots(store);
  const names = await snaps.prepare(req.lease, chainIds(req.layers.map((l) => l.diffId)));
  const id = randomBytes(32).toString('hex');
  // Outside the store: a build step's container has no row, and the store's collector reclaims
  // container directories without one.
  const dir = mkdtempSync(join(process.env.BERTH_BUILD_TMP ?? tmpdir(), 'berth-run-'));
  const fs = new ContainerFs({ dir: join(dir, 'c'), kind: snaps.kind, snapshotsDir: store.paths.snapshots, snapshots: names });
  const runc = new Runc(runDirFor(store.paths.root));
  let created = false;
  const cleanup = async () => {
    active.delete(cleanup);
    if (created) runc.delete(id);
    try {
      fs.unmount();
    } catch {
      /* nothing mounted */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  active.add(cleanup);
  try {
    const rootfs = fs.mount();
    const user = resolveUser(rootfs, req.user);
    mkdirAllIn(rootfs, req.workdir || '/', 0o755, req.user ? { uid: user.uid, gid: user.gid } : undefined);
    const binds: BindMount[] = [];
    const tmpfs: TmpfsMount[] = [];
    const env = [...req.env];
    for (const m of req.mounts) {
      if (m.type === 'bind' && m.source) binds.push({ source: m.source, destination: m.target, readonly: m.readOnly });
      else if (m.type === 'cache') {
        // Cache mounts are best-effort scratch space of this store on this machine, keyed by id.
        const cdir = join(runDirFor(store.paths.root), 'build-cache-mounts', encodeURIComponent(m.source ?? m.target));
        mkdirSync(cdir, { recursive: true });
        binds.push({ source: cdir, destination: m.target, readonly: m.readOnly });
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
    const spec = buildSpec({
      process: { args: req.args, env, cwd: req.workdir || '/', uid: user.uid, gid: user.gid, additionalGids: user.additionalGids, terminal: false },
      rootfs,
      hostname: id.slice(0, 12),
      network: req.network === 'none' ? 'none' : 'host',
      etcFiles: etcFiles(dir, id.slice(0, 12), req.hosts, req.network),
      binds,
      tmpfs,
      cgroupsPath: `/berth-build/${id}`,
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
    fs.unmount();
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
