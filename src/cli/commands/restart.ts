import type { CliContext } from '../context.js';
import { restartContainer } from '../../engine/containers.js';
import { forEachContainer } from './container-each.js';
import { parseStopArgs } from './stop.js';

export default async function restart(argv: string[], ctx: CliContext, name = 'restart'): Promise<number> {
  const { args, timeout, signal } = parseStopArgs(argv, name, 'Restart one or more containers');
  const engine = ctx.engine();
  return forEachContainer(ctx, args, (c) => restartContainer(engine, c, { timeout, signal }));
}
