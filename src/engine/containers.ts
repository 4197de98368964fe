/**
 * Container lifecycle: start (through a monitor process), stop, kill, wait, rm, prune, logs.
 * Every operation first reconciles the records it reads with the processes that really run.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type { EngineCore } from './engine.js';
import type { Store } from '../store/store.js';
import { BerthError, conflict, invalidArgument, isKind, notFound } from '../image/errors.js';
import {
  findContainer,
  getRow,
  initAlive,
  isRunning,
  lookupContainer,
  monitorAlive,
  parseSpec,
  reconcileRow,
  containerEvent,
  type ContainerRow,
} from '../runtime/container-store.js';
import { containerFs, containerPaths, removeContainer } from '../runtime/container-files.js';
import { Runc, trackChild } from '../runtime/runc.js';
import { Snapshots } from '../runtime/snapshots.js';
import { hostInfo, type SnapshotterKind } from '../runtime/detect.js';
import { isFrozen } from '../runtime/freezer.js';
import { containerGroups, resolveUser } from '../runtime/user.js';
import { mkdirAllIn } from '../runtime/rootfs.js';
import { buildSpec, DEFAULT_PATH_ENV } from '../runtime/spec.js';
import { connectAttach, encodeFrame, Frame, FrameDecoder } from '../runtime/attach.js';
import { readLog, type LogRecord } from '../runtime/jsonlog.js';
import { lastEventSeq, latestEvent } from '../store/events.js';
import { chainOf, VALID_NAME } from './container-create.js';
import { extraHostLines, processLimits, specDevices, specResources, unmaskedPaths } from './container-limits.js';
import { hostDevices } from '../runtime/host-devices.js';
import { selfStartTime } from '../store/process-identity.js';
import { parseRfc3339 } from '../runtime/time.js';

export { findContainer, lookupContainer, parseSpec } from '../runtime/container-store.js';
export { makeRaw } from '../runtime/terminal.js';

/** Brings a row up to date with reality and cleans up after containers whose processes died. */
export function reconcile(store: Store, row: ContainerRow): ContainerRow {
  if (row.state === 'starting' && row.pid > 0 && !monitorAlive(row) && initAlive(row)) {
    // Its monitor died between the runtime's create and start: the process never ran and no one
    // will start it; the runtime's delete kills it, and the start is undone below.
    try {
      const runc = new Runc(containerPaths(store, row.id).runDir);
      if (runc.state(row.id)?.status === 'created') runc.delete(row.id);
    } catch {
      /* no runtime */
    }
  }
  const r = reconcileRow(store, row);
  if (r.needsCleanup) cleanupStopped(store, r.row);
  return r.row;
}

/** Reconciles every container that claims to be running. */
export function reconcileAll(store: Store): void {
  const rows = store.db.prepare("SELECT * FROM containers WHERE state IN ('running', 'starting', 'removing')").all() as ContainerRow[];
  for (const row of rows) reconcile(store, row);
}

/** Runtime state and mounts of a container that is no longer running. */
function cleanupStopped(store: Store, row: ContainerRow): void {
  try {
    const runc = new Runc(containerPaths(store, row.id).runDir);
    runc.delete(row.id);
  } catch {
    /* no runtime: nothing of it to clean */
  }
  try {
    containerFs(store, row).unmount();
  } catch {
    /* a later call retries */
  }
}

export function getContainer(engine: EngineCore, input: string): ContainerRow {
  return reconcile(engine.store, findContainer(engine.store, input));
}

function etcFiles(dir: string, hostname: string, extraHosts: string): { hosts: string; hostname: string; resolvConf: string } {
  const hosts = join(dir, 'hosts');
  const hn = join(dir, 'hostname');
  const resolv = join(dir, 'resolv.conf');
  try {
    copyFileSync('/etc/hosts', hosts);
  } catch {
    writeFileSync(hosts, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  }
  if (extraHosts) appendFileSync(hosts, extraHosts);
  writeFileSync(hn, hostname + '\n');
  try {
    copyFileSync('/etc/resolv.conf', resolv);
  } catch {
    writeFileSync(resolv, '');
  }
  return { hosts, hostname: hn, resolvConf: resolv };
}

/** Docker's CreateDaemonEnvironment: PATH and HOSTNAME (and TERM with a tty), then the config's. */
export function containerEnv(hostname: string, tty: boolean, env: readonly string[] | null | undefined, extra: readonly string[] = []): string[] {
  const out = [DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`];
  if (tty) out.push('TERM=xterm');
  for (const e of [...(env ?? []), ...extra]) {
    const k = e.split('=', 1)[0];
    const i = out.findIndex((o) => o.split('=', 1)[0] === k);
    if (!e.includes('=')) {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** Mounts the root file system and writes the runtime bundle for a start. */
export async function prepareBundle(engine: EngineCore, row: ContainerRow): Promise<void> {
  const store = engine.store;
  const spec = parseSpec(row);
  const cfg = spec.Config;
  const paths = containerPaths(store, row.id);
  const lease = store.lease('container-start');
  try {
    const snaps = new Snapshots(store, row.snapshotter as SnapshotterKind);
    const names = await snaps.prepare(lease, chainOf(engine, row.top_layer));
    if (names.join(':') !== spec.Snapshots.join(':')) {
      spec.Snapshots = names;
      store.tx(() => store.db.prepare('UPDATE containers SET config = ? WHERE id = ?').run(JSON.stringify(spec), row.id));
      row = getRow(store, row.id)!;
    }
    const fs = containerFs(store, row);
    const rootfs = fs.mount();
    const user = resolveUser(rootfs, cfg.User ?? '', spec.HostConfig.GroupAdd ?? []);
    const cwd = cfg.WorkingDir || '/';
    if (cwd !== '/') mkdirAllIn(rootfs, cwd, 0o755);
    const hc = spec.HostConfig;
    const etc = etcFiles(paths.dir, cfg.Hostname ?? '', extraHostLines(hc));
    const limits = processLimits(hc);
    const devices = specDevices(hc);
    const tmpfs = Object.entries(spec.HostConfig.Tmpfs ?? {}).map(([destination, o]) => ({
      destination,
      options: ['nosuid', 'nodev', 'noexec', ...o.split(',').filter(Boolean)],
    }));
    const host = hostInfo();
    const oci = buildSpec({
      process: {
        args: [spec.Path, ...spec.Args],
        env: containerEnv(cfg.Hostname ?? '', Boolean(cfg.Tty), cfg.Env),
        cwd,
        uid: user.uid,
        gid: user.gid,
        additionalGids: containerGroups(user),
        terminal: Boolean(cfg.Tty),
        rlimits: limits.rlimits,
        noNewPrivileges: limits.noNewPrivileges,
      },
      capabilities: limits.capabilities,
      privileged: Boolean(hc.Privileged),
      unmaskedPaths: unmaskedPaths(hc),
      devices: hc.Privileged ? hostDevices() : devices.nodes,
      deviceRules: devices.rules,
      shmSize: hc.ShmSize,
      resources: specResources(hc),
      sysctl: hc.Sysctls,
      hostNamespaces: [hc.PidMode === 'host' && 'pid', hc.IpcMode === 'host' && 'ipc', hc.UTSMode === 'host' && 'uts'].filter((x): x is 'pid' | 'ipc' | 'uts' => Boolean(x)),
      rootfs,
      readonlyRootfs: spec.HostConfig.ReadonlyRootfs,
      hostname: cfg.Hostname ?? '',
      network: spec.HostConfig.NetworkMode === 'none' ? 'none' : 'host',
      etcFiles: etc,
      binds: spec.MountPoints.filter((m) => m.Type === 'bind').map((m) => ({
        source: m.Source,
        destination: m.Destination,
        readonly: !m.RW,
        propagation: m.Propagation || 'rprivate',
      })),
      tmpfs,
      cgroupsPath: `/berth/${row.id}`,
      cgroupNamespace: host.cgroupMode === 'unified',
    });
    writeFileSync(join(paths.dir, 'config.json'), JSON.stringify(oci, null, 2));
  } finally {
    store.release(lease);
  }
}

const monitorScript = new URL('../runtime/monitor.js', import.meta.url).pathname;

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface StartResult {
  id: string;
  /** Set when attached: the session to the container's monitor. */
  attach?: Socket;
}

/**
 * Starts a created or exited container: claims it, mounts its file system, writes its bundle
 * and hands it to a new monitor process. With `attach`, returns a connection to the monitor
 * (which waits for it before starting the process); else waits until it started or failed.
 */
export async function startContainer(engine: EngineCore, input: string, opts: { attach?: AttachOptions } = {}): Promise<StartResult> {
  const store = engine.store;
  const row0 = getContainer(engine, input);
  if (row0.state === 'running' || row0.state === 'starting') return { id: row0.id };
  if (row0.state === 'removing' || row0.state === 'dead') throw conflict('container is marked for removal and cannot be started');
  const claimed = store.tx(() => {
    const cur = getRow(store, row0.id);
    if (!cur) throw notFound(`No such container: ${input}`);
    if (cur.state !== 'created' && cur.state !== 'exited') return false;
    store.db
      .prepare("UPDATE containers SET state = 'starting', pid = 0, monitor_pid = ?, monitor_start = ?, error = '' WHERE id = ?")
      .run(process.pid, selfStartTime(), cur.id);
    return true;
  });
  if (!claimed) return { id: row0.id };
  const id = row0.id;
  const undo = (message: string, code = 128) => {
    try {
      containerFs(store, getRow(store, id) ?? row0).unmount();
    } catch {
      /* reconciled later */
    }
    store.tx(() => {
      const r = store.db
        .prepare(
          "UPDATE containers SET state = CASE WHEN started = '' THEN 'created' ELSE 'exited' END, monitor_pid = 0, exit_code = ?, error = ? WHERE id = ? AND state = 'starting'",
        )
        .run(code, message, id);
      if (r.changes) containerEvent(store, row0, 'die', { exitCode: String(code) });
    });
  };
  try {
    await prepareBundle(engine, getRow(store, id)!);
  } catch (err) {
    undo((err as Error).message, isKind(err, 'invalid-argument') ? 127 : 128);
    throw err;
  }
  const paths = containerPaths(store, id);
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  const logFd = openSync(join(paths.dir, 'monitor.log'), 'a', 0o600);
  const child = trackChild(
    spawn(process.execPath, [monitorScript, store.paths.root, id, ...(opts.attach ? ['--attach'] : [])], {
      detached: true,
      cwd: '/',
      stdio: ['ignore', 'ignore', logFd, 'pipe'],
    }),
  );
  closeSync(logFd);
  child.on('error', () => undefined);
  const status = child.stdio[3] as Readable;
  const result = new Promise<{ ok: boolean; error?: string; code?: number }>((resolve) => {
    let text = '';
    status.on('data', (b: Buffer) => (text += b.toString()));
    status.on('error', () => undefined);
    status.on('close', () => {
      try {
        resolve(JSON.parse(text.split('\n')[0]!) as { ok: boolean; error?: string; code?: number });
      } catch {
        resolve({ ok: false, error: `the container monitor exited unexpectedly (see ${join(paths.dir, 'monitor.log')})` });
      }
    });
  });
  const release = () => {
    status.destroy();
    child.unref();
  };
  if (opts.attach) {
    let sock: Socket;
    try {
      sock = await connectAttach(paths.socket, 10_000, () => child.exitCode === null);
    } catch {
      const r = await result;
      release();
      if (!r.ok) {
        undo(r.error ?? 'start failed', r.code);
        throw new BerthError('internal', r.error ?? 'start failed');
      }
      throw new BerthError('internal', 'cannot attach to the container');
    }
    sock.write(encodeFrame(Frame.Hello, JSON.stringify(opts.attach)));
    void result.then(release);
    return { id, attach: sock };
  }
  const r = await result;
  release();
  if (!r.ok) {
    undo(r.error ?? 'start failed', r.code);
    throw new StartError(r.error ?? 'start failed', r.code ?? 128);
  }
  return { id };
}

/** A container that could not be started, with the exit code Docker gives it. */
export class StartError extends BerthError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super('internal', message);
  }
}

export interface AttachIo {
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Window size source (the CLI's terminal). */
  size?: () => { rows: number; cols: number } | undefined;
  onResize?: (fn: () => void) => void;
  /** Called when the container's process started (not for a container already running). */
  onStarted?: () => void;
}

/**
 * Relays an attach session until the container exits; resolves with its exit code. A start
 * failure rejects with StartError.
 */
export function relayAttach(engine: EngineCore, id: string, sock: Socket, io: AttachIo): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const dec = new FrameDecoder();
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      if (io.stdin) io.stdin.removeListener('data', onStdin);
      fn();
    };
    const onStdin = (b: Buffer | string) => {
      sock.write(encodeFrame(Frame.Stdin, typeof b === 'string' ? Buffer.from(b) : b));
    };
    const sendSize = () => {
      const s = io.size?.();
      if (s) sock.write(encodeFrame(Frame.Resize, JSON.stringify(s)));
    };
    sock.on('data', (chunk: Buffer) => {
      for (const f of dec.push(chunk)) {
        if (f.type === Frame.Stdout) io.stdout.write(f.payload);
        else if (f.type === Frame.Stderr) io.stderr.write(f.payload);
        else if (f.type === Frame.Started) {
          io.onStarted?.();
          sendSize();
        }
        else if (f.type === Frame.Exit) {
          const { code } = JSON.parse(f.payload.toString()) as { code: number };
          finish(() => resolve(code));
        } else if (f.type === Frame.Error) {
          const e = JSON.parse(f.payload.toString()) as { message: string; code: number };
          finish(() => reject(new StartError(e.message, e.code)));
        }
      }
    });
    sock.on('error', () => undefined);
    // Our own output went away (`| head`): detach; the container goes on, as with Docker.
    const onOutputError = () => finish(() => {
      sock.destroy();
      resolve(0);
    });
    io.stdout.on('error', onOutputError);
    io.stderr.on('error', onOutputError);
    sock.on('close', () => {
      // The monitor went away without a word: the record says what happened.
      finish(() => {
        const row = lookupContainer(engine.store, id);
        if (!row) return resolve(0);
        const r = reconcile(engine.store, row);
        resolve(r.state === 'exited' ? r.exit_code : 255);
      });
    });
    if (io.stdin) {
      io.stdin.on('data', onStdin);
      io.stdin.once('end', () => {
        if (!done) sock.write(encodeFrame(Frame.StdinClose));
      });
    }
    io.onResize?.(sendSize);
  });
}

const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22,
  URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};

/** Docker's signal.ParseSignal: a number, or a name with or without SIG. */
export function parseSignal(s: string): number {
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    if (n === 0 || n > 64) throw invalidArgument(`Invalid signal: ${s}`);
    return n;
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name);
  if (rt) return 34 + Number(rt[1] ?? 0);
  const n = SIGNALS[name];
  if (n === undefined) throw invalidArgument(`Invalid signal: ${s}`);
  return n;
}

function runcFor(store: Store, id: string): Runc {
  return new Runc(containerPaths(store, id).runDir);
}

function signalContainer(store: Store, row: ContainerRow, sig: number, opts: { thaw?: boolean } = {}): void {
  try {
    runcFor(store, row.id).kill(row.id, sig);
  } catch (err) {
    // The runtime lost it but the process is ours to signal (same pid and start time).
    if (initAlive(row)) process.kill(row.pid, sig);
    else if (!/not running|does not exist|container not running/i.test((err as Error).message)) throw err;
  }
  // A paused container receives a stop or a kill once it is thawed, as Docker does it.
  if ((opts.thaw || sig === 9) && isFrozen(row.id)) {
    try {
      runcFor(store, row.id).run('resume', ['resume', row.id]);
    } catch {
      /* exited meanwhile */
    }
  }
}

/** `pause`: freezes a running container's processes (runc pause). */
export function pauseContainer(engine: EngineCore, input: string): void {
  const row = getContainer(engine, input);
  if (!isRunning(row)) throw conflict(`Container ${row.id} is not running`);
  if (isFrozen(row.id)) throw conflict(`Container ${row.id} is already paused`);
  runcFor(engine.store, row.id).run('pause', ['pause', row.id]);
  engine.store.tx(() => containerEvent(engine.store, row, 'pause'));
}

/** `unpause`: thaws a paused container. */
export function unpauseContainer(engine: EngineCore, input: string): void {
  const row = getContainer(engine, input);
  if (!isRunning(row) || !isFrozen(row.id)) throw conflict(`Container ${row.id} is not paused`);
  runcFor(engine.store, row.id).run('resume', ['resume', row.id]);
  engine.store.tx(() => containerEvent(engine.store, row, 'unpause'));
}

/** Polls until the container is no longer running (or gone); returns its row, if any. */
export async function waitStopped(store: Store, id: string, timeoutMs = Infinity): Promise<ContainerRow | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = getRow(store, id);
    if (!row) return undefined;
    const r = reconcile(store, row);
    if (r.state !== 'running' && r.state !== 'starting' && r.state !== 'removing') return r;
    if (Date.now() >= deadline) return r;
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
}

export async function killContainer(engine: EngineCore, input: string, signal = 'KILL'): Promise<void> {
  const sig = parseSignal(signal);
  const row = getContainer(engine, input);
  if (!isRunning(row)) throw new BerthError('conflict', `cannot kill container: ${input}: container ${row.id} is not running`);
  signalContainer(engine.store, row, sig);
  engine.store.tx(() => containerEvent(engine.store, row, 'kill', { signal: String(sig) }));
  if (sig === 9) await waitStopped(engine.store, row.id, 10_000);
}

function stopSignalOf(row: ContainerRow): number {
  const s = parseSpec(row).Config.StopSignal;
  try {
    return s ? parseSignal(s) : 15;
  } catch {
    return 15;
  }
}

/** `stop`: the stop signal, then SIGKILL after the timeout (default the container's, else 10 s). */
export async function stopContainer(engine: EngineCore, input: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
  const store = engine.store;
  const row = getContainer(engine, input);
  if (!isRunning(row)) return;
  const cfgTimeout = parseSpec(row).Config.StopTimeout;
  const timeout = opts.timeout ?? cfgTimeout ?? 10;
  const sig = opts.signal ? parseSignal(opts.signal) : stopSignalOf(row);
  try {
    signalContainer(store, row, sig, { thaw: true });
  } catch {
    /* fall through to the kill */
  }
  const after = await waitStopped(store, row.id, timeout < 0 ? Infinity : timeout * 1000);
  if (after && isRunning(after)) {
    try {
      signalContainer(store, after, 9);
    } catch {
      /* gone meanwhile */
    }
    await waitStopped(store, row.id, 30_000);
  }
  store.tx(() => containerEvent(store, row, 'stop'));
}

/**
 * Attaches to a running container's output (and input): the session to relay with relayAttach.
 */
export async function attachRunning(engine: EngineCore, input: string, opts: AttachOptions): Promise<{ id: string; attach: Socket }> {
  const row = getContainer(engine, input);
  if (!isRunning(row)) throw conflict('You cannot attach to a stopped container, start it first');
  const sock = await connectAttach(containerPaths(engine.store, row.id).socket, 5_000, () => isRunning(reconcile(engine.store, getRow(engine.store, row.id) ?? row)));
  sock.write(encodeFrame(Frame.Hello, JSON.stringify(opts)));
  return { id: row.id, attach: sock };
}

/** Docker's wait conditions: stopped now, the end of the next run, or removal. */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** `wait`: blocks until the condition holds; the container's (last) exit code. */
export async function waitContainer(engine: EngineCore, input: string, opts: { condition?: WaitCondition; signal?: AbortSignal } = {}): Promise<number> {
  const store = engine.store;
  const row = getContainer(engine, input);
  const condition = opts.condition ?? 'not-running';
  if (condition === 'not-running') {
    const r = await waitStopped(store, row.id);
    return r ? r.exit_code : row.exit_code;
  }
  // Runs end with a 'die' event (see runtime/monitor.ts), which also carries the exit code of a
  // container removed right after (--rm).
  const from = lastEventSeq(store.db);
  let last = row;
  let sawRunning = false;
  for (;;) {
    if (opts.signal?.aborted) throw new BerthError('unavailable', 'wait cancelled');
    const cur = getRow(store, row.id);
    if (!cur) {
      const die = latestEvent(store.db, 'container', row.id, 'die');
      return die ? Number(die.attributes.exitCode ?? 0) : last.exit_code;
    }
    if (condition === 'next-exit') {
      const die = latestEvent(store.db, 'container', row.id, 'die', from);
      if (die) return Number(die.attributes.exitCode ?? 0);
      last = reconcile(store, cur);
      // A run that ended unseen (its monitor was killed) records no event.
      if (isRunning(last)) sawRunning = true;
      else if (sawRunning) return last.exit_code;
    }
    await sleep(50);
  }
}

/** `rm`: refuses a running container unless forced (then kills it first). */
export async function removeContainerOp(engine: EngineCore, input: string, opts: { force?: boolean } = {}): Promise<void> {
  const store = engine.store;
  let row = getContainer(engine, input);
  if (isRunning(row)) {
    if (!opts.force) {
      throw conflict(`cannot remove container "${input}": container is running: stop the container before removing or force remove`);
    }
    try {
      signalContainer(store, row, 9);
    } catch {
      /* already dying */
    }
    const after = await waitStopped(store, row.id, 15_000);
    if (!after) return; // --rm: its monitor removed it
    row = after;
    if (isRunning(row)) throw new BerthError('internal', `cannot remove container "${input}": could not kill container`);
  }
  const claimed = store.tx(() => {
    const cur = getRow(store, row.id);
    if (!cur) return false;
    if (cur.state === 'running' || cur.state === 'starting') {
      if (monitorAlive(cur) || initAlive(cur)) throw conflict(`cannot remove container "${input}": container is running: stop the container before removing or force remove`);
    }
    return true;
  });
  if (!claimed) return;
  cleanupStopped(store, row);
  removeContainer(store, row.id, containerFs(store, row));
}

/** `container prune`: removes stopped containers; returns their IDs and the space freed. */
export function pruneContainers(engine: EngineCore, filters: Map<string, string[]> = new Map()): { ContainersDeleted: string[] | null; SpaceReclaimed: number } {
  const store = engine.store;
  for (const name of filters.keys()) if (name !== 'until' && name !== 'label' && name !== 'label!') throw invalidArgument(`Invalid filter '${name}'`);
  reconcileAll(store);
  const rows = store.db.prepare("SELECT * FROM containers WHERE state IN ('created', 'exited', 'dead') ORDER BY created DESC").all() as ContainerRow[];
  const until = filters.get('until')?.map((v) => parseUntil(v));
  const labels = filters.get('label') ?? [];
  const notLabels = filters.get('label!') ?? [];
  const deleted: string[] = [];
  let space = 0;
  for (const row of rows) {
    const created = Number((parseRfc3339(row.created) ?? 0n) / 1_000_000n);
    if (until && until.some((u) => created >= u)) continue;
    const lbl = row.labels ? (JSON.parse(row.labels) as Record<string, string>) : {};
    if (!labels.every((l) => labelMatch(l, lbl))) continue;
    if (notLabels.some((l) => labelMatch(l, lbl))) continue;
    const fs = containerFs(store, row);
    let size: number;
    try {
      size = fs.sizeRw();
    } catch {
      size = 0;
    }
    const ok = store.tx(() => {
      const cur = getRow(store, row.id);
      if (!cur || (cur.state !== 'created' && cur.state !== 'exited' && cur.state !== 'dead')) return false;
      containerEvent(store, cur, 'destroy');
      store.db.prepare('DELETE FROM containers WHERE id = ?').run(row.id);
      store.db.prepare("INSERT OR IGNORE INTO trash (kind, key) VALUES ('container', ?)").run(row.id);
      if (row.top_layer) store.gc.collect({ layers: [row.top_layer] });
      return true;
    });
    if (!ok) continue;
    cleanupStopped(store, row);
    deleted.push(row.id);
    space += size;
  }
  store.gc.sweep();
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
}

function labelMatch(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

function parseUntil(v: string): number {
  const dur = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(v);
  if (dur) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
    return Date.now() - Number(dur[1]) * mult[dur[2]!]!;
  }
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`failed to parse value as time or duration: "${v}"`);
  return t;
}

export interface LogsOptions {
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
  since?: number;
  until?: number;
}

/** `logs`: the json-file log's records, following until the container stops when asked. */
export async function* containerLogs(engine: EngineCore, input: string, opts: LogsOptions = {}): AsyncGenerator<LogRecord> {
  const store = engine.store;
  const row = getContainer(engine, input);
  const path = containerPaths(store, row.id).log;
  let { records, end } = await readLog(path, 0);
  if (opts.tail !== undefined && opts.tail >= 0) records = records.slice(Math.max(0, records.length - opts.tail));
  const keep = (r: LogRecord) => {
    const t = Date.parse(r.time);
    if (opts.since !== undefined && t < opts.since) return false;
    if (opts.until !== undefined && t > opts.until) return false;
    return true;
  };
  for (const r of records) if (keep(r)) yield r;
  if (!opts.follow) return;
  for (;;) {
    const cur = getRow(store, row.id);
    const running = cur ? isRunning(reconcile(store, cur)) : false;
    const next = await readLog(path, end);
    end = next.end;
    for (const r of next.records) if (keep(r)) yield r;
    if (!running) {
      const last = await readLog(path, end);
      for (const r of last.records) if (keep(r)) yield r;
      return;
    }
    await sleep(100);
  }
}

/** Whether the container's log file exists (a container never started has none). */
export function hasLog(engine: EngineCore, id: string): boolean {
  return existsSync(containerPaths(engine.store, id).log);
}

/** For `info` and `df`: how many containers are in each state. */
export function containerCounts(engine: EngineCore): { total: number; running: number; paused: number; stopped: number } {
  const store = engine.store;
  reconcileAll(store);
  const rows = store.db.prepare('SELECT * FROM containers').all() as ContainerRow[];
  const up = rows.filter((r) => isRunning(r));
  const paused = up.filter((r) => isFrozen(r.id)).length;
  return { total: rows.length, running: up.length - paused, paused, stopped: rows.length - up.length };
}

export function readMonitorLog(engine: EngineCore, id: string): string {
  try {
    return readFileSync(join(containerPaths(engine.store, id).dir, 'monitor.log'), 'utf8');
  } catch {
    return '';
  }
}

/** `restart`: stops the container if it runs (as stop does), then starts it. */
export async function restartContainer(engine: EngineCore, input: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
  const row = getContainer(engine, input);
  if (isRunning(row)) await stopContainer(engine, row.id, opts);
  await startContainer(engine, row.id);
}

/** `rename`: a new name for a container, checked and claimed as at create (Docker's words). */
export function renameContainer(engine: EngineCore, input: string, newName: string): void {
  const store = engine.store;
  const name = newName.startsWith('/') ? newName : `/${newName}`;
  store.tx(() => {
    const row = findContainer(store, input);
    if (row.name === name) throw invalidArgument('Renaming a container with the same name as its current name');
    if (!VALID_NAME.test(name)) throw invalidArgument(`Error when allocating new name: Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const other = store.db.prepare('SELECT id FROM containers WHERE name = ?').pluck().get(name) as string | undefined;
    if (other) {
      throw conflict(
        `Error when allocating new name: Conflict. The container name "${name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    store.db.prepare('UPDATE containers SET name = ? WHERE id = ?').run(name, row.id);
    containerEvent(store, { ...row, name }, 'rename', { oldName: row.name });
  });
}
