import type { CliContext } from '../context.js';
import inspect from './inspect.js';

export default async function containerInspect(argv: string[], ctx: CliContext): Promise<number> {
  return inspect(argv, ctx, false, 'container');
}
