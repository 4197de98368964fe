import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { containerChanges } from '../../engine/diff.js';

export default async function diff(argv: string[], ctx: CliContext, name = 'diff'): Promise<number> {
  const { args } = parseArgs(
    {
      name,
      usage: `berth ${name} CONTAINER`,
      description: "Inspect changes to files or directories on a container's filesystem",
      args: { min: 1, max: 1 },
    },
    argv,
  );
  let s = '';
  for (const c of containerChanges(ctx.engine(), args[0]!)) s += `${c.kind} ${c.path}\n`;
  ctx.out.write(s);
  return 0;
}
