/**
 * The OCI runtime driver: runc (or crun, which takes the same command line) run as a command,
 * with its state under a directory of berth's own (/run/berth/<store hash>), and errors read
 * from its JSON log so they are not mixed with the container's output.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../image/errors.js';
import { requireRuntime, type RuntimeInfo } from './detect.js';

export interface RuncState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped' | string;
  pid: number;
}

/** Per-store directory for runtime state, sockets and pid files (on /run: gone after a reboot). */
export function runDirFor(storeRoot: string): string {
  let real = storeRoot;
  try {
    real = realpathSync(storeRoot);
  } catch {
    /* not created yet */
  }
  const h = createHash('sha256').update(real).digest('hex').slice(0, 12);
  const base = process.env.BERTH_RUN_DIR ?? (process.getuid?.() === 0 ? '/run/berth' : join(process.env.XDG_RUNTIME_DIR ?? '/tmp', 'berth'));
  return join(base, h);
}

/**
 * Children this process waits for itself: runtime commands it spawned (node's child_process
 * reaps them) and container processes being waited for. The subreaper's reaping of orphans must
 * leave these alone, or a concurrent wait loses its exit status (or node never sees the exit).
 */
const ownChildren = new Set<number>();

/** Marks a child as waited for by someone in this process until it has exited. */
export function trackChild(child: ChildProcess): ChildProcess {
  const pid = child.pid;
  if (pid !== undefined) {
    ownChildren.add(pid);
    child.once('exit', () => ownChildren.delete(pid));
  }
  return child;
}

/** Marks a pid as waited for (until the returned function is called). */
export function holdPid(pid: number): () => void {
  ownChildren.add(pid);
  return () => ownChildren.delete(pid);
}

/** The pids reaping of orphans must not touch. */
export function waitedPids(): number[] {
  return [...ownChildren];
}

export class RuntimeError extends BerthError {
  constructor(
    readonly op: string,
    readonly detail: string,
  ) {
    super('internal', detail);
  }
}

export class Runc {
  readonly rt: RuntimeInfo;
  readonly stateRoot: string;

  constructor(readonly runDir: string) {
    this.rt = requireRuntime();
    this.stateRoot = join(runDir, this.rt.name);
    mkdirSync(this.stateRoot, { recursive: true, mode: 0o700 });
  }

  get name(): string {
    return this.rt.name;
  }

  private base(logFile?: string): string[] {
    const a = ['--root', this.stateRoot];
    if (logFile) a.push('--log', logFile, '--log-format', 'json');
    return a;
  }

  /** Starts a runtime command; the caller waits for it with `finished()`. */
  spawn(args: string[], opts: { logFile?: string; stdio: StdioOptions; cwd?: string }): ChildProcess {
    return trackChild(spawn(this.rt.path, [...this.base(opts.logFile), ...args], { stdio: opts.stdio, cwd: opts.cwd }));
  }

  /** Runs a command to completion; throws RuntimeError with the runtime's message on failure. */
  run(op: string, args: string[], logFile?: string): string {
    const r = spawnSync(this.rt.path, [...this.base(logFile), ...args], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new RuntimeError(op, runtimeMessage(logFile, r.stderr ?? '', op, this.rt.name) || `${this.rt.name} ${op} failed`);
    return r.stdout ?? '';
  }

  state(id: string): RuncState | undefined {
    const r = spawnSync(this.rt.path, [...this.base(), 'state', id], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) return undefined;
    try {
      const s = JSON.parse(r.stdout) as { status: string; pid: number };
      return { status: s.status, pid: s.pid };
    } catch {
      return undefined;
    }
  }

  kill(id: string, signal: string | number, all = false): void {
    const args = ['kill'];
    if (all) args.push('--all');
    args.push(id, String(signal));
    this.run('kill', args);
  }

  /** Removes the runtime's record of a container (killing what is left of it); never fails. */
  delete(id: string): void {
    spawnSync(this.rt.path, [...this.base(), 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
    // A runtime that lost track of a container's processes may leave its state directory.
    const dir = join(this.stateRoot, id);
    if (existsSync(dir) && this.state(id) === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves when a spawned runtime command exits, with its exit code. */
export function finished(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('error', () => resolve(-1));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/**
 * The runtime's error for a failed command: the last error of its JSON log, or its stderr,
 * phrased as runc does ("runc create failed: ...").
 */
export function runtimeMessage(logFile: string | undefined, stderr: string, op: string, name = 'runc'): string {
  let msg = '';
  if (logFile) {
    try {
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const e = JSON.parse(line) as { level?: string; msg?: string };
          if ((e.level === 'error' || e.level === 'fatal') && e.msg) msg = e.msg;
        } catch {
          if (line.trim()) msg = line.trim();
        }
      }
    } catch {
      /* no log */
    }
  }
  if (!msg) {
    const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
    msg = lines.at(-1) ?? '';
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(msg);
    if (m) msg = m[1]!.replace(/\\"/g, '"');
  }
  if (msg && !msg.startsWith(`${name} ${op} failed`) && name === 'runc') msg = `${name} ${op} failed: ${msg}`;
  return msg;
}
