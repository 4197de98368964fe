/**
 * A container's monitor: the process that owns a running container, as conmon does for podman.
 * `berth start` / `run` spawn it detached (its own session) once the root file system is
 * mounted and the bundle written. It creates and starts the container with the runtime, keeps
 * the container's output in the json-file log and relays it to attached clients, records the
 * exit status, then cleans up (runtime state, mounts, the container itself for --rm).
 *
 * Usage: node monitor.js <store root> <container id> [--attach]
 * With --attach it waits (up to 10 s) for a client before starting the container, so no output
 * is missed. Its start result goes to fd 3 as one JSON line when fd 3 is open.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { Store } from '../store/store.js';
import { selfStartTime } from '../store/process-identity.js';
import { Frame, FrameDecoder, encodeFrame } from './attach.js';
import { JsonLogWriter, type StreamName } from './jsonlog.js';
import { startRuntimeProcess, type RuntimeProcess } from './process.js';
import { Runc } from './runc.js';
import { containerEvent, getRow, nowString, parseSpec } from './container-store.js';
import { containerFs, containerPaths, removeContainer, startFailureCode } from './container-files.js';
import { within } from './time.js';

interface Client {
  sock: Socket;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** The status pipe from the starter, when fd 3 is one (checked before anything else opens fds). */
let statusFd = -1;

function report(msg: Record<string, unknown>): void {
  if (statusFd < 0) return;
  try {
    writeSync(statusFd, JSON.stringify(msg) + '\n');
    closeSync(statusFd);
  } catch {
    /* nobody waits for the result */
  }
  statusFd = -1;
}

async function main(): Promise<void> {
  try {
    const st = fstatSync(3);
    if (st.isFIFO() || st.isSocket()) statusFd = 3;
  } catch {
    statusFd = -1;
  }
  const [root, id, ...flags] = process.argv.slice(2);
  if (!root || !id) throw new Error('usage: monitor <root> <id> [--attach]');
  const waitAttach = flags.includes('--attach');
  for (const s of ['SIGINT', 'SIGHUP', 'SIGTERM', 'SIGPIPE'] as const) process.on(s, () => undefined);

  const store = Store.open(root);
  const paths = containerPaths(store, id);
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  const row = getRow(store, id);
  if (!row) throw new Error(`container ${id} not found`);
  const spec = parseSpec(row);
  store.tx(() => store.db.prepare('UPDATE containers SET monitor_pid = ?, monitor_start = ? WHERE id = ?').run(process.pid, selfStartTime(), id));

  const clients = new Set<Client>();
  let firstClient: () => void = () => undefined;
  const clientArrived = new Promise<void>((r) => (firstClient = r));
  let proc: RuntimeProcess | undefined;
  const stdinQueue: Buffer[] = [];
  let stdinClosed = false;
  const server = createServer((sock) => {
    const dec = new FrameDecoder();
    let client: Client | undefined;
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (client) clients.delete(client);
    });
    sock.on('data', (chunk: Buffer) => {
      for (const f of dec.push(chunk)) {
        if (f.type === Frame.Hello) {
          const h = JSON.parse(f.payload.toString() || '{}') as Partial<Client>;
          client = { sock, stdin: Boolean(h.stdin), stdout: h.stdout !== false, stderr: h.stderr !== false };
          clients.add(client);
          firstClient();
        } else if (f.type === Frame.Stdin) {
          if (proc?.stdin) proc.stdin.write(f.payload);
          else stdinQueue.push(Buffer.from(f.payload));
        } else if (f.type === Frame.StdinClose) {
          if (spec.Config.StdinOnce && !spec.Config.Tty) {
            stdinClosed = true;
            proc?.stdin?.end();
          }
        } else if (f.type === Frame.Resize) {
          const r = JSON.parse(f.payload.toString()) as { rows: number; cols: number };
          proc?.resize(r.rows, r.cols);
        }
      }
    });
  });
  rmSync(paths.socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(paths.socket, resolve);
  });
  const broadcast = (type: number, payload: Buffer | string, want?: 'stdout' | 'stderr') => {
    const frame = encodeFrame(type, payload);
    for (const c of clients) if (!want || c[want]) c.sock.write(frame);
  };

  const runc = new Runc(paths.runDir);
  const fs = containerFs(store, row);
  const fail = async (message: string) => {
    runc.delete(id);
    fs.unmount();
    const code = startFailureCode(message);
    store.tx(() => {
      store.db
        .prepare(
          "UPDATE containers SET state = CASE WHEN started = '' THEN 'created' ELSE 'exited' END, pid = 0, monitor_pid = 0, exit_code = ?, error = ? WHERE id = ?",
        )
        .run(code, message, id);
      containerEvent(store, row, 'die', { exitCode: String(code) });
    });
    report({ ok: false, error: message, code });
    broadcast(Frame.Error, JSON.stringify({ message, code }));
    await closeAll();
    if (spec.HostConfig.AutoRemove) removeContainer(store, id, fs);
  };
  const closeAll = async () => {
    for (const c of clients) c.sock.end();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(paths.socket, { force: true });
  };

  // The start was claimed in the store, so any runtime state left for this ID is stale (a
  // monitor killed between the runtime's create and start): clear it.
  if (existsSync(join(runc.stateRoot, id))) runc.delete(id);
  try {
    proc = await startRuntimeProcess(runc, 'create', ['--bundle', paths.dir, id], { stdin: Boolean(spec.Config.OpenStdin), tty: Boolean(spec.Config.Tty) }, {
      pidFile: paths.pidFile,
      logFile: paths.runtimeLog,
      consoleSocket: paths.consoleSocket,
    });
  } catch (err) {
    await fail(`failed to create task for container: failed to create shim task: OCI runtime create failed: ${(err as Error).message}: unknown`);
    return;
  }
  const pid = proc.pid;
  const { processStartTime } = await import('../store/process-identity.js');
  store.tx(() => store.db.prepare('UPDATE containers SET pid = ?, pid_start = ? WHERE id = ?').run(pid, processStartTime(pid) ?? null, id));
  if (spec.HostConfig.ConsoleSize[0] > 0) proc.resize(spec.HostConfig.ConsoleSize[0], spec.HostConfig.ConsoleSize[1]);

  if (waitAttach) await within(clientArrived, 10_000);
  for (const b of stdinQueue.splice(0)) proc.stdin?.write(b);
  if (stdinClosed) proc.stdin?.end();

  const log = new JsonLogWriter(paths.log);
  const pump = (stream: NodeJS.ReadableStream | undefined, name: StreamName) =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      stream.on('data', (b: Buffer) => {
        log.write(name, b);
        broadcast(name === 'stdout' ? Frame.Stdout : Frame.Stderr, b, name);
      });
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
    });
  const outDone = Promise.all([pump(proc.stdout, 'stdout'), pump(proc.stderr, 'stderr')]);

  try {
    runc.run('start', ['start', id], paths.runtimeLog);
  } catch (err) {
    await fail(`failed to start container: ${(err as Error).message}: unknown`);
    return;
  }
  store.tx(() => {
    store.db.prepare("UPDATE containers SET state = 'running', started = ?, finished = '', exit_code = 0, error = '' WHERE id = ?").run(nowString(), id);
    containerEvent(store, row, 'start');
  });
  report({ ok: true, pid });
  broadcast(Frame.Started, JSON.stringify({ pid }));

  const status = await proc.wait();
  // Whatever still holds the output pipes is gone with the container's pid namespace; a pty's
  // master sees EIO once the last slave is closed.
  await within(outDone, 2000);
  proc.stdout?.destroy();
  proc.stderr?.destroy();
  log.close();
  runc.delete(id);
  fs.unmount();
  if (spec.HostConfig.AutoRemove) {
    store.tx(() => containerEvent(store, row, 'die', { exitCode: String(status.code) }));
    removeContainer(store, id, fs);
  } else {
    store.tx(() => {
      store.db
        .prepare("UPDATE containers SET state = 'exited', pid = 0, monitor_pid = 0, exit_code = ?, finished = ? WHERE id = ? AND state IN ('running', 'starting', 'removing')")
        .run(status.code, nowString(), id);
      containerEvent(store, row, 'die', { exitCode: String(status.code) });
    });
  }
  broadcast(Frame.Exit, JSON.stringify({ code: status.code }));
  await closeAll();
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`monitor: ${(err as Error).stack ?? String(err)}\n`);
      report({ ok: false, error: (err as Error).message, code: 128 });
      process.exit(1);
    },
  );
}
