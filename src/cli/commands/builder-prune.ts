import type { CliContext } from '../context.js';
import { parseArgs, collect } from '../args.js';
import { confirm } from '../prompt.js';
import { humanSize } from '../format/index.js';
import { CliError } from '../errors.js';
import { BuildCache } from '../../engine/build-cache.js';

/** Go duration strings as `--filter until=` takes them (e.g. 24h, 90m, 1h30m). */
function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  let used = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]!]!;
    used += m[0].length;
  }
  if (used !== s.length || used === 0) throw new CliError(`invalid filter 'until=${s}'`);
  return total;
}

export default async function builderPrune(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ all?: boolean; force?: boolean; filter?: string[]; keepStorage?: string }>(
    {
      name: 'builder prune',
      usage: 'berth builder prune',
      description: 'Remove build cache',
      args: { min: 0, max: 0 },
      options: (c) =>
        c
          .option('-a, --all', 'Remove all unused build cache, not just dangling ones')
          .option('--filter <filter>', 'Provide filter values (e.g. "until=24h")', collect)
          .option('-f, --force', 'Do not prompt for confirmation')
          .option('--keep-storage <bytes>', 'Amount of disk space to keep for cache'),
    },
    argv,
  );
  let before: number | undefined;
  for (const f of opts.filter ?? []) {
    const m = f.match(/^until=(.*)$/);
    if (!m) throw new CliError(`invalid filter '${f}': berth supports until=`);
    before = Date.now() - parseDuration(m[1]!);
  }
  if (!opts.force) {
    if (!(await confirm(ctx, 'WARNING! This will remove all dangling build cache. Are you sure you want to continue?'))) return 0;
  }
  const res = new BuildCache(ctx.engine().store).prune({ before });
  ctx.out.line(`Total:\t${humanSize(res.reclaimed)}`);
  return 0;
}
