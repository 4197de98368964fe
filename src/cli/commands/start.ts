import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { describeError } from '../errors.js';
import { getContainer, relayAttach, startContainer, killContainer, StartError } from '../../engine/containers.js';
import { parseSpec } from '../../engine/containers.js';
import { attachTerminal } from './container-attach.js';

export default async function start(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ attach?: boolean; interactive?: boolean; detachKeys?: string }>(
    {
      name: 'start',
      usage: 'berth start [OPTIONS] CONTAINER [CONTAINER...]',
      description: 'Start one or more stopped containers',
      args: { min: 1, max: Infinity },
      options: (c) =>
        c
          .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
          .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
          .option('-i, --interactive', "Attach container's STDIN"),
    },
    argv,
  );
  const engine = ctx.engine();
  if (opts.attach || opts.interactive) {
    if (args.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
    const row = getContainer(engine, args[0]!);
    const cfg = parseSpec(row).Config;
    const stdin = Boolean(opts.interactive && cfg.OpenStdin);
    const tty = Boolean(cfg.Tty);
    if (stdin && tty && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
    let res;
    try {
      res = await startContainer(engine, row.id, { attach: { stdin, stdout: true, stderr: true } });
    } catch (err) {
      if (err instanceof StartError) throw new CliError(`Error response from daemon: ${err.message}`, 1);
      throw err;
    }
    if (!res.attach) return 0;
    const term = attachTerminal(tty, stdin);
    const forward = (sig: NodeJS.Signals) => void killContainer(engine, row.id, sig).catch(() => undefined);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
    if (!tty) for (const s of signals) process.on(s, forward);
    try {
      return await relayAttach(engine, row.id, res.attach, {
        stdin: stdin ? process.stdin : undefined,
        stdout: process.stdout,
        stderr: tty ? process.stdout : process.stderr,
        size: term.size,
        onResize: term.onResize,
      });
    } catch (err) {
      if (err instanceof StartError) throw new CliError(`Error response from daemon: ${err.message}`, 1);
      throw err;
    } finally {
      term.restore();
      if (!tty) for (const s of signals) process.removeListener(s, forward);
      res.attach.destroy();
      process.stdin.pause();
    }
  }
  const failed: string[] = [];
  for (const name of args) {
    try {
      await startContainer(engine, name);
      ctx.out.line(name);
    } catch (err) {
      await ctx.out.drain();
      ctx.out.error(describeError(err).text);
      failed.push(name);
    }
  }
  if (failed.length) throw new CliError(`Error: failed to start containers: ${failed.join(', ')}`);
  return 0;
}
