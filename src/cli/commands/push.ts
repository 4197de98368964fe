import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { pushImage } from '../../engine/push.js';
import { BerthError } from '../../image/errors.js';
import { JsonStreamPrinter, parseRemote } from './pull.js';
import { baselineWasmOnly } from '../wasm-baseline.js';

export default async function push(argv: string[], ctx: CliContext): Promise<number> {
  baselineWasmOnly();
  const { opts, args } = parseArgs<{ allTags?: boolean; quiet?: boolean }>(
    {
      name: 'push',
      usage: 'berth push [OPTIONS] NAME[:TAG]',
      description: 'Upload an image to a registry',
      args: { min: 1, max: 1 },
      options: (c) =>
        c.option('-a, --all-tags', 'Push all tags of an image to the repository').option('--disable-content-trust', 'Skip image signing', true).option('-q, --quiet', 'Suppress verbose output'),
    },
    argv,
  );
  let ref = parseRemote(args[0]!);
  if (opts.allTags && !ref.isNameOnly) throw new CliError("tag can't be used with --all-tags/-a");
  if (!opts.allTags && ref.isNameOnly) {
    ref = ref.tagNameOnly();
    if (!opts.quiet) ctx.out.line(`Using default tag: ${ref.tag}`);
  }
  const printer = new JsonStreamPrinter(ctx.out, ctx.out.isTTY, Boolean(opts.quiet));
  try {
    await pushImage(ctx.engine(), ref.toString(), { allTags: opts.allTags, progress: printer.handler });
  } catch (err) {
    // Docker reports push failures inside the progress stream: printed without a prefix.
    if (printer.started && err instanceof BerthError) throw new CliError(err.message);
    throw err;
  }
  if (opts.quiet) ctx.out.line(ref.toString());
  return 0;
}
