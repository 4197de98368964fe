import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { BerthError } from '../../image/errors.js';
import { createOptionsFrom, createWithPull, parseContainerArgs, runStatusError } from './container-opts.js';

export default async function create(argv: string[], ctx: CliContext): Promise<number> {
  const parsed = parseContainerArgs(argv, false);
  const opts = createOptionsFrom(parsed, ctx, false);
  let id: string;
  try {
    id = await createWithPull(ctx, opts, parsed.flags);
  } catch (err) {
    // docker create reports the daemon's refusal as is (exit 1); only its own checks get the
    // usage hint and 125.
    if (err instanceof BerthError) throw new CliError(`Error response from daemon: ${err.message}`);
    throw runStatusError(err, 'create');
  }
  ctx.out.line(id);
  return 0;
}
