import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { checkStore } from '../../engine/check.js';

export default async function systemCheck(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ repair?: boolean }>(
    {
      name: 'system check',
      usage: 'berth system check [OPTIONS]',
      description: 'Verify every blob digest and every reference of the store',
      args: { min: 0, max: 0 },
      options: (c) => c.option('--repair', 'Fix what can be fixed without losing data'),
    },
    argv,
  );
  const r = await checkStore(ctx.engine(), { repair: opts.repair });
  for (const p of r.problems) {
    const label = p.repaired ? 'repaired' : p.reclaimable ? 'reclaimable' : 'problem';
    ctx.out.line(`${label}: ${p.kind} ${p.subject}: ${p.detail}`);
  }
  const left = r.problems.filter((p) => !p.repaired && !p.reclaimable).length;
  const reclaimable = r.problems.filter((p) => !p.repaired && p.reclaimable).length;
  ctx.out.line(
    `checked ${r.images} images, ${r.layers} layers, ${r.blobs} blobs, ${r.refs} references: ` +
      (left === 0 ? 'consistent' : `${left} problem(s)`) +
      (reclaimable ? `, ${reclaimable} leftover(s) of interrupted work to reclaim (berth system gc)` : ''),
  );
  return left === 0 ? 0 : 1;
}
