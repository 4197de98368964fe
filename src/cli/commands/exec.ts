import type { CliContext } from '../context.js';
import { collect, parseArgs, type FlagSet } from '../args.js';
import { CliError } from '../errors.js';
import { execInContainer, ExecStartError } from '../../engine/exec.js';
import { readKeyValueFile } from './container-opts.js';
import { attachTerminal } from './container-attach.js';

export default async function exec(argv: string[], ctx: CliContext): Promise<number> {
  const spec = {
    name: 'exec',
    usage: 'berth exec [OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    args: { min: 2, max: Infinity },
    interspersed: false,
    options: (c: FlagSet) =>
      c
        .option('-d, --detach', 'Detached mode: run command in the background')
        .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
        .option('-e, --env <list>', 'Set environment variables', collect)
        .option('--env-file <list>', 'Read in a file of environment variables', collect)
        .option('-i, --interactive', 'Keep STDIN open even if not attached')
        .option('--privileged', 'Give extended privileges to the command')
        .option('-t, --tty', 'Allocate a pseudo-TTY')
        .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
        .option('-w, --workdir <string>', 'Working directory inside the container'),
  };
  const { opts, args: rest } = parseArgs<{ detach?: boolean; env?: string[]; envFile?: string[]; interactive?: boolean; tty?: boolean; user?: string; workdir?: string; privileged?: boolean }>(
    spec,
    argv,
  );
  const env: string[] = [];
  for (const f of opts.envFile ?? []) env.push(...readKeyValueFile(f, true));
  for (const e of opts.env ?? []) env.push(e.includes('=') ? e : process.env[e] !== undefined ? `${e}=${process.env[e]}` : e);
  const stdin = Boolean(opts.interactive) && !opts.detach;
  if (!opts.detach && stdin && opts.tty && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
  const term = attachTerminal(Boolean(opts.tty) && !opts.detach, stdin);
  try {
    return await execInContainer(
      ctx.engine(),
      rest[0]!,
      { cmd: rest.slice(1), env, workdir: opts.workdir, user: opts.user, tty: opts.tty, stdin, detach: opts.detach, privileged: opts.privileged },
      {
        stdin: stdin ? process.stdin : undefined,
        stdout: process.stdout,
        stderr: opts.tty ? process.stdout : process.stderr,
        size: term.size,
        onResize: term.onResize,
      },
    );
  } catch (err) {
    if (err instanceof ExecStartError) throw new CliError(err.message, err.exitCode);
    throw err;
  } finally {
    term.restore();
    process.stdin.pause();
  }
}
