import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { topContainer } from '../../engine/container-top.js';

/** Go's tabwriter as docker top sets it up: cells at least 20 wide, 3 spaces of padding. */
function tabulate(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 20, c.length + 3)));
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('') + '\n').join('');
}

export default async function top(argv: string[], ctx: CliContext, name = 'top'): Promise<number> {
  const { args } = parseArgs(
    {
      name,
      usage: `berth ${name} CONTAINER [ps OPTIONS]`,
      description: 'Display the running processes of a container',
      args: { min: 1, max: Infinity },
      interspersed: false,
    },
    argv,
  );
  const res = topContainer(ctx.engine(), args[0]!, args.length > 1 ? args.slice(1).join(' ') : undefined);
  ctx.out.write(tabulate([res.Titles, ...res.Processes]));
  return 0;
}
