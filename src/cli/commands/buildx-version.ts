import type { CliContext } from '../context.js';

export default async function buildxVersion(_argv: string[], ctx: CliContext): Promise<number> {
  ctx.out.line('github.com/docker/buildx v0.0.0-berth berth');
  return 0;
}
