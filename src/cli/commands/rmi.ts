import { quickArgs, type CliContext } from '../context.js';
import { removeImage } from '../../engine/remove.js';
import { isKind } from '../../image/errors.js';

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
  const errors: unknown[] = [];
  let fatal = false;
  for (const name of args) {
    try {
      for (const r of removeImage(engine, name, { force: opts.force, noPrune: opts.prune === false })) {
        ctx.write('Deleted' in r ? `Deleted: ${r.Deleted}\n` : `Untagged: ${r.Untagged}\n`);
      }
    } catch (err) {
      if (!isKind(err, 'not-found')) fatal = true;
      errors.push(err);
    }
  }
  if (errors.length > 0) {
    // The error module is loaded only when there is something to report.
    const { describeError, CliError } = await import('../errors.js');
    const text = errors.map((e) => describeError(e).text).join('\n');
    if (!opts.force || fatal) throw new CliError(text);
    ctx.out.error(text);
  }
  return 0;
}
