import type { CliContext } from '../context.js';
import { parseArgs, collect } from '../args.js';
import { listImages } from '../../engine/list.js';
import { parseFilters } from '../../engine/filters.js';
import { CliError } from '../errors.js';
import { imageRefCells } from '../image-rows.js';
import {
  renderFormatted,
  newImageFormat,
  imageHeaders,
  imageRow,
  imageRowType,
  imageTableFormat,
  imageTableFormatWithDigest,
  dockerTableWriter,
  humanDuration,
  humanSizeWithPrecision,
  DefaultQuietFormat,
} from '../format/index.js';

export default async function images(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ all?: boolean; digests?: boolean; filter?: string[]; format?: string; trunc?: boolean; quiet?: boolean }>(
    {
      name: 'images',
      usage: 'berth images [OPTIONS] [REPOSITORY[:TAG]]',
      description: 'List images',
      args: { min: 0, max: 1 },
      options: (c) =>
        c
          .option('-a, --all', 'Show all images (default hides intermediate images)')
          .option('--digests', 'Show digests')
          .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
          .option('--format <string>', 'Format output using a custom template')
          .option('--no-trunc', "Don't truncate output")
          .option('-q, --quiet', 'Only show image IDs'),
    },
    argv,
  );
  let filters;
  try {
    filters = parseFilters(opts.filter ?? []);
  } catch (err) {
    throw new CliError(`invalid argument "${opts.filter?.at(-1)}" for "-f, --filter" flag: ${(err as Error).message}\nSee 'berth images --help'.`, 125);
  }
  if (args[0] !== undefined) filters.set('reference', [...(filters.get('reference') ?? []), args[0]]);
  const list = listImages(ctx.engine(), { all: opts.all, filters });
  const format = newImageFormat(opts.format ?? '', Boolean(opts.quiet), Boolean(opts.digests));
  const trunc = opts.trunc !== false;
  const now = Date.now();

  // The default table and -q are rendered directly: they are what scripts run at scale.
  if (format === imageTableFormat || format === imageTableFormatWithDigest || format === DefaultQuietFormat) {
    const quiet = format === DefaultQuietFormat;
    const digests = format === imageTableFormatWithDigest;
    const tw = quiet ? undefined : dockerTableWriter();
    let out = '';
    if (tw) tw.write(digests ? 'REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE\n' : 'REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n');
    for (const img of list) {
      const id = trunc ? img.Id.slice(7, 19) : img.Id;
      const cells = imageRefCells(img, digests);
      if (quiet) {
        for (let i = 0; i < cells.length; i++) out += id + '\n';
        continue;
      }
      const since = humanDuration(now - img.Created * 1000) + ' ago';
      const size = humanSizeWithPrecision(img.Size, 3);
      let rows = '';
      for (const c of cells) {
        rows += digests ? `${c.repo}\t${c.tag}\t${c.digest}\t${id}\t${since}\t${size}\n` : `${c.repo}\t${c.tag}\t${id}\t${since}\t${size}\n`;
      }
      tw!.write(rows);
    }
    ctx.out.write(tw ? tw.flush() : out);
    return 0;
  }

  const rows = function* () {
    for (const img of list) {
      for (const c of imageRefCells(img, Boolean(opts.digests) || format.includes('.Digest'))) {
        yield imageRow({ ID: img.Id, Created: img.Created, Size: img.Size, SharedSize: img.SharedSize, Containers: img.Containers }, c, {
          trunc,
          nowMs: now,
        });
      }
    }
  };
  try {
    ctx.out.write(renderFormatted({ format, headers: { ...imageHeaders }, rows: rows(), rowType: imageRowType }));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return 0;
}
