import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { containerLogs } from '../../engine/containers.js';
import { parseTimestamp } from '../../engine/filters.js';
import { BerthError } from '../../image/errors.js';

export default async function logs(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ follow?: boolean; since?: string; until?: string; timestamps?: boolean; details?: boolean; tail?: string }>(
    {
      name: 'logs',
      usage: 'berth logs [OPTIONS] CONTAINER',
      description: 'Fetch the logs of a container',
      args: { min: 1, max: 1 },
      options: (c) =>
        c
          .option('--details', 'Show extra details provided to logs')
          .option('-f, --follow', 'Follow log output')
          .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
          .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
          .option('-t, --timestamps', 'Show timestamps')
          .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)'),
    },
    argv,
  );
  let tail: number | undefined;
  if (opts.tail !== undefined && opts.tail !== 'all') {
    if (!/^-?\d+$/.test(opts.tail)) throw new CliError(`Error response from daemon: invalid value for "tail": ${JSON.stringify(opts.tail)}`);
    tail = Number(opts.tail);
    if (tail < 0) tail = undefined;
  }
  let since: number | undefined;
  let until: number | undefined;
  try {
    if (opts.since) since = parseTimestamp(opts.since);
    if (opts.until) until = parseTimestamp(opts.until);
  } catch (err) {
    throw new CliError(`Error response from daemon: ${(err as BerthError).message}`);
  }
  const engine = ctx.engine();
  const out = process.stdout;
  const err = process.stderr;
  // A reader that went away (`| head`) ends the command quietly.
  let closed = false;
  let wake: () => void = () => undefined;
  for (const s of [out, err]) {
    s.on('error', () => {
      closed = true;
      wake();
    });
  }
  const write = (s: NodeJS.WritableStream, text: string) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (s.write(text)) resolve();
      else s.once('drain', () => resolve());
    });
  for await (const r of containerLogs(engine, args[0]!, { follow: opts.follow, tail, since, until, timestamps: opts.timestamps })) {
    if (closed) break;
    const text = (opts.timestamps ? r.time + ' ' : '') + (opts.details ? ' ' : '') + r.log;
    await write(r.stream === 'stderr' ? err : out, text);
  }
  return 0;
}
