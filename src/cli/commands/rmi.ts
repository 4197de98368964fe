import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { removeImage } from '../../engine/remove.js';
import { isKind } from '../../image/errors.js';
import { describeError, CliError } from '../errors.js';

export default async function rmi(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ force?: boolean; prune?: boolean }>(
    {
      name: 'rmi',
      usage: 'berth rmi [OPTIONS] IMAGE [IMAGE...]',
      description: 'Remove one or more images',
      args: { min: 1, max: Infinity },
      options: (c) => c.option('-f, --force', 'Force removal of the image').option('--no-prune', 'Do not delete untagged parents'),
    },
    argv,
  );
  const engine = ctx.engine();
  const errors: string[] = [];
  let fatal = false;
  for (const name of args) {
    try {
      for (const r of removeImage(engine, name, { force: opts.force, noPrune: opts.prune === false })) {
        ctx.out.line('Deleted' in r ? `Deleted: ${r.Deleted}` : `Untagged: ${r.Untagged}`);
      }
    } catch (err) {
      if (!isKind(err, 'not-found')) fatal = true;
      errors.push(describeError(err).text);
    }
  }
  if (errors.length > 0) {
    if (!opts.force || fatal) throw new CliError(errors.join('\n'));
    ctx.out.error(errors.join('\n'));
  }
  return 0;
}
