import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { humanSize } from '../format/units.js';

export default async function systemGc(argv: string[], ctx: CliContext): Promise<number> {
  parseArgs(
    {
      name: 'system gc',
      usage: 'berth system gc',
      description: 'Collect unreferenced content and what interrupted work left behind',
      args: { min: 0, max: 0 },
    },
    argv,
  );
  const store = ctx.engine().store;
  const res = store.gc.run();
  ctx.out.line(`Removed ${res.blobs.length} blob(s), ${res.layers.length} layer(s): ${humanSize(res.bytes)} reclaimed`);
  return 0;
}
