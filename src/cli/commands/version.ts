import { berthVersion } from '../../engine/berth-version.js';
import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';

export default async function version(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ short?: boolean }>(
    {
      name: 'version',
      usage: 'berth version',
      description: 'Show the berth version information',
      args: { min: 0, max: 0 },
      options: (c) => c.option('--short', 'Print the version only'),
    },
    argv,
  );
  const v = berthVersion();
  if (opts.short) {
    ctx.out.line(`berth version ${v}`);
    return 0;
  }
  ctx.out.line(`Client:\n Version:           ${v}\n Node version:      ${process.version}\n OS/Arch:           linux/${process.arch === 'x64' ? 'amd64' : process.arch}`);
  ctx.out.line(`\nStore:\n Root:              ${ctx.engine().root}`);
  return 0;
}
