import { pipeline } from 'node:stream/promises';
import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { exportContainer } from '../../engine/export.js';
import { writeFileAtomically } from '../files.js';

export default async function exportCmd(argv: string[], ctx: CliContext, name = 'export'): Promise<number> {
  const { opts, args } = parseArgs<{ output?: string }>(
    {
      name,
      usage: `berth ${name} [OPTIONS] CONTAINER`,
      description: "Export a container's filesystem as a tar archive",
      args: { min: 1, max: 1 },
      options: (c) => c.option('-o, --output <string>', 'Write to a file, instead of STDOUT'),
    },
    argv,
  );
  if (!opts.output && process.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  await exportContainer(ctx.engine(), args[0]!, async (tar) => {
    if (opts.output) {
      // A failed export leaves no partial file; only a regular file is written, as Docker does.
      await writeFileAtomically(opts.output, (out) => pipeline(tar, out), 'failed to export container');
    } else {
      await pipeline(tar, process.stdout, { end: false });
    }
  });
  return 0;
}
