import type { CliContext } from '../context.js';
import rm from './rm.js';

export default async function containerRm(argv: string[], ctx: CliContext): Promise<number> {
  return rm(argv, ctx, 'container rm');
}
