/** Runs an operation on each named container, printing each name that succeeded (Docker's stop/kill/rm). */
import type { CliContext } from '../context.js';
import { CliError, describeError } from '../errors.js';

export async function forEachContainer(ctx: CliContext, names: string[], op: (name: string) => Promise<void>, quietNotFound = false): Promise<number> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await op(name);
      ctx.out.line(name);
    } catch (err) {
      const text = describeError(err).text;
      if (quietNotFound && /No such container/.test(text)) {
        await ctx.out.drain();
        ctx.out.error(text);
        continue;
      }
      errors.push(text);
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'));
  return 0;
}
