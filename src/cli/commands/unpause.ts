import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { unpauseContainer } from '../../engine/containers.js';
import { forEachContainer } from './container-each.js';

export default async function unpause(argv: string[], ctx: CliContext, name = 'unpause'): Promise<number> {
  const { args } = parseArgs(
    {
      name,
      usage: `berth ${name} CONTAINER [CONTAINER...]`,
      description: 'Unpause all processes within one or more containers',
      args: { min: 1, max: Infinity },
    },
    argv,
  );
  const engine = ctx.engine();
  return forEachContainer(ctx, args, async (c) => unpauseContainer(engine, c));
}
