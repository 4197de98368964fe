import type { CliContext } from '../context.js';
import { collect, filterFlagError, flagError, FORMAT_HELP, parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { listContainers, type ContainerSummary } from '../../engine/container-list.js';
import { parseFilters } from '../../engine/filters.js';
import {
  DefaultQuietFormat,
  ellipsis,
  goFunc,
  goTimeString,
  humanDuration,
  humanSizeWithPrecision,
  nilPointer,
  quote,
  renderFormatted,
  truncateID,
} from '../format/index.js';
import { parseNormalizedNamed } from '../../image/reference.js';

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const RAW = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';

export const containerHeaders: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

/** docker/cli's NewContainerFormat. */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === '' || source === 'table') return quiet ? DefaultQuietFormat : size ? DEFAULT_TABLE + '\t{{.Size}}' : DEFAULT_TABLE;
  if (source === 'raw') return quiet ? 'container_id: {{.ID}}' : size ? RAW + 'size: {{.Size}}\n' : RAW;
  return quiet ? DefaultQuietFormat : source;
}

function imageColumn(c: ContainerSummary, trunc: boolean): string {
  if (c.Image === '') return '<no image>';
  if (trunc) {
    if (truncateID(c.ImageID) === truncateID(c.Image)) return truncateID(c.ImageID);
    try {
      const ref = parseNormalizedNamed(c.Image);
      return ref.tag !== undefined ? ref.trimNamed().withTag(ref.tag).familiarString() : ref.trimNamed().familiarString();
    } catch {
      /* shown as is */
    }
  }
  return c.Image;
}

/** The values of docker's ContainerContext methods for one container. */
export function containerRow(c: ContainerSummary, trunc: boolean, now = Date.now()) {
  let names = c.Names.map((n) => n.slice(1));
  if (trunc) {
    const top = names.find((n) => n.split('/').length === 1);
    if (top !== undefined) names = [top];
  }
  const labels = Object.entries(c.Labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const mounts = (c.Mounts as { Name?: string; Source: string; Driver?: string }[]).map((m) => {
    const n = m.Name || m.Source;
    return trunc ? ellipsis(n, 15) : n;
  });
  const size = () => {
    const rw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
    return (c.SizeRootFs ?? 0) > 0 ? `${rw} (virtual ${humanSizeWithPrecision(c.SizeRootFs!, 3)})` : rw;
  };
  return {
    ID: trunc ? truncateID(c.Id) : c.Id,
    Names: names.join(','),
    Image: imageColumn(c, trunc),
    Command: quote(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTimeString(c.Created),
    RunningFor: humanDuration(now - c.Created * 1000) + ' ago',
    Ports: '',
    State: c.State,
    Status: c.Status,
    Size: size,
    Labels: labels.join(','),
    Label: goFunc(['string'], (name: string) => c.Labels?.[name] ?? ''),
    Mounts: mounts.join(','),
    LocalVolumes: String((c.Mounts as { Driver?: string }[]).filter((m) => m.Driver === 'local').length),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Platform: nilPointer('*formatter.Platform'),
  };
}

export default async function ps(argv: string[], ctx: CliContext, name = 'ps'): Promise<number> {
  const { opts } = parseArgs<{ all?: boolean; filter?: string[]; format?: string; last?: string; latest?: boolean; trunc?: boolean; quiet?: boolean; size?: boolean }>(
    {
      name,
      usage: `berth ${name} [OPTIONS]`,
      description: 'List containers',
      args: { min: 0, max: 0 },
      options: (c) =>
        c
          .option('-a, --all', 'Show all containers (default shows just running)')
          .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
          .option('--format <string>', FORMAT_HELP)
          .option('-n, --last <int>', 'Show n last created containers (includes all states)', '-1')
          .option('-l, --latest', 'Show the latest created container (includes all states)')
          .option('--no-trunc', "Don't truncate output")
          .option('-q, --quiet', 'Only display container IDs')
          .option('-s, --size', 'Display total file sizes'),
    },
    argv,
  );
  let filters;
  try {
    filters = parseFilters(opts.filter ?? []);
  } catch (err) {
    throw filterFlagError({ name, usage: `berth ${name} [OPTIONS]` }, opts.filter ?? [], '-f, --filter', err);
  }
  if (opts.last !== undefined && !/^-?\d+$/.test(opts.last)) {
    throw flagError({ name, usage: `berth ${name} [OPTIONS]` }, `invalid argument "${opts.last}" for "-n, --last" flag: strconv.ParseInt: parsing "${opts.last}": invalid syntax`);
  }
  let last = Number(opts.last ?? -1);
  if (opts.latest) last = 1;
  const format = containerFormat(opts.format ?? '', Boolean(opts.quiet), Boolean(opts.size));
  const size = Boolean(opts.size) || (!opts.quiet && format.includes('.Size'));
  const list = listContainers(ctx.engine(), { all: opts.all, last, size, filters });
  const trunc = opts.trunc !== false;
  const now = Date.now();
  try {
    ctx.out.write(
      renderFormatted({
        format,
        headers: containerHeaders,
        rows: list.map((c) => containerRow(c, trunc, now)),
        rowType: '*formatter.ContainerContext',
      }),
    );
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return 0;
}
