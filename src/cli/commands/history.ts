import type { CliContext } from '../context.js';
import { FORMAT_HELP, parseArgs } from '../args.js';
import { imageHistory } from '../../engine/history.js';
import { renderFormatted, newHistoryFormat, historyHeaders, historyRow, historyRowType } from '../format/index.js';
import { CliError } from '../errors.js';

export default async function history(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ human?: boolean; format?: string; trunc?: boolean; quiet?: boolean; platform?: string }>(
    {
      name: 'history',
      usage: 'berth history [OPTIONS] IMAGE',
      description: 'Show the history of an image',
      args: { min: 1, max: 1 },
      options: (c) =>
        c
          .option('--format <string>', FORMAT_HELP)
          .option('-H, --human', 'Print sizes and dates in human readable format', true)
          .option('--no-trunc', "Don't truncate output")
          .option('-q, --quiet', 'Only show image IDs')
          .option('--platform <string>', 'Show history for the given platform'),
    },
    argv,
  );
  const human = opts.human !== false;
  const items = await imageHistory(ctx.engine(), args[0]!);
  const format = newHistoryFormat(opts.format ?? '', Boolean(opts.quiet), human);
  const now = Date.now();
  const trunc = opts.trunc !== false;
  const rows = items.map((it) =>
    historyRow({ ID: it.Id, Created: it.Created, CreatedBy: it.CreatedBy, Size: it.Size, Comment: it.Comment }, { trunc, human, nowMs: now }),
  );
  try {
    ctx.out.write(renderFormatted({ format, headers: { ...historyHeaders }, rows, rowType: historyRowType }));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return 0;
}
