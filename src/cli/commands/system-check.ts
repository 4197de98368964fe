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
    ctx.out.line(`${p.repaired ? 'repaired' : 'problem'}: ${p.kind} ${p.subject}: ${p.detail}`);
  }
  const left = r.problems.filter((p) => !p.repaired).length;
  ctx.out.line(
    `checked ${r.images} images, ${r.layers} layers, ${r.blobs} blobs, ${r.refs} references: ` +
      (r.problems.length === 0 ? 'no problems' : `${r.problems.length} problem(s), ${left} left`),
  );
  return left === 0 ? 0 : 1;
}
