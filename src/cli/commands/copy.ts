import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { copyImage } from '../../engine/copy.js';
import { ProgressRenderer } from '../progress.js';

export default async function copy(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ quiet?: boolean }>(
    {
      name: 'copy',
      usage: 'berth copy [OPTIONS] SOURCE DESTINATION',
      description:
        'Copy an image between the store (berth:REF), registries (docker://REF), docker-archive:PATH[:REF], oci-archive:PATH[:REF] and oci:DIR[:REF]',
      args: { min: 2, max: 2 },
      options: (c) => c.option('-q, --quiet', 'Suppress progress output'),
    },
    argv,
  );
  const renderer = !opts.quiet && ctx.out.isTTY ? new ProgressRenderer(ctx.out) : undefined;
  try {
    await copyImage(ctx.engine(), args[0]!, args[1]!, { progress: renderer?.handler });
  } finally {
    renderer?.finish();
  }
  return 0;
}
