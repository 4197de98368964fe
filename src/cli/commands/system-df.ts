import type { CliContext } from '../context.js';
import { FORMAT_HELP, parseArgs } from '../args.js';
import { diskUsage } from '../../engine/df.js';
import { buildCacheTotals } from '../../engine/build-cache-usage.js';
import { renderFormatted, humanSize, humanSizeWithPrecision, humanDuration, imageRow, imageRowType, imageHeaders } from '../format/index.js';
import { imageRefCells } from '../image-rows.js';
import { CliError } from '../errors.js';

const DEFAULT = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';

function reclaimable(total: number, used: number): string {
  const r = total - used;
  return total > 0 ? `${humanSize(r)} (${Math.trunc((r * 100) / total)}%)` : humanSize(r);
}

export default async function systemDf(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ format?: string; verbose?: boolean }>(
    {
      name: 'system df',
      usage: 'berth system df [OPTIONS]',
      description: 'Show berth disk usage',
      args: { min: 0, max: 0 },
      options: (c) => c.option('--format <string>', FORMAT_HELP).option('-v, --verbose', 'Show detailed information on space usage'),
    },
    argv,
  );
  const du = diskUsage(ctx.engine());
  const cache = buildCacheTotals(du.BuildCache);
  const active = du.Images.filter((i) => i.Containers > 0);
  const used = active.reduce((n, i) => n + (i.Size - i.SharedSize), 0);
  const containersSize = du.Containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const containersActiveSize = du.Containers.filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting').reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  try {
    if (opts.verbose && !opts.format) {
      ctx.out.line('Images space usage:\n');
      const now = Date.now();
      const rows = du.Images.flatMap((img) =>
        imageRefCells(img, false).map((c) =>
          imageRow({ ID: img.Id, Created: img.Created, Size: img.Size, SharedSize: img.SharedSize, Containers: img.Containers }, c, { trunc: true, nowMs: now }),
        ),
      );
      ctx.out.write(
        renderFormatted({
          format: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}',
          headers: { ...imageHeaders, Size: 'SIZE' },
          rows,
          rowType: imageRowType,
        }),
      );
      ctx.out.line('\nContainers space usage:\n');
      const { containerRow, containerHeaders } = await import('./ps.js');
      ctx.out.write(
        renderFormatted({
          format: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
          headers: containerHeaders,
          rows: du.Containers.map((c) => containerRow(c, true, now)),
          rowType: '*formatter.ContainerContext',
        }),
      );
      ctx.out.line('\nLocal Volumes space usage:\n');
      ctx.out.line('VOLUME NAME   LINKS     SIZE');
      ctx.out.line(`\nBuild cache usage: ${humanSize(cache.size)}\n`);
      // buildCacheSort: least recently used first.
      const records = [...du.BuildCache].sort((a, b) => Date.parse(a.LastUsedAt ?? '') - Date.parse(b.LastUsedAt ?? ''));
      ctx.out.write(
        renderFormatted({
          format: 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}',
          headers: { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' },
          rows: records.map((r) => ({
            ID: r.ID.slice(0, 12) + (r.InUse ? '*' : ''),
            CacheType: r.Type,
            // buildCacheContext.Size: three significant digits, as the images table.
            Size: humanSizeWithPrecision(r.Size, 3),
            CreatedSince: `${humanDuration(now - Date.parse(r.CreatedAt))} ago`,
            LastUsedSince: r.LastUsedAt ? `${humanDuration(now - Date.parse(r.LastUsedAt))} ago` : '',
            UsageCount: String(r.UsageCount),
            Shared: String(r.Shared),
          })),
          rowType: '*formatter.buildCacheContext',
        }),
      );
      return 0;
    }
    const rows = [
      { Type: 'Images', TotalCount: String(du.Images.length), Active: String(active.length), Size: humanSize(du.LayersSize), Reclaimable: reclaimable(du.LayersSize, used) },
      {
        Type: 'Containers',
        TotalCount: String(du.Containers.length),
        Active: String(du.Containers.filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting').length),
        Size: humanSize(containersSize),
        Reclaimable: reclaimable(containersSize, containersActiveSize),
      },
      { Type: 'Local Volumes', TotalCount: '0', Active: '0', Size: humanSize(0), Reclaimable: reclaimable(0, 0) },
      // Docker prints no percentage for the build cache.
      { Type: 'Build Cache', TotalCount: String(cache.count), Active: String(cache.active), Size: humanSize(cache.size), Reclaimable: humanSize(cache.reclaimable) },
    ];
    const format = !opts.format || opts.format === 'table' ? DEFAULT : opts.format;
    ctx.out.write(
      renderFormatted({
        format,
        headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
        rows,
        rowType: '*formatter.diskUsageImagesContext',
      }),
    );
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return 0;
}
