import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { killContainer } from '../../engine/containers.js';
import { forEachContainer } from './container-each.js';

export default async function kill(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ signal?: string }>(
    {
      name: 'kill',
      usage: 'berth kill [OPTIONS] CONTAINER [CONTAINER...]',
      description: 'Kill one or more running containers',
      args: { min: 1, max: Infinity },
      options: (c) => c.option('-s, --signal <string>', 'Signal to send to the container'),
    },
    argv,
  );
  const engine = ctx.engine();
  return forEachContainer(ctx, args, (c) => killContainer(engine, c, opts.signal || 'KILL'));
}
