import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { removeContainerOp } from '../../engine/containers.js';
import { forEachContainer } from './container-each.js';

export default async function rm(argv: string[], ctx: CliContext, name = 'rm'): Promise<number> {
  const { opts, args } = parseArgs<{ force?: boolean; volumes?: boolean; link?: boolean }>(
    {
      name,
      usage: `berth ${name} [OPTIONS] CONTAINER [CONTAINER...]`,
      description: 'Remove one or more containers',
      args: { min: 1, max: Infinity },
      options: (c) =>
        c
          .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
          .option('-l, --link', 'Remove the specified link')
          .option('-v, --volumes', 'Remove anonymous volumes associated with the container'),
    },
    argv,
  );
  const engine = ctx.engine();
  return forEachContainer(
    ctx,
    args,
    async (c) => {
      const id = c.replace(/^\/+|\/+$/g, '');
      if (id === '') throw new CliError('container name cannot be empty');
      await removeContainerOp(engine, id, { force: opts.force });
    },
    Boolean(opts.force),
  );
}
