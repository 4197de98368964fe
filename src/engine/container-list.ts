/**
 * `ps`: containers as Docker's container.Summary, newest first, with Docker's filters.
 */
import type { EngineCore } from './engine.js';
import { invalidArgument } from '../image/errors.js';
import { parseSpec, isRunning, lookupContainer, type ContainerRow } from '../runtime/container-store.js';
import { reconcileAll } from './containers.js';
import { containerFs } from '../runtime/container-files.js';
import { parseRfc3339, ZERO_TIME } from '../runtime/time.js';
import { lookupImage } from './resolve.js';
import type { Filters } from './filters.js';
import { isFrozen } from '../runtime/freezer.js';

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: unknown[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: unknown[];
}

const ACCEPTED = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** Docker's State.StateString. */
export function stateString(row: ContainerRow): string {
  if (isRunning(row)) return isFrozen(row.id) ? 'paused' : 'running';
  if (row.state === 'removing') return 'removing';
  if (row.state === 'dead') return 'dead';
  if (!row.started) return 'created';
  return 'exited';
}

function goDuration(ms: number): string {
  // docker/go-units HumanDuration
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(ms / 60000);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(ms / 3600000);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(Math.floor(ms / 3600000) / 24 / 365)} years`;
}

export function timeMs(s: string): number {
  const ns = parseRfc3339(s);
  return ns === undefined ? 0 : Number(ns / 1_000_000n);
}

/** Docker's State.String (the STATUS column). */
export function statusString(row: ContainerRow, now = Date.now()): string {
  if (isRunning(row)) return `Up ${goDuration(now - timeMs(row.started))}${isFrozen(row.id) ? ' (Paused)' : ''}`;
  if (row.state === 'removing') return 'Removal In Progress';
  if (row.state === 'dead') return 'Dead';
  if (!row.started) return 'Created';
  if (!row.finished || row.finished === ZERO_TIME) return '';
  return `Exited (${row.exit_code}) ${goDuration(now - timeMs(row.finished))} ago`;
}

/** Docker's list Command: the path and its arguments, arguments with spaces single-quoted. */
export function commandString(path: string, args: string[]): string {
  if (args.length === 0) return path;
  return `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

export interface ListOptions {
  all?: boolean;
  /** -n: the last n created (any state); -1 for no limit. */
  last?: number;
  size?: boolean;
  filters?: Filters;
}

function regexMatch(pattern: string, s: string): boolean {
  try {
    return new RegExp(pattern).test(s);
  } catch {
    return s.includes(pattern);
  }
}

export function listContainers(engine: EngineCore, opts: ListOptions = {}): ContainerSummary[] {
  const store = engine.store;
  const filters = opts.filters ?? new Map<string, string[]>();
  for (const k of filters.keys()) if (!ACCEPTED.includes(k)) throw invalidArgument(`Invalid filter '${k}'`);
  for (const s of filters.get('status') ?? []) {
    if (!STATUSES.includes(s)) throw invalidArgument(`Invalid filter 'status=${s}'`);
  }
  const exited = (filters.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw invalidArgument(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  });
  reconcileAll(store);
  let rows = store.db.prepare('SELECT * FROM containers ORDER BY created DESC, id').all() as ContainerRow[];
  const position = (input: string, flag: string) => {
    const r = lookupContainer(store, input);
    if (!r) throw invalidArgument(`No such container: ${input}`);
    void flag;
    return r.created;
  };
  const before = filters.get('before')?.map((v) => position(v, 'before'));
  const since = filters.get('since')?.map((v) => position(v, 'since'));
  const ancestors = (filters.get('ancestor') ?? []).map((a) => {
    const found = lookupImage(store, a);
    return found?.image.id;
  });
  const limit = opts.last !== undefined && opts.last > 0 ? opts.last : undefined;
  const all = opts.all || limit !== undefined || filters.has('status') || filters.has('exited') || before !== undefined || since !== undefined;
  const out: ContainerSummary[] = [];
  const now = Date.now();
  rows = rows.filter((row) => {
    if (before && !before.every((b) => row.created < b)) return false;
    if (since && !since.every((s) => row.created > s)) return false;
    return true;
  });
  for (const row of rows) {
    if (limit !== undefined && out.length >= limit) break;
    const state = stateString(row);
    if (!all && state !== 'running' && state !== 'paused') continue;
    const spec = parseSpec(row);
    const labels = row.labels ? (JSON.parse(row.labels) as Record<string, string>) : {};
    const name = row.name;
    if (filters.has('status') && !filters.get('status')!.includes(state)) continue;
    if (exited.length && !(state === 'exited' && exited.includes(row.exit_code))) continue;
    if (filters.has('id') && !filters.get('id')!.some((p) => row.id.startsWith(p))) continue;
    if (filters.has('name') && !filters.get('name')!.some((p) => regexMatch(p, name) || regexMatch(p, name.slice(1)))) continue;
    if (filters.has('label') && !filters.get('label')!.every((l) => labelMatches(l, labels))) continue;
    if (filters.has('ancestor') && !ancestors.some((a) => a !== undefined && isDescendant(engine, row.image_id, a))) continue;
    if (filters.has('network') && !filters.get('network')!.includes(spec.HostConfig.NetworkMode)) continue;
    if (filters.has('volume') && !filters.get('volume')!.some((v) => spec.MountPoints.some((m) => m.Source === v || m.Destination === v))) continue;
    if (filters.has('publish') || filters.has('expose') || filters.has('health')) continue;
    if (filters.has('is-task') && filters.get('is-task')!.includes('true')) continue;
    out.push(summary(engine, row, Boolean(opts.size), now));
  }
  return out;
}

function labelMatches(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, filter);
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** An image is an ancestor of the container's image when it is the image or one of its parents. */
function isDescendant(engine: EngineCore, imageId: string, ancestor: string): boolean {
  for (let cur: string | null = imageId, i = 0; cur && i < 1000; i++) {
    if (cur === ancestor) return true;
    cur = engine.store.meta.image(cur)?.parent ?? null;
  }
  return false;
}

/** The Image column: the name the container was made from while it still names its image. */
export function imageDisplay(engine: EngineCore, row: ContainerRow): string {
  const image = parseSpec(row).Config.Image;
  if (image === row.image_id) return image;
  try {
    const found = lookupImage(engine.store, image);
    if (found && found.image.id === row.image_id) return image;
  } catch {
    /* not a valid reference any more */
  }
  return row.image_id;
}

export function summary(engine: EngineCore, row: ContainerRow, withSize: boolean, now = Date.now()): ContainerSummary {
  const spec = parseSpec(row);
  const s: ContainerSummary = {
    Id: row.id,
    Names: [row.name],
    Image: imageDisplay(engine, row),
    ImageID: row.image_id,
    Command: commandString(spec.Path, spec.Args),
    Created: Math.floor(timeMs(row.created) / 1000),
    Ports: [],
    Labels: row.labels ? (JSON.parse(row.labels) as Record<string, string>) : {},
    State: stateString(row),
    Status: statusString(row, now),
    HostConfig: { NetworkMode: spec.HostConfig.NetworkMode },
    NetworkSettings: { Networks: { [spec.HostConfig.NetworkMode]: {} } },
    Mounts: spec.MountPoints,
  };
  if (withSize) {
    try {
      s.SizeRw = containerFs(engine.store, row).sizeRw();
    } catch {
      s.SizeRw = 0;
    }
    s.SizeRootFs = (engine.store.meta.image(row.image_id)?.size ?? imageSizeFromLayers(engine, row)) + s.SizeRw;
  }
  return s;
}

function imageSizeFromLayers(engine: EngineCore, row: ContainerRow): number {
  let n = 0;
  for (let c = row.top_layer; c; ) {
    const l = engine.store.meta.layer(c);
    if (!l) break;
    n += l.size;
    c = l.parent;
  }
  return n;
}
