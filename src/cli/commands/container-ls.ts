import type { CliContext } from '../context.js';
import ps from './ps.js';

export default async function containerLs(argv: string[], ctx: CliContext): Promise<number> {
  return ps(argv, ctx, 'container ls');
}
