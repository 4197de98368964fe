/**
 * Starting container processes through the runtime with their standard streams, and collecting
 * their exit status.
 *
 * The runtime runs detached (`create`, `exec -d`); its child — the container's process — is
 * reparented to the calling process, which makes itself a child subreaper for that, and polls
 * waitpid. Without a terminal the process gets real pipes (its stdout can be reopened through
 * /proc, as with Docker); with one, the runtime sends the pty master over a console socket.
 */
import { closeSync, openSync, readFileSync, rmSync, constants as fsc } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { ReadStream as TtyReadStream, WriteStream as TtyWriteStream } from 'node:tty';
import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeNative } from './native.js';
import { finished, holdPid, runtimeMessage, RuntimeError, waitedPids, type Runc } from './runc.js';

export interface ProcessIo {
  /** Stdin: a pipe the caller writes to (true), or /dev/null. */
  stdin: boolean;
  tty: boolean;
}

export interface ExitStatus {
  code: number;
  signal?: number;
}

export class RuntimeProcess {
  pid = 0;
  /** Without a terminal: the process's stdout and stderr; with one: the console (both ways). */
  stdout: Readable | undefined;
  stderr: Readable | undefined;
  stdin: Writable | undefined;
  /** The pty master's fd (terminal only), for window size changes. */
  consoleFd = -1;
  private status: ExitStatus | undefined;

  resize(rows: number, cols: number): void {
    if (this.consoleFd >= 0 && rows > 0 && cols > 0) {
      try {
        runtimeNative().setWinsize(this.consoleFd, rows, cols);
      } catch {
        /* console gone */
      }
    }
  }

  /** Polls until the process (our child once reparented) exits; 128+n when killed by signal n. */
  async wait(intervalMs = 25): Promise<ExitStatus> {
    const n = runtimeNative();
    const release = holdPid(this.pid);
    try {
      while (!this.status) {
        const r = n.waitpid(this.pid);
        if (r !== null) {
          if ('code' in r) this.status = { code: r.code };
          else if ('signal' in r) this.status = { code: 128 + r.signal, signal: r.signal };
          else this.status = { code: 255 };
          break;
        }
        n.reapOthers(waitedPids());
        await sleep(intervalMs);
      }
    } finally {
      release();
    }
    return this.status;
  }
}

/** A readable (or writable) stream over a pipe or pty fd that libuv can poll. */
function fdSocket(fd: number, readable: boolean, writable: boolean): Socket {
  const s = new Socket({ fd, readable, writable });
  s.on('error', () => undefined);
  return s;
}

function openDevNull(flags: number): number {
  return openSync('/dev/null', flags | 0o2000000);
}

/**
 * Runs `<runtime> create` (init) or `<runtime> exec -d` (an extra process) and returns the
 * process with its streams; the runtime's own errors come back as RuntimeError.
 */
export async function startRuntimeProcess(
  runc: Runc,
  op: 'create' | 'exec',
  args: string[],
  io: ProcessIo,
  files: { pidFile: string; logFile: string; consoleSocket: string },
): Promise<RuntimeProcess> {
  const native = runtimeNative();
  native.setSubreaper();
  rmSync(files.pidFile, { force: true });
  rmSync(files.logFile, { force: true });
  const proc = new RuntimeProcess();
  const close: number[] = [];
  let listenFd = -1;
  let stdio: (number | 'ignore' | 'pipe')[];
  let outR = -1;
  let errR = -1;
  let inW = -1;
  const cmd: string[] = [op];
  if (op === 'exec') cmd.push('--detach');
  cmd.push('--pid-file', files.pidFile);
  if (io.tty) {
    listenFd = native.listenUnix(files.consoleSocket);
    cmd.push('--console-socket', files.consoleSocket);
    stdio = ['ignore', 'pipe', 'pipe'];
  } else {
    const [r1, w1] = native.pipe();
    const [r2, w2] = native.pipe();
    outR = r1;
    errR = r2;
    close.push(w1, w2);
    let inR: number;
    if (io.stdin) {
      const [r0, w0] = native.pipe();
      inR = r0;
      inW = w0;
    } else {
      inR = openDevNull(fsc.O_RDONLY);
    }
    close.push(inR);
    stdio = [inR, w1, w2];
  }
  cmd.push(...args);
  const child = runc.spawn(cmd, { logFile: files.logFile, stdio });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout?.resume();
  for (const fd of close) closeSync(fd);
  try {
    let exited: number | undefined;
    const done = finished(child).then((c) => (exited = c));
    if (io.tty) {
      let master = -1;
      while (master < 0 && exited === undefined) {
        master = native.recvFd(listenFd, 20);
        if (master < 0) await sleep(0);
      }
      if (master >= 0) {
        proc.consoleFd = master;
        const out = new TtyReadStream(master);
        out.on('error', () => undefined);
        const inp = new TtyWriteStream(master);
        inp.on('error', () => undefined);
        proc.stdout = out;
        proc.stdin = inp;
      }
    }
    const code = await done;
    if (code !== 0) {
      proc.stdout?.destroy();
      throw new RuntimeError(op, runtimeMessage(files.logFile, stderr, op, runc.name) || `${runc.name} ${op} failed (exit status ${code})`);
    }
    proc.pid = Number(readFileSync(files.pidFile, 'utf8').trim());
    if (!io.tty) {
      proc.stdout = fdSocket(outR, true, false);
      proc.stderr = fdSocket(errR, true, false);
      outR = errR = -1;
      if (inW >= 0) {
        proc.stdin = fdSocket(inW, false, true);
        inW = -1;
      }
    }
    return proc;
  } finally {
    for (const fd of [outR, errR, inW, listenFd]) if (fd >= 0) closeSync(fd);
    if (io.tty) rmSync(files.consoleSocket, { force: true });
  }
}
