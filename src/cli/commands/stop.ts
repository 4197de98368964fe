import type { CliContext } from '../context.js';
import { flagError, parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { stopContainer } from '../../engine/containers.js';
import { forEachContainer } from './container-each.js';

export default async function stop(argv: string[], ctx: CliContext, name = 'stop'): Promise<number> {
  const { opts, args } = parseArgs<{ signal?: string; timeout?: string; time?: string }>(
    {
      name,
      usage: `berth ${name} [OPTIONS] CONTAINER [CONTAINER...]`,
      description: 'Stop one or more running containers',
      args: { min: 1, max: Infinity },
      options: (c) =>
        c
          .option('-s, --signal <string>', 'Signal to send to the container')
          .option('-t, --timeout <int>', 'Seconds to wait before killing the container')
          .option('--time <int>', 'Seconds to wait before killing the container (deprecated: use --timeout)')
          .hide('time'),
    },
    argv,
  );
  if (opts.time !== undefined && opts.timeout !== undefined) throw new CliError('conflicting options: cannot specify both --timeout and --time');
  const t = opts.timeout ?? opts.time;
  let timeout: number | undefined;
  if (t !== undefined) {
    timeout = Number(t);
    if (!/^-?\d+$/.test(t)) throw flagError({ name, usage: `berth ${name} [OPTIONS] CONTAINER [CONTAINER...]` }, `invalid argument "${t}" for "-t, --timeout" flag: strconv.ParseInt: parsing "${t}": invalid syntax`);
  }
  const engine = ctx.engine();
  return forEachContainer(ctx, args, (c) => stopContainer(engine, c, { timeout, signal: opts.signal }));
}
