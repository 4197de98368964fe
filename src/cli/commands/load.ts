import type { CliContext } from '../context.js';
import { parseArgs, collect } from '../args.js';
import { loadImages } from '../../engine/load.js';
import { openInput } from '../files.js';
import { CliError } from '../errors.js';
import { BerthError } from '../../image/errors.js';
import { parsePlatform } from '../../image/platform.js';
import { ProgressRenderer } from '../progress.js';

export default async function load(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ input?: string; quiet?: boolean; platform?: string[] }>(
    {
      name: 'load',
      usage: 'berth load [OPTIONS]',
      description: 'Load an image from a tar archive or STDIN',
      args: { min: 0, max: 0 },
      options: (c) =>
        c
          .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
          .option('-q, --quiet', 'Suppress the load output')
          .option('--platform <string>', 'Load only the given platform variant', collect),
    },
    argv,
  );
  if (opts.input === undefined && ctx.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
  const input = opts.input !== undefined ? await openInput(opts.input) : (ctx.stdin as AsyncIterable<Buffer>);
  const platform = opts.platform?.length ? parsePlatform(opts.platform.join(',').split(',')[0]!) : undefined;
  const renderer = !opts.quiet && ctx.out.isTTY ? new ProgressRenderer(ctx.out) : undefined;
  try {
    const res = await loadImages(ctx.engine(), input, { platform, progress: renderer?.handler });
    renderer?.finish();
    for (const l of res.lines) ctx.out.line(l);
  } catch (err) {
    renderer?.finish();
    // Docker reports load failures inside its progress stream, printed without a prefix.
    if (err instanceof BerthError) throw new CliError(err.message);
    throw err;
  }
  return 0;
}
