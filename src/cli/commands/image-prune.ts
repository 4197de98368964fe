import type { CliContext } from '../context.js';
import { collect, filterFlagError, parseArgs } from '../args.js';
import { pruneImages } from '../../engine/prune.js';
import { parseFilters } from '../../engine/filters.js';
import { confirm } from '../prompt.js';
import { humanSize } from '../format/units.js';

export default async function imagePrune(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ all?: boolean; force?: boolean; filter?: string[] }>(
    {
      name: 'image prune',
      usage: 'berth image prune [OPTIONS]',
      description: 'Remove unused images',
      args: { min: 0, max: 0 },
      options: (c) =>
        c
          .option('-a, --all', 'Remove all unused images, not just dangling ones')
          .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect)
          .option('-f, --force', 'Do not prompt for confirmation'),
    },
    argv,
  );
  let filters;
  try {
    filters = parseFilters(opts.filter ?? []);
  } catch (err) {
    throw filterFlagError({ name: 'image prune', usage: 'berth image prune [OPTIONS]' }, opts.filter ?? [], '--filter', err);
  }
  if (opts.all) filters.set('dangling', ['false']);
  const warning = opts.all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!opts.force) {
    ctx.out.line(warning);
    if (!(await confirm(ctx, 'Are you sure you want to continue?'))) return 0;
  }
  const report = pruneImages(ctx.engine(), filters);
  if (report.ImagesDeleted?.length) {
    let s = 'Deleted Images:\n';
    for (const d of report.ImagesDeleted) s += 'Untagged' in d ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`;
    ctx.out.line(s);
  }
  ctx.out.line(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}`);
  return 0;
}
