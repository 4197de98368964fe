import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { readBuilders, writeBuilders } from './buildx-builders.js';

export default async function buildxUse(argv: string[], _ctx: CliContext): Promise<number> {
  const { args } = parseArgs<{ default?: boolean; global?: boolean }>(
    {
      name: 'buildx use',
      usage: 'berth buildx use [OPTIONS] NAME',
      description: 'Set the current builder instance',
      args: { min: 1, max: 1 },
      options: (c) => c.option('--default', 'Set builder as default for current context').option('--global', 'Builder persists context changes'),
    },
    argv,
  );
  const s = readBuilders();
  const name = args[0]!;
  if (name !== 'default' && !s.builders.some((b) => b.name === name)) throw new CliError(`ERROR: run \`docker buildx create --name ${name}\` to create a builder`);
  s.current = name;
  writeBuilders(s);
  return 0;
}
