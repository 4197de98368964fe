import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError, describeError } from '../errors.js';
import { waitContainer } from '../../engine/containers.js';

export default async function wait(argv: string[], ctx: CliContext): Promise<number> {
  const { args } = parseArgs(
    {
      name: 'wait',
      usage: 'berth wait CONTAINER [CONTAINER...]',
      description: 'Block until one or more containers stop, then print their exit codes',
      args: { min: 1, max: Infinity },
    },
    argv,
  );
  const engine = ctx.engine();
  const errors: string[] = [];
  for (const name of args) {
    try {
      ctx.out.line(String(await waitContainer(engine, name)));
    } catch (err) {
      errors.push(describeError(err).text);
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'));
  return 0;
}
