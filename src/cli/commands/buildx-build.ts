import type { CliContext } from '../context.js';
import { runBuild } from './build.js';

export default async function buildxBuild(argv: string[], ctx: CliContext): Promise<number> {
  return runBuild(argv, ctx, 'buildx build');
}
