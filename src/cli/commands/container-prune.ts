import type { CliContext } from '../context.js';
import { collect, filterFlagError, parseArgs } from '../args.js';
import { confirm } from '../prompt.js';
import { humanSize } from '../format/index.js';
import { parseFilters } from '../../engine/filters.js';
import { pruneContainers } from '../../engine/containers.js';

export default async function containerPrune(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ force?: boolean; filter?: string[] }>(
    {
      name: 'container prune',
      usage: 'berth container prune [OPTIONS]',
      description: 'Remove all stopped containers',
      args: { min: 0, max: 0 },
      options: (c) =>
        c
          .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect)
          .option('-f, --force', 'Do not prompt for confirmation'),
    },
    argv,
  );
  let filters;
  try {
    filters = parseFilters(opts.filter ?? []);
  } catch (err) {
    throw filterFlagError({ name: 'container prune', usage: 'berth container prune [OPTIONS]' }, opts.filter ?? [], '--filter', err);
  }
  if (!opts.force) {
    ctx.out.line('WARNING! This will remove all stopped containers.');
    if (!(await confirm(ctx, 'Are you sure you want to continue?'))) return 0;
  }
  const report = pruneContainers(ctx.engine(), filters);
  if (report.ContainersDeleted?.length) ctx.out.line(`Deleted Containers:\n${report.ContainersDeleted.join('\n')}\n`);
  ctx.out.line(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}`);
  return 0;
}
