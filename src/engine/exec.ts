/** `exec`: another process in a running container, through the runtime's exec. */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineCore } from './engine.js';
import { BerthError, conflict, invalidArgument } from '../image/errors.js';
import { isRunning, parseSpec } from '../runtime/container-store.js';
import { containerFs, containerPaths, startFailureCode } from '../runtime/container-files.js';
import { Runc, RuntimeError, runtimeMessage } from '../runtime/runc.js';
import { startRuntimeProcess } from '../runtime/process.js';
import { processSpec } from '../runtime/spec.js';
import { containerGroups, resolveUser } from '../runtime/user.js';
import { containerEnv, getContainer, type AttachIo } from './containers.js';
import { within } from '../runtime/time.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { processLimits } from './container-limits.js';
import { isFrozen } from '../runtime/freezer.js';
import { allCapabilities } from '../runtime/capabilities.js';

export interface ExecOptions {
  cmd: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  stdin?: boolean;
  detach?: boolean;
  /** Every capability for this process (the container's devices and masks stay as they are). */
  privileged?: boolean;
}

/** An exec that could not start, with Docker's exit code for it (126 or 127). */
export class ExecStartError extends BerthError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super('internal', message);
  }
}

/** Runs a command in a running container; resolves with its exit code (0 when detached). */
export async function execInContainer(engine: EngineCore, input: string, opts: ExecOptions, io: AttachIo): Promise<number> {
  const store = engine.store;
  if (opts.cmd.length === 0) throw invalidArgument('No exec command specified');
  const row = getContainer(engine, input);
  if (!isRunning(row)) throw conflict(`container ${row.id} is not running`);
  if (isFrozen(row.id)) throw conflict(`Container ${input} is paused, unpause the container before exec`);
  const spec = parseSpec(row);
  const cfg = spec.Config;
  const paths = containerPaths(store, row.id);
  const rootfs = containerFs(store, row).rootfs;
  if (opts.workdir !== undefined && opts.workdir !== '' && !opts.workdir.startsWith('/')) {
    throw invalidArgument(`the working directory '${opts.workdir}' is invalid, it needs to be an absolute path`);
  }
  const user = resolveUser(rootfs, opts.user ?? cfg.User ?? '', spec.HostConfig.GroupAdd ?? []);
  const size = io.size?.();
  const limits = processLimits(spec.HostConfig);
  const proc = processSpec(
    {
      args: opts.cmd,
      env: containerEnv(cfg.Hostname ?? '', Boolean(opts.tty), cfg.Env, opts.env ?? []),
      cwd: opts.workdir || cfg.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: containerGroups(user),
      terminal: Boolean(opts.tty),
      consoleSize: size,
      rlimits: limits.rlimits,
      noNewPrivileges: limits.noNewPrivileges,
    },
    opts.privileged ? allCapabilities() : limits.capabilities,
  );
  const tag = randomBytes(6).toString('hex');
  const processFile = join(paths.runDir, `${row.id}.exec-${tag}.json`);
  writeFileSync(processFile, JSON.stringify(proc));
  const runc = new Runc(paths.runDir);
  try {
    if (opts.detach) {
      // Not `runc exec --detach`: the process it leaves is made a child of its caller (CLONE_PARENT),
      // which a long-running caller (berth serve) never reaps, and an unreaped process keeps the
      // container's init from ever exiting. A runtime left waiting in the background reaps it.
      const pidFile = join(paths.runDir, `${row.id}.exec-${tag}.pid`);
      const logFile = join(paths.runDir, `${row.id}.exec-${tag}.log`);
      const child = runc.spawn(['exec', '--pid-file', pidFile, '--process', processFile, row.id], { logFile, stdio: 'ignore' });
      child.on('error', () => undefined);
      const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
      for (let i = 0; i < 1000 && !existsSync(pidFile) && child.exitCode === null; i++) await sleep(10);
      if (!existsSync(pidFile)) {
        await within(exited, 5000);
        const detail = runtimeMessage(logFile, '', 'exec', runc.name).replace(/^runc exec failed: /, '') || 'the runtime exited';
        const msg = `OCI runtime exec failed: ${detail.startsWith('exec failed: ') ? detail : `exec failed: ${detail}`}: unknown`;
        throw new ExecStartError(msg, startFailureCode(msg));
      }
      child.unref();
      return 0;
    }
    let p;
    try {
      p = await startRuntimeProcess(runc, 'exec', ['--process', processFile, row.id], { stdin: Boolean(opts.stdin), tty: Boolean(opts.tty) }, {
        pidFile: join(paths.runDir, `${row.id}.exec-${tag}.pid`),
        logFile: join(paths.runDir, `${row.id}.exec-${tag}.log`),
        consoleSocket: join(paths.runDir, `${tag}.tty`),
      });
    } catch (err) {
      if (err instanceof RuntimeError) {
        const detail = err.detail.replace(/^runc exec failed: /, '');
        const msg = `OCI runtime exec failed: ${detail.startsWith('exec failed: ') ? detail : `exec failed: ${detail}`}: unknown`;
        throw new ExecStartError(msg, startFailureCode(msg));
      }
      throw err;
    }
    if (size) p.resize(size.rows, size.cols);
    io.onResize?.(() => {
      const s = io.size?.();
      if (s) p.resize(s.rows, s.cols);
    });
    const ended = (s: NodeJS.ReadableStream | undefined, to: NodeJS.WritableStream) =>
      new Promise<void>((resolve) => {
        if (!s) return resolve();
        s.on('data', (b: Buffer) => to.write(b));
        // Our output closed (`| head`): closing the pipe gives the process its SIGPIPE.
        to.on('error', () => (s as NodeJS.ReadableStream & { destroy(): void }).destroy());
        s.once('end', () => resolve());
        s.once('close', () => resolve());
        s.once('error', () => resolve());
      });
    const out = Promise.all([ended(p.stdout, io.stdout), ended(p.stderr, io.stderr)]);
    const onData = (b: Buffer | string) => p.stdin?.write(b);
    if (opts.stdin && io.stdin && p.stdin) {
      io.stdin.on('data', onData);
      io.stdin.once('end', () => {
        if (!opts.tty) p.stdin?.end();
      });
    }
    const status = await p.wait();
    await within(out, 2000);
    io.stdin?.removeListener('data', onData);
    p.stdout?.destroy();
    p.stderr?.destroy();
    p.stdin?.destroy();
    return status.code;
  } finally {
    for (const ext of ['json', 'pid', 'log']) rmSync(join(paths.runDir, `${row.id}.exec-${tag}.${ext}`), { force: true });
  }
}
