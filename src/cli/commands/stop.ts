import type { CliContext } from '../context.js';
import { flagError, parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { stopContainer } from '../../engine/containers.js';
import { forEachContainer } from './container-each.js';

/** The options stop and restart share: -s/--signal and -t/--timeout (and the deprecated --time). */
export function parseStopArgs(argv: string[], name: string, description: string): { args: string[]; timeout: number | undefined; signal: string | undefined } {
  const usage = `berth ${name} [OPTIONS] CONTAINER [CONTAINER...]`;
  const { opts, args } = parseArgs<{ signal?: string; timeout?: string; time?: string }>(
    {
      name,
      usage,
      description,
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
    if (!/^-?\d+$/.test(t)) throw flagError({ name, usage }, `invalid argument "${t}" for "-t, --timeout" flag: strconv.ParseInt: parsing "${t}": invalid syntax`);
  }
  return { args, timeout, signal: opts.signal };
}

export default async function stop(argv: string[], ctx: CliContext, name = 'stop'): Promise<number> {
  const { args, timeout, signal } = parseStopArgs(argv, name, 'Stop one or more running containers');
  const engine = ctx.engine();
  return forEachContainer(ctx, args, (c) => stopContainer(engine, c, { timeout, signal }));
}
