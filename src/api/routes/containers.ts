import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { Socket } from 'node:net';
import type { Router } from '../router.js';
import type { ApiContext } from '../server.js';
import type { Call, Hijacked } from '../call.js';
import { badRequest } from '../errors.js';
import { parseFiltersParam } from '../http.js';
import { goJson } from '../json.js';
import { repoTag } from './images.js';
import { createContainer, type ContainerCreateOptions, type MountOption } from '../../engine/container-create.js';
import { inspectContainer } from '../../engine/container-inspect.js';
import { topContainer } from '../../engine/container-top.js';
import type { HostConfigRecord } from '../../runtime/container-store.js';
import { archivePath, containerPathNotFound, extractArchive, isDirStat, pathStat, withContainerRoot, type PathStat } from '../../engine/container-copy.js';
import { listContainers } from '../../engine/container-list.js';
import {
  attachRunning,
  containerLogs,
  killContainer,
  pruneContainers,
  relayAttach,
  removeContainerOp,
  pauseContainer,
  renameContainer,
  restartContainer,
  unpauseContainer,
  startContainer,
  stopContainer,
  waitContainer,
  type AttachOptions,
  type WaitCondition,
} from '../../engine/containers.js';
import { containerChangesApi } from '../../engine/diff.js';
import { exportContainer } from '../../engine/export.js';
import { commitContainer } from '../../engine/commit.js';
import type { ContainerConfig } from '../../image/types.js';
import { execInContainer, ExecStartError } from '../../engine/exec.js';
import { BerthError, conflict } from '../../image/errors.js';

const RAW = 'application/vnd.docker.raw-stream';
const MUX = 'application/vnd.docker.multiplexed-stream';

/** stdcopy's framing: [stream, 0, 0, 0, size (big endian u32)] then the bytes. */
export function muxFrame(stream: 1 | 2 | 3, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/**
 * One output stream of a hijacked connection, framed unless the container has a terminal. A
 * client that went away fails the write: the engine then detaches, as from a closed terminal.
 */
function outputStream(conn: Hijacked, stream: 1 | 2, tty: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (conn.closed) return cb(new Error('the client went away'));
      conn.write(tty ? chunk : muxFrame(stream, chunk));
      cb();
    },
  });
}

/** An API value that Go decodes as a strslice.StrSlice: a list, or one string. */
function strSlice(v: unknown): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map(String);
  throw badRequest('invalid JSON: cannot unmarshal into strslice.StrSlice');
}

/** The create request body: a container.Config (Cmd and Entrypoint as Go's StrSlice decodes them) and its HostConfig. */
interface CreateBody extends Omit<ContainerConfig, 'Cmd' | 'Entrypoint' | 'StopTimeout'> {
  Cmd?: unknown;
  Entrypoint?: unknown;
  StopTimeout?: number | null;
  HostConfig?: {
    Binds?: string[] | null;
    Mounts?: { Type?: string; Source?: string; Target?: string; ReadOnly?: boolean; BindOptions?: { Propagation?: string } | null }[] | null;
    AutoRemove?: boolean;
    NetworkMode?: string;
    ReadonlyRootfs?: boolean;
    GroupAdd?: string[] | null;
    ConsoleSize?: [number, number] | null;
    Tmpfs?: Record<string, string> | null;
    /** As Go decodes them: a list or one string. */
    CapAdd?: unknown;
    CapDrop?: unknown;
    Ulimits?: { Name?: string; Soft?: number; Hard?: number }[] | null;
    Devices?: { PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }[] | null;
    PortBindings?: Record<string, unknown> | null;
    Sysctls?: Record<string, string> | null;
  } & NullablePick<HostConfigRecord, 'Privileged' | 'SecurityOpt' | 'ShmSize' | 'Memory' | 'MemorySwap' | 'MemoryReservation' | 'NanoCpus' | 'CpuShares' | 'CpusetCpus' | 'PidsLimit' | 'ExtraHosts' | 'PidMode' | 'IpcMode' | 'UTSMode'> | null;
}

/** The fields as a client may send them: any may be left out or null. */
type NullablePick<T, K extends keyof T> = { [P in K]?: T[P] | null };

/** The create request body as the engine's create options. */
function createOptions(body: CreateBody, name: string, call: Call): ContainerCreateOptions {
  const hc = body.HostConfig ?? {};
  const mounts: MountOption[] = (hc.Mounts ?? []).map((m) => ({
    type: (m.Type ?? '').toLowerCase(),
    source: m.Source ?? '',
    target: m.Target ?? '',
    readonly: Boolean(m.ReadOnly),
    propagation: m.BindOptions?.Propagation || undefined,
  }));
  const entry = strSlice(body.Entrypoint);
  const opts: ContainerCreateOptions = {
    image: body.Image ?? '',
    name: name || undefined,
    cmd: strSlice(body.Cmd),
    entrypoint: entry,
    env: body.Env ?? undefined,
    workdir: body.WorkingDir || undefined,
    user: body.User || undefined,
    hostname: body.Hostname || undefined,
    domainname: body.Domainname || undefined,
    labels: body.Labels ?? undefined,
    volumes: hc.Binds ?? undefined,
    mounts,
    tty: body.Tty,
    openStdin: body.OpenStdin,
    stdinOnce: body.StdinOnce,
    attachStdin: body.AttachStdin,
    attachStdout: body.AttachStdout,
    attachStderr: body.AttachStderr,
    autoRemove: call.atLeast('1.25') ? hc.AutoRemove : false,
    network: hc.NetworkMode,
    readOnly: hc.ReadonlyRootfs,
    groupAdd: hc.GroupAdd ?? undefined,
    consoleSize: call.atLeast('1.42') && hc.ConsoleSize ? hc.ConsoleSize : undefined,
    stopSignal: body.StopSignal || undefined,
    stopTimeout: body.StopTimeout ?? undefined,
    tmpfs: Object.entries(hc.Tmpfs ?? {}).map(([k, v]) => (v ? `${k}:${v}` : k)),
    privileged: Boolean(hc.Privileged),
    capAdd: strSlice(hc.CapAdd),
    capDrop: strSlice(hc.CapDrop),
    securityOpt: hc.SecurityOpt ?? undefined,
    ulimits: (hc.Ulimits ?? []).map((u) => ({ Name: u.Name ?? '', Soft: u.Soft ?? 0, Hard: u.Hard ?? 0 })),
    shmSize: hc.ShmSize || undefined,
    memory: hc.Memory || undefined,
    memorySwap: hc.MemorySwap || undefined,
    memoryReservation: hc.MemoryReservation || undefined,
    nanoCpus: hc.NanoCpus || undefined,
    cpuShares: hc.CpuShares || undefined,
    cpusetCpus: hc.CpusetCpus || undefined,
    pidsLimit: hc.PidsLimit ?? undefined,
    extraHosts: hc.ExtraHosts ?? undefined,
    sysctls: hc.Sysctls ?? undefined,
    devices: (hc.Devices ?? []).map((d) => ({
      PathOnHost: d.PathOnHost ?? '',
      PathInContainer: d.PathInContainer || d.PathOnHost || '',
      CgroupPermissions: d.CgroupPermissions || 'rwm',
    })),
    pidMode: hc.PidMode || undefined,
    ipcMode: hc.IpcMode || undefined,
    utsMode: hc.UTSMode || undefined,
  };
  return opts;
}

/** "seconds[.nanoseconds]" (what the CLI sends for --since/--until) or a date, in milliseconds. */
function logTime(v: string): number | undefined {
  if (v === '' || v === '0') return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m) return Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(9, '0')) / 1e6;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`invalid value for "since": ${v}`);
  return t;
}

/** RFC3339NanoFixed, as `logs -t` prints the time of each line. */
function fixedTime(t: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return t;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

export function containerRoutes(r: Router, ctx: ApiContext): void {
  const { engine, sessions, execs } = ctx;

  const containerOf = (name: string) => inspectContainer(engine, name) as { Id: string; State: { Running: boolean }; Config: { Tty?: boolean } };

  /**
   * Relays an attach session between a client connection and the container's monitor; `started`
   * settles when a starting container's process runs (or could not be started).
   */
  function relay(conn: Hijacked, sock: Socket, id: string, tty: boolean, opts: AttachOptions): { started: Promise<void>; done: Promise<void> } {
    const term = sessions.terminal(id);
    let onStarted = () => undefined as void;
    const startedSignal = new Promise<void>((resolve) => (onStarted = resolve));
    conn.onClose(() => sock.destroy());
    const code = relayAttach(engine, id, sock, {
      stdin: opts.stdin ? conn.input : undefined,
      stdout: outputStream(conn, 1, tty),
      stderr: outputStream(conn, 2, tty),
      size: term.size,
      onResize: term.onResize,
      onStarted,
    });
    const done = code.then(
      () => undefined,
      () => undefined,
    );
    void done.finally(() => {
      term.release();
      sock.destroy();
      conn.end();
    });
    const started = Promise.race([startedSignal, code.then(() => undefined)]);
    // Only a start waits for `started`; its failure is also the end of `done`.
    started.catch(() => undefined);
    return { started, done };
  }

  r.post('/containers/create', async (call) => {
    const body = await call.json<CreateBody>();
    if (!body) throw badRequest('config cannot be empty in order to create a container');
    const res = await createContainer(engine, createOptions(body, call.query.get('name'), call));
    // As Docker's daemon says it for a container on the host's network (berth's only one with a network).
    const ports = body.HostConfig?.PortBindings;
    const warnings = [...res.warnings];
    if (ports && Object.keys(ports).length && body.HostConfig?.NetworkMode !== 'none') warnings.push('Published ports are discarded when using host network mode');
    call.sendJson(201, { Id: res.id, Warnings: warnings });
  });

  r.get('/containers/json', (call) => {
    const q = call.query;
    const filters = parseFiltersParam(q.get('filters'));
    if (q.get('since')) filters.set('since', [q.get('since')]);
    if (q.get('before')) filters.set('before', [q.get('before')]);
    call.sendJson(200, listContainers(engine, { all: q.bool('all'), last: q.int('limit'), size: q.bool('size'), filters }));
  });

  r.get('/containers/{name:.*}/json', (call) => {
    call.sendJson(200, inspectContainer(engine, call.params.name!, { size: call.query.bool('size') }));
  });

  r.get('/containers/{name:.*}/top', (call) => {
    call.sendJson(200, topContainer(engine, call.params.name!, call.query.get('ps_args') || undefined));
  });

  r.get('/containers/{name:.*}/changes', (call) => {
    const changes = containerChangesApi(engine, call.params.name!);
    call.sendJson(200, changes.length ? changes : null);
  });

  // docker cp: the stat of a container path, its archive, and extraction into a directory of it.
  const archivePathOf = (call: Call): string => {
    const path = call.query.get('path') ?? '';
    if (path === '') throw badRequest('path cannot be empty');
    return path.startsWith('/') ? path : `/${path}`;
  };
  const statHeader = (st: PathStat) => Buffer.from(JSON.stringify(st)).toString('base64');

  r.head('/containers/{name:.*}/archive', async (call) => {
    const path = archivePathOf(call);
    const stat = await withContainerRoot(engine, call.params.name!, async (resolve) => {
      const p = resolve(path);
      if (!p.stat) throw containerPathNotFound(path, call.params.name!);
      return pathStat(p, resolve(path, true));
    });
    call.sendEmpty(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/json' });
  });

  r.get('/containers/{name:.*}/archive', async (call) => {
    const path = archivePathOf(call);
    await withContainerRoot(engine, call.params.name!, async (resolve) => {
      const p = resolve(path);
      if (!p.stat) throw containerPathNotFound(path, call.params.name!);
      const out = call.stream('application/x-tar', { headers: { 'X-Docker-Container-Path-Stat': statHeader(pathStat(p, resolve(path, true))) } });
      try {
        await pipeline(archivePath(`${p.dir}/${p.name}`, /(^|\/)\.$/.test(path) ? '.' : p.name), out);
      } catch (err) {
        if (!out.started) throw err;
        call.destroy();
      }
    }, 'archive-path');
  });

  r.put('/containers/{name:.*}/archive', async (call) => {
    const path = archivePathOf(call);
    await withContainerRoot(engine, call.params.name!, async (resolve) => {
      const p = resolve(path, true);
      if (!p.stat) throw containerPathNotFound(path, call.params.name!);
      if (!isDirStat(p.stat)) throw badRequest('extraction point is not a directory');
      // Without copyUIDGID, what is extracted belongs to the container's root (this process).
      await extractArchive(call.body(), `${p.dir}/${p.name}`, call.query.bool('copyUIDGID'));
    }, 'extract-to-dir');
    call.sendEmpty(200);
  });

  r.get('/containers/{name:.*}/export', async (call) => {
    const out = call.stream('application/x-tar');
    try {
      await exportContainer(engine, call.params.name!, (tar) => pipeline(tar, out));
    } catch (err) {
      if (!out.started) throw err;
      call.destroy();
    }
  });

  r.get('/containers/{name:.*}/logs', async (call) => {
    const q = call.query;
    const stdout = q.bool('stdout');
    const stderr = q.bool('stderr');
    if (!stdout && !stderr) throw badRequest('Bad parameters: you must choose at least one stream');
    const c = containerOf(call.params.name!);
    const tty = Boolean(c.Config.Tty);
    const tailText = q.get('tail');
    const tail = tailText === '' || tailText === 'all' ? undefined : Number.parseInt(tailText, 10);
    const follow = q.bool('follow');
    const timestamps = q.bool('timestamps');
    const out = call.stream(!tty && call.atLeast('1.42') ? MUX : RAW, { flush: true });
    call.longLived = follow;
    const logs = containerLogs(engine, c.Id, { follow, tail: Number.isNaN(tail) ? undefined : tail, since: logTime(q.get('since')), until: logTime(q.get('until')) });
    try {
      for await (const rec of logs) {
        if (call.signal.aborted) break;
        const isErr = rec.stream === 'stderr';
        if ((isErr && !stderr) || (!isErr && !stdout)) continue;
        const line = timestamps ? `${fixedTime(rec.time)} ${rec.log}` : rec.log;
        out.write(tty ? Buffer.from(line) : muxFrame(isErr ? 2 : 1, line));
      }
    } finally {
      out.end();
    }
  });

  r.post('/containers/{name:.*}/start', async (call) => {
    if (call.atLeast('1.24') && Number(call.header('content-length') ?? 0) > 7) {
      throw badRequest('starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24');
    }
    const c = containerOf(call.params.name!);
    if (c.State.Running) return call.sendEmpty(304);
    const pending = sessions.takePending(c.Id);
    if (pending.length === 0) {
      await startContainer(engine, c.Id);
      return call.sendEmpty(204);
    }
    const [first, ...others] = pending;
    let session;
    try {
      session = await startContainer(engine, c.Id, { attach: first!.opts });
    } catch (err) {
      for (const p of pending) p.cancel();
      throw err;
    }
    if (!session.attach) {
      // Started by someone else meanwhile: attach to it as it runs.
      for (const p of pending) p.cancel();
      return call.sendEmpty(204);
    }
    try {
      await first!.begin(session.attach);
    } catch (err) {
      for (const p of others) p.cancel();
      throw err;
    }
    for (const p of others) {
      try {
        p.begin((await attachRunning(engine, c.Id, p.opts)).attach);
      } catch {
        p.cancel();
      }
    }
    call.sendEmpty(204);
  });

  r.post('/containers/{name:.*}/attach', async (call) => {
    const q = call.query;
    const c = containerOf(call.params.name!);
    const tty = Boolean(c.Config.Tty);
    const opts: AttachOptions = { stdin: q.bool('stdin'), stdout: q.bool('stdout'), stderr: q.bool('stderr') };
    const stream = q.bool('stream');
    const withLogs = q.bool('logs');
    if (!stream && !withLogs) throw badRequest('Bad parameters: you must choose at least one stream');
    const conn = call.hijack(!tty && call.atLeast('1.42') ? MUX : RAW);
    call.longLived = true;
    call.signal.addEventListener('abort', () => conn.end(), { once: true });
    if (withLogs) {
      for await (const rec of containerLogs(engine, c.Id, {})) {
        const isErr = rec.stream === 'stderr';
        if ((isErr && !opts.stderr) || (!isErr && !opts.stdout)) continue;
        conn.write(tty ? Buffer.from(rec.log) : muxFrame(isErr ? 2 : 1, rec.log));
      }
    }
    if (!stream) return conn.end();
    if (c.State.Running) {
      let attached;
      try {
        attached = await attachRunning(engine, c.Id, opts);
      } catch {
        return conn.end();
      }
      await relay(conn, attached.attach, c.Id, tty, opts).done;
      return;
    }
    // Not running: the next start of the container serves this session (docker run, start -a).
    // A start by someone else (the berth CLI) is noticed too: the session then joins it.
    await new Promise<void>((resolve) => {
      const timer: { poll?: NodeJS.Timeout } = {};
      const finish = () => {
        clearInterval(timer.poll);
        resolve();
      };
      const p = {
        opts,
        conn,
        tty,
        begin: (sock: Socket) => {
          clearInterval(timer.poll);
          const s = relay(conn, sock, c.Id, tty, opts);
          void s.done.then(finish);
          return s.started;
        },
        cancel: () => {
          conn.end();
          finish();
        },
      };
      sessions.addPending(c.Id, p);
      conn.onClose(finish);
      timer.poll = setInterval(() => {
        let running: boolean;
        try {
          running = containerOf(c.Id).State.Running;
        } catch {
          return p.cancel(); // removed meanwhile
        }
        if (!running || !sessions.removePending(c.Id, p)) return;
        clearInterval(timer.poll);
        attachRunning(engine, c.Id, opts).then(
          (a) => void p.begin(a.attach),
          () => p.cancel(),
        );
      }, 250);
    });
  });

  r.post('/containers/{name:.*}/wait', async (call) => {
    const condition = (call.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw badRequest(`invalid condition: "${condition}"`);
    const c = containerOf(call.params.name!);
    call.longLived = true;
    const out = call.stream('application/json', { flush: true });
    try {
      const code = await waitContainer(engine, c.Id, { condition, signal: call.signal });
      out.end(goJson({ StatusCode: code }));
    } catch (err) {
      if (call.signal.aborted) out.end();
      else out.end(goJson({ StatusCode: 0, Error: { Message: err instanceof Error ? err.message : String(err) } }));
    }
  });

  r.post('/containers/{name:.*}/resize', (call) => {
    const h = uint32(call, 'h', 'height');
    const w = uint32(call, 'w', 'width');
    const c = containerOf(call.params.name!);
    if (!c.State.Running) throw conflict(`Container ${c.Id} is not running`);
    sessions.resize(c.Id, { rows: h, cols: w });
    call.sendEmpty(200);
  });

  r.post('/containers/{name:.*}/kill', async (call) => {
    await killContainer(engine, call.params.name!, call.query.get('signal') || 'KILL');
    call.sendEmpty(204);
  });

  r.post('/containers/{name:.*}/stop', async (call) => {
    const c = containerOf(call.params.name!);
    if (!c.State.Running) return call.sendEmpty(304);
    await stopContainer(engine, c.Id, { timeout: call.query.int('t'), signal: call.atLeast('1.42') ? call.query.get('signal') || undefined : undefined });
    call.sendEmpty(204);
  });

  r.post('/containers/{name:.*}/restart', async (call) => {
    await restartContainer(engine, call.params.name!, { timeout: call.query.int('t'), signal: call.atLeast('1.42') ? call.query.get('signal') || undefined : undefined });
    call.sendEmpty(204);
  });

  r.post('/containers/{name:.*}/pause', (call) => {
    pauseContainer(engine, call.params.name!);
    call.sendEmpty(204);
  });

  r.post('/containers/{name:.*}/unpause', (call) => {
    unpauseContainer(engine, call.params.name!);
    call.sendEmpty(204);
  });

  r.post('/containers/{name:.*}/rename', (call) => {
    const name = call.query.get('name') ?? '';
    if (name === '') throw badRequest('Neither old nor new names may be empty');
    renameContainer(engine, call.params.name!, name);
    call.sendEmpty(204);
  });

  r.delete('/containers/{name:.*}', async (call) => {
    await removeContainerOp(engine, call.params.name!, { force: call.query.bool('force') });
    call.sendEmpty(204);
  });

  r.post('/containers/prune', (call) => {
    call.sendJson(200, pruneContainers(engine, parseFiltersParam(call.query.get('filters'))));
  });

  r.post('/commit', async (call) => {
    const ct = call.header('content-type');
    const raw = await call.bodyBytes();
    if (ct && raw.length > 0 && ct.split(';')[0]!.trim() !== 'application/json') {
      throw badRequest(`unsupported Content-Type header (${ct}): must be 'application/json'`);
    }
    // The body is the new image's container.Config (SDKs send it; the docker CLI sends none).
    const body = raw.length > 0 ? ((await call.json<unknown>()) ?? null) : null;
    if (body !== null) checkCommitConfig(body);
    const q = call.query;
    const id = await commitContainer(engine, q.get('container'), {
      ref: repoTag(q.get('repo'), q.get('tag')),
      author: q.get('author') || undefined,
      message: q.get('comment') || undefined,
      changes: q.all('changes'),
      pause: q.boolOr('pause', true),
      config: body && Object.keys(body).length > 0 ? (body as ContainerConfig) : undefined,
    });
    call.sendJson(201, { Id: id });
  });

  r.post('/containers/{name:.*}/exec', async (call) => {
    const body = (await call.json<Record<string, unknown>>()) ?? {};
    const cmd = strSlice(body.Cmd) ?? [];
    if (cmd.length === 0) throw badRequest('No exec command specified');
    const c = containerOf(call.params.name!);
    if (!c.State.Running) throw conflict(`container ${c.Id} is not running`);
    const rec = execs.create(c.Id, {
      cmd,
      env: (body.Env as string[] | null) ?? [],
      workdir: (body.WorkingDir as string) ?? '',
      user: (body.User as string) ?? '',
      tty: Boolean(body.Tty),
      attachStdin: Boolean(body.AttachStdin),
      attachStdout: Boolean(body.AttachStdout),
      attachStderr: Boolean(body.AttachStderr),
      privileged: Boolean(body.Privileged),
      detachKeys: (body.DetachKeys as string) ?? '',
      consoleSize: call.atLeast('1.42') && Array.isArray(body.ConsoleSize) ? (body.ConsoleSize as [number, number]) : undefined,
    });
    call.sendJson(201, { Id: rec.id });
  });

  r.post('/exec/{name:.*}/start', async (call) => {
    const body = (await call.json<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>()) ?? {};
    const rec = execs.get(call.params.name!);
    if (rec.started) throw conflict(`Error: Exec command ${rec.id} is already running`);
    const cfg = rec.config;
    const tty = body.Tty ?? cfg.tty;
    const opts = { cmd: cfg.cmd, env: cfg.env, workdir: cfg.workdir || undefined, user: cfg.user || undefined, tty, stdin: cfg.attachStdin, privileged: cfg.privileged };
    rec.started = true;
    if (body.Detach) {
      await execInContainer(engine, rec.containerId, { ...opts, stdin: false, detach: true }, { stdout: process.stdout, stderr: process.stderr });
      rec.finishedAt = Date.now();
      return call.sendEmpty(200);
    }
    const conn = call.hijack(!tty && call.atLeast('1.42') ? MUX : RAW);
    call.longLived = true;
    const term = sessions.terminal(rec.id);
    const size = body.ConsoleSize ?? cfg.consoleSize;
    if (tty && size && size[0] > 0) sessions.resize(rec.id, { rows: size[0], cols: size[1] });
    rec.running = true;
    try {
      rec.exitCode = await execInContainer(engine, rec.containerId, opts, {
        stdin: cfg.attachStdin ? conn.input : undefined,
        stdout: outputStream(conn, 1, tty),
        stderr: outputStream(conn, 2, tty),
        size: term.size,
        onResize: term.onResize,
      });
    } catch (err) {
      // dockerd reports an exec that could not start on its output, and in its exit code.
      rec.exitCode = err instanceof ExecStartError ? err.exitCode : 126;
      conn.write(tty ? Buffer.from(`${(err as Error).message}\r\n`) : muxFrame(1, `${(err as Error).message}\r\n`));
      if (!(err instanceof BerthError)) throw err;
    } finally {
      rec.running = false;
      rec.finishedAt = Date.now();
      term.release();
      conn.end();
    }
  });

  r.get('/exec/{name:.*}/json', (call) => {
    const rec = execs.get(call.params.name!);
    const cfg = rec.config;
    call.sendJson(200, {
      ID: rec.id,
      Running: rec.running,
      ExitCode: rec.exitCode,
      ProcessConfig: { tty: cfg.tty, entrypoint: cfg.cmd[0] ?? '', arguments: cfg.cmd.slice(1), privileged: cfg.privileged, user: cfg.user || undefined },
      OpenStdin: cfg.attachStdin,
      OpenStderr: cfg.attachStderr,
      OpenStdout: cfg.attachStdout,
      CanRemove: false,
      ContainerID: rec.containerId,
      DetachKeys: cfg.detachKeys,
      Pid: 0,
    });
  });

  r.post('/exec/{name:.*}/resize', (call) => {
    const h = uint32(call, 'h', 'height');
    const w = uint32(call, 'w', 'width');
    const rec = execs.get(call.params.name!);
    sessions.resize(rec.id, { rows: h, cols: w });
    call.sendEmpty(200);
  });
}

function uint32(call: Call, key: string, what: string): number {
  const v = call.query.get(key);
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw badRequest(`invalid resize ${what} ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** The shape checks Go's decoding of a container.Config makes, for the fields a commit uses. */
function checkCommitConfig(body: unknown): asserts body is ContainerConfig {
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('json: cannot unmarshal into Go value of type container.Config');
  const b = body as Record<string, unknown>;
  // Cmd, Entrypoint and Shell are StrSlice fields: one string stands for a list of one.
  for (const k of ['Cmd', 'Entrypoint', 'Shell']) if (b[k] !== undefined) b[k] = strSlice(b[k]) ?? null;
  for (const k of ['Env', 'OnBuild']) {
    const v = b[k];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
      throw badRequest(`json: cannot unmarshal ${typeof v} into Go struct field Config.${k} of type []string`);
    }
  }
  for (const k of ['User', 'WorkingDir', 'StopSignal', 'Hostname', 'Domainname', 'Image']) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') {
      throw badRequest(`json: cannot unmarshal ${typeof b[k]} into Go struct field Config.${k} of type string`);
    }
  }
  for (const k of ['Labels', 'ExposedPorts', 'Volumes']) {
    const v = b[k];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) {
      throw badRequest(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field Config.${k} of type map`);
    }
  }
}
