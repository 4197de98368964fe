/**
 * `events`: the store's event log (what every berth process and `berth serve` record), past
 * events with --since/--until, then new ones as they come until --until or a signal. Lines as
 * the Docker CLI prints them, or --format over events.Message.
 */
import type { CliContext } from '../context.js';
import { INSPECT_FORMAT_HELP, collect, parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { parseFilters, validateFilters } from '../../engine/filters.js';
import type { StoredEvent } from '../../store/events.js';

export default async function events(argv: string[], ctx: CliContext, name = 'events'): Promise<number> {
  const { opts } = parseArgs<{ filter?: string[]; format?: string; since?: string; until?: string }>(
    {
      name,
      usage: `berth ${name} [OPTIONS]`,
      description: 'Get real time events from the server',
      args: { min: 0, max: 0 },
      options: (c) =>
        c
          .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
          .option('--format <string>', INSPECT_FORMAT_HELP)
          .option('--since <string>', 'Show all events created since timestamp')
          .option('--until <string>', 'Stream events until this timestamp'),
    },
    argv,
  );
  const [{ EVENT_FILTERS, EventHub, eventJson, eventMatcher }, { eventTimeUs }, { formatGoTime, goMap, goStruct, parseDockerFormat }] = await Promise.all([
    import('../../api/events.js'),
    import('../../api/routes/system.js'),
    import('../format/index.js'),
  ]);
  const filters = parseFilters(opts.filter ?? []);
  validateFilters(filters, EVENT_FILTERS);
  const since = opts.since ? eventTimeUs(opts.since) : undefined;
  const until = opts.until ? eventTimeUs(opts.until) : undefined;
  if (since !== undefined && until !== undefined && until < since) {
    throw new CliError(`Error response from daemon: \`since\` time (${opts.since}) cannot be after \`until\` time (${opts.until})`);
  }
  const match = eventMatcher(filters);
  const wanted = (e: StoredEvent) => (since === undefined || e.timeUs >= since) && (until === undefined || e.timeUs <= until) && match(e);

  // {{json .}} is the API's JSON of the message, whose nanoseconds a double cannot carry.
  const asJson = opts.format === 'json' || opts.format?.trim() === '{{json .}}';
  const template = opts.format && !asJson ? parseDockerFormat(opts.format) : undefined;
  const print = (e: StoredEvent) => {
    if (asJson) {
      ctx.out.write(eventJson(e, true));
      return;
    }
    if (template) {
      const attributes: Record<string, string> = {};
      for (const k of Object.keys(e.attributes).sort()) attributes[k] = e.attributes[k]!;
      const message = {
        Status: e.action,
        ID: e.actor,
        From: e.type === 'container' ? (attributes.image ?? '') : '',
        Type: e.type,
        Action: e.action,
        Actor: goStruct({ ID: e.actor, Attributes: goMap(attributes) }, 'events.Actor'),
        Scope: 'local',
        Time: Math.floor(e.timeUs / 1e6),
        TimeNano: BigInt(e.timeUs) * 1000n,
      };
      ctx.out.line(template.execute(goStruct(message, 'events.Message')));
      return;
    }
    const sec = Math.floor(e.timeUs / 1e6);
    const time = formatGoTime('2006-01-02T15:04:05.000000000Z07:00', sec, (e.timeUs - sec * 1e6) * 1000);
    const keys = Object.keys(e.attributes).sort();
    const attrs = keys.length ? ` (${keys.map((k) => `${k}=${e.attributes[k]}`).join(', ')})` : '';
    ctx.out.line(`${time} ${e.type} ${e.action} ${e.actor}${attrs}`);
  };

  const nowUs = Date.now() * 1000;
  const hub = new EventHub(ctx.engine());
  const sub = hub.subscribe((e) => wanted(e) && print(e), { past: since !== undefined || until !== undefined });
  try {
    for (const e of sub.past) if (wanted(e)) print(e);
    if (until !== undefined && until <= nowUs) return 0;
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      if (until !== undefined) setTimeout(done, (until - nowUs) / 1000);
    });
    return 0;
  } finally {
    sub.unsubscribe();
    hub.close();
    await ctx.out.drain();
  }
}
