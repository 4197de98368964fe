import type { CliContext } from '../context.js';
import { createOptionsFrom, createWithPull, parseContainerArgs, runStatusError } from './container-opts.js';

export default async function create(argv: string[], ctx: CliContext): Promise<number> {
  const parsed = parseContainerArgs(argv, false);
  const opts = createOptionsFrom(parsed, ctx, false);
  let id: string;
  try {
    id = await createWithPull(ctx, opts, parsed.flags);
  } catch (err) {
    throw runStatusError(err, 'create');
  }
  ctx.out.line(id);
  return 0;
}
