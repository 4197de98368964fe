import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { saveImages } from '../../engine/save.js';
import { writeFileAtomically } from '../files.js';
import { CliError } from '../errors.js';

export default async function save(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ output?: string; format?: string; platform?: string }>(
    {
      name: 'save',
      usage: 'berth save [OPTIONS] IMAGE [IMAGE...]',
      description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
      args: { min: 1, max: Infinity },
      options: (c) =>
        c
          .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
          .option('--format <string>', 'Archive format: "docker" (Docker 25+ layout, default) or "oci"')
          .option('--platform <string>', 'Save only the given platform variant'),
    },
    argv,
  );
  const format = opts.format ?? 'docker';
  if (format !== 'docker' && format !== 'oci') throw new CliError(`invalid --format "${format}": must be "docker" or "oci"`);
  const engine = ctx.engine();
  if (opts.output === undefined || opts.output === '-') {
    if (opts.output === undefined && ctx.out.isTTY) {
      throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    await saveImages(engine, args, process.stdout, { format, keepOpen: true });
    return 0;
  }
  await writeFileAtomically(opts.output, (out) => saveImages(engine, args, out, { format }));
  return 0;
}
