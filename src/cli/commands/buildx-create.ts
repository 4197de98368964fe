import type { CliContext } from '../context.js';
import { parseArgs, collect } from '../args.js';
import { readBuilders, writeBuilders } from './buildx-builders.js';

export default async function buildxCreate(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ name?: string; use?: boolean; driver?: string; platform?: string[] }>(
    {
      name: 'buildx create',
      usage: 'berth buildx create [OPTIONS] [CONTEXT|ENDPOINT]',
      description: 'Create a new builder instance',
      args: { min: 0, max: 1 },
      options: (c) =>
        c
          .option('--name <string>', 'Builder instance name')
          .option('--use', 'Set the current builder instance')
          .option('--driver <string>', 'Driver to use (accepted; berth builds in-process)')
          .option('--platform <stringArray>', 'Fixed platforms for current node', collect)
          .option('--bootstrap', 'Boot builder after creation')
          .option('--driver-opt <stringArray>', 'Options for the driver', collect)
          .option('--buildkitd-flags <string>', 'BuildKit daemon flags'),
    },
    argv,
  );
  const s = readBuilders();
  let name = opts.name;
  if (!name) {
    let i = 0;
    while (s.builders.some((b) => b.name === `builder${i}`)) i++;
    name = `builder${i}`;
  }
  if (!s.builders.some((b) => b.name === name)) s.builders.push({ name, driver: opts.driver ?? 'berth', platforms: (opts.platform ?? []).flatMap((p) => p.split(',')) });
  if (opts.use) s.current = name;
  writeBuilders(s);
  ctx.out.line(name);
  return 0;
}
