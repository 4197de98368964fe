import type { CliContext } from '../context.js';
import { quickArgs } from '../fast-args.js';
import { removeImage } from '../../engine/remove.js';
import { isKind } from '../../image/errors.js';
import { describeError, CliError } from '../errors.js';

type RmiOpts = {
  force?: boolean;
  prune?: boolean;
};

const QUICK = { flags: { '-f': 'force', '--force': 'force', '--no-prune': 'prune' }, args: { min: 1, max: Infinity } };

async function parse(argv: string[]): Promise<{ opts: RmiOpts; args: string[] }> {
  const quick = quickArgs<RmiOpts>(argv, QUICK);
  if (quick) return quick;
  const { parseArgs } = await import('../args.js');
  return parseArgs<RmiOpts>(
    {
      name: 'rmi',
      usage: 'berth rmi [OPTIONS] IMAGE [IMAGE...]',
      description: 'Remove one or more images',
      args: { min: 1, max: Infinity },
      options: (c) => c.option('-f, --force', 'Force removal of the image').option('--no-prune', 'Do not delete untagged parents'),
    },
    argv,
  );
}

export default async function rmi(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = await parse(argv);
  const engine = ctx.engine();
  const errors: string[] = [];
  let fatal = false;
  for (const name of args) {
    try {
      for (const r of removeImage(engine, name, { force: opts.force, noPrune: opts.prune === false })) {
        ctx.write('Deleted' in r ? `Deleted: ${r.Deleted}\n` : `Untagged: ${r.Untagged}\n`);
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
