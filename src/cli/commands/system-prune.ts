import type { CliContext } from '../context.js';
import { collect, filterFlagError, parseArgs } from '../args.js';
import { pruneImages } from '../../engine/prune.js';
import { parseFilters } from '../../engine/filters.js';
import { confirm } from '../prompt.js';
import { humanSize } from '../format/index.js';
import { BuildCache } from '../../engine/build-cache.js';

export default async function systemPrune(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ all?: boolean; force?: boolean; filter?: string[]; volumes?: boolean }>(
    {
      name: 'system prune',
      usage: 'berth system prune [OPTIONS]',
      description: 'Remove unused data',
      args: { min: 0, max: 0 },
      options: (c) =>
        c
          .option('-a, --all', 'Remove all unused images not just dangling ones')
          .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect)
          .option('-f, --force', 'Do not prompt for confirmation')
          .option('--volumes', 'Prune anonymous volumes'),
    },
    argv,
  );
  let filters;
  try {
    filters = parseFilters(opts.filter ?? []);
  } catch (err) {
    throw filterFlagError({ name: 'system prune', usage: 'berth system prune [OPTIONS]' }, opts.filter ?? [], '--filter', err);
  }
  if (!opts.force) {
    ctx.out.line('WARNING! This will remove:');
    ctx.out.line('  - all stopped containers');
    ctx.out.line(opts.all ? '  - all images without at least one container associated to them' : '  - all dangling images');
    ctx.out.line('  - unused build cache');
    ctx.out.line('');
    if (!(await confirm(ctx, 'Are you sure you want to continue?'))) return 0;
  }
  // Stopped containers go first, so the images they used can go with this prune.
  const { pruneContainers } = await import('../../engine/containers.js');
  // The whole filter set goes to each prune, as Docker's CLI does: one the container prune does
  // not accept fails the command before anything is removed.
  const containers = pruneContainers(ctx.engine(), filters);
  if (containers.ContainersDeleted?.length) ctx.out.line(`Deleted Containers:\n${containers.ContainersDeleted.join('\n')}\n`);
  if (opts.all) filters.set('dangling', ['false']);
  const report = pruneImages(ctx.engine(), filters);
  report.SpaceReclaimed += containers.SpaceReclaimed;
  const cache = new BuildCache(ctx.engine().store).prune();
  ctx.engine().store.gc.run();
  if (report.ImagesDeleted?.length) {
    let s = 'Deleted Images:\n';
    for (const d of report.ImagesDeleted) s += 'Untagged' in d ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`;
    ctx.out.line(s);
  }
  ctx.out.line(`Total reclaimed space: ${humanSize(report.SpaceReclaimed + cache.reclaimed)}`);
  return 0;
}
