import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { createOptionsFrom, createWithPull, parseContainerArgs, runStatusError } from './container-opts.js';
import { relayAttach, startContainer, StartError, killContainer, waitStopped, reconcile } from '../../engine/containers.js';
import { lookupContainer } from '../../engine/containers.js';
import { attachTerminal } from './container-attach.js';

export default async function run(argv: string[], ctx: CliContext): Promise<number> {
  const parsed = parseContainerArgs(argv, true);
  const f = parsed.flags;
  const opts = createOptionsFrom(parsed, ctx, true);
  const attach = opts.attachStdin || opts.attachStdout || opts.attachStderr;
  if (!f.detach && opts.attachStdin && opts.tty && !process.stdin.isTTY) {
    throw new CliError('the input device is not a TTY', 1);
  }
  const engine = ctx.engine();
  let id: string;
  try {
    id = await createWithPull(ctx, opts, f);
  } catch (err) {
    throw runStatusError(err, 'run');
  }
  if (!attach) {
    try {
      await startContainer(engine, id);
    } catch (err) {
      if (opts.autoRemove) await removeQuietly(ctx, id);
      throw runStatusError(err, 'run');
    }
    ctx.out.line(id);
    return 0;
  }
  let started;
  try {
    started = await startContainer(engine, id, { attach: { stdin: opts.attachStdin!, stdout: opts.attachStdout!, stderr: opts.attachStderr! } });
  } catch (err) {
    throw runStatusError(err, 'run');
  }
  const sock = started.attach!;
  const term = attachTerminal(Boolean(opts.tty), Boolean(opts.attachStdin));
  // --sig-proxy (default true, and only without a terminal): signals go to the container.
  const proxy = !opts.tty && f.sigProxy !== false;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const forward = (sig: NodeJS.Signals) => {
    void killContainer(engine, id, sig).catch(() => undefined);
  };
  if (proxy) for (const s of signals) process.on(s, forward);
  try {
    const code = await relayAttach(engine, id, sock, {
      stdin: opts.attachStdin ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: opts.tty ? process.stdout : process.stderr,
      size: term.size,
      onResize: term.onResize,
    });
    if (opts.autoRemove) await waitStopped(engine.store, id, 5000);
    return code;
  } catch (err) {
    if (err instanceof StartError) {
      if (opts.autoRemove) await removeQuietly(ctx, id);
      throw runStatusError(err, 'run');
    }
    throw err;
  } finally {
    term.restore();
    if (proxy) for (const s of signals) process.removeListener(s, forward);
    sock.destroy();
    process.stdin.pause();
  }
}

async function removeQuietly(ctx: CliContext, id: string): Promise<void> {
  const store = ctx.engine().store;
  const row = lookupContainer(store, id);
  if (!row) return;
  reconcile(store, row);
  const { removeContainerOp } = await import('../../engine/containers.js');
  await removeContainerOp(ctx.engine(), id, { force: true }).catch(() => undefined);
}
