import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import type { EngineCore } from '../../engine/engine.js';
import { pauseContainer } from '../../engine/containers.js';
import { forEachContainer } from './container-each.js';

/** pause and unpause: the operation on each named container, its name printed when done. */
export async function freezeCommand(argv: string[], ctx: CliContext, name: string, description: string, op: (engine: EngineCore, container: string) => void): Promise<number> {
  const { args } = parseArgs({ name, usage: `berth ${name} CONTAINER [CONTAINER...]`, description, args: { min: 1, max: Infinity } }, argv);
  const engine = ctx.engine();
  return forEachContainer(ctx, args, async (c) => op(engine, c));
}

export default function pause(argv: string[], ctx: CliContext, name = 'pause'): Promise<number> {
  return freezeCommand(argv, ctx, name, 'Pause all processes within one or more containers', pauseContainer);
}
