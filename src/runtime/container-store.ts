/**
 * Container records in the store's `containers` table, and their reconciliation with the
 * processes actually running. berth has no daemon: a container's state is whatever the last
 * process that touched it recorded, checked against reality (is the monitor alive, is the
 * container's init alive — by pid and start time) every time it is read. A container whose
 * processes are gone is exited; one whose exit nobody saw gets code 255, as Docker reports it.
 */
import type { Store } from '../store/store.js';
import type { ContainerConfig } from '../image/types.js';
import { readFileSync } from 'node:fs';
import { notFound, invalidArgument } from '../image/errors.js';
import { nowNs, rfc3339Nano } from './time.js';
import { recordEvent } from '../store/events.js';

export type ContainerStatus = 'created' | 'starting' | 'running' | 'exited' | 'removing' | 'dead';

export interface MountRecord {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source: string;
  Destination: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface HostConfigRecord {
  Binds: string[] | null;
  /** --mount specs as given (Docker's mount.Mount). */
  Mounts: { Type: string; Source: string; Target: string; ReadOnly?: boolean; BindOptions?: { Propagation?: string } }[] | null;
  AutoRemove: boolean;
  NetworkMode: string;
  ReadonlyRootfs: boolean;
  GroupAdd: string[] | null;
  ConsoleSize: [number, number];
  ExtraHosts: string[] | null;
  Dns: string[];
  Tmpfs?: Record<string, string>;
  // Privileges and limits (engine/container-limits.ts); absent in records of older berths.
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  SecurityOpt?: string[] | null;
  Ulimits?: { Name: string; Hard: number; Soft: number }[];
  ShmSize?: number;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpusetCpus?: string;
  PidsLimit?: number | null;
  Sysctls?: Record<string, string>;
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
}

/** What the `config` column holds: the container as Docker's inspect needs it. */
export interface ContainerSpecRecord {
  Config: ContainerConfig & { Image: string };
  HostConfig: HostConfigRecord;
  Path: string;
  Args: string[];
  /** Resolved bind mounts, as inspect's Mounts shows them. */
  MountPoints: MountRecord[];
  /** Snapshot names of the image's layers, bottom first. */
  Snapshots: string[];
  Platform: string;
}

export interface ContainerRow {
  id: string;
  /** With Docker's leading slash. */
  name: string;
  image_id: string;
  top_layer: string | null;
  snapshotter: string;
  config: string;
  state: ContainerStatus;
  pid: number;
  pid_start: string | null;
  monitor_pid: number;
  monitor_start: string | null;
  exit_code: number;
  error: string;
  created: string;
  started: string;
  finished: string;
  labels: string | null;
}

export class NoSuchContainer extends Error {}

export function parseSpec(row: ContainerRow): ContainerSpecRecord {
  return JSON.parse(row.config) as ContainerSpecRecord;
}

/** Records a container event with Docker's attributes (labels, image as named, name). */
export function containerEvent(store: Store, row: ContainerRow, action: string, extra: Record<string, string> = {}): void {
  let attrs: Record<string, string> = {};
  let image = '';
  try {
    attrs = row.labels ? (JSON.parse(row.labels) as Record<string, string>) : {};
    image = parseSpec(row).Config.Image ?? '';
  } catch {
    /* an unreadable record still gets its event */
  }
  recordEvent(store.db, 'container', action, row.id, { ...attrs, image, name: row.name.replace(/^\//, ''), ...extra });
}

export function getRow(store: Store, id: string): ContainerRow | undefined {
  return store.db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as ContainerRow | undefined;
}

/**
 * Docker's GetContainer: a full ID, then a name (with or without its slash), then a unique ID
 * prefix. Joins the caller's transaction when there is one.
 */
export function lookupContainer(store: Store, input: string): ContainerRow | undefined {
  const db = store.db;
  if (input === '') return undefined;
  const byId = getRow(store, input);
  if (byId) return byId;
  const name = input.startsWith('/') ? input : '/' + input;
  const byName = db.prepare('SELECT * FROM containers WHERE name = ?').get(name) as ContainerRow | undefined;
  if (byName) return byName;
  if (!/^[a-f0-9]+$/.test(input)) return undefined;
  const rows = db.prepare('SELECT * FROM containers WHERE id >= ? AND id < ? LIMIT 2').all(input, input + 'g') as ContainerRow[];
  if (rows.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${input}`);
  return rows[0];
}

export function findContainer(store: Store, input: string): ContainerRow {
  const row = lookupContainer(store, input);
  if (!row) throw notFound(`No such container: ${input}`);
  return row;
}

/**
 * A process is alive when its pid has the recorded start time and it is not a zombie (an
 * orphaned container init may wait for a reaper that never comes).
 */
export function processAlive(pid: number, startTime: string): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[0] !== 'Z' && rest[0] !== 'X' && rest[19] === startTime;
}

export function nowString(): string {
  return rfc3339Nano(nowNs(), true);
}

/** Whether the row's init process is the one it recorded and still runs. */
export function initAlive(row: ContainerRow): boolean {
  return row.pid > 0 && row.pid_start !== null && processAlive(row.pid, row.pid_start);
}

export function monitorAlive(row: ContainerRow): boolean {
  return row.monitor_pid > 0 && row.monitor_start !== null && processAlive(row.monitor_pid, row.monitor_start);
}

/** Running as `ps` and `rmi` see it, without writing anything. */
export function isRunning(row: ContainerRow): boolean {
  if (row.state === 'running') return initAlive(row) || monitorAlive(row);
  if (row.state === 'starting') return monitorAlive(row) || initAlive(row);
  return false;
}

export interface Reconciled {
  row: ContainerRow;
  /** The container's processes are gone but its mounts and runtime state may remain. */
  needsCleanup: boolean;
}

/**
 * What a row's state really is. A running container whose init and monitor are both gone is
 * exited (255: nobody saw its exit status); a start whose starter died is undone.
 */
export function reconcileRow(store: Store, row: ContainerRow): Reconciled {
  if (row.state !== 'running' && row.state !== 'starting' && row.state !== 'removing') return { row, needsCleanup: false };
  if (monitorAlive(row) || initAlive(row)) return { row, needsCleanup: false };
  const fresh = store.tx(() => {
    const cur = getRow(store, row.id);
    if (!cur || cur.state !== row.state || cur.monitor_pid !== row.monitor_pid || cur.pid !== row.pid) return cur;
    if (monitorAlive(cur) || initAlive(cur)) return cur;
    if (cur.state === 'removing') {
      store.db.prepare("UPDATE containers SET state = 'dead', pid = 0, monitor_pid = 0 WHERE id = ?").run(cur.id);
    } else if (cur.state === 'running' || (cur.state === 'starting' && cur.pid > 0 && cur.started !== '')) {
      store.db
        .prepare("UPDATE containers SET state = 'exited', pid = 0, monitor_pid = 0, exit_code = 255, finished = ? WHERE id = ?")
        .run(nowString(), cur.id);
    } else {
      const back = cur.started ? 'exited' : 'created';
      store.db.prepare('UPDATE containers SET state = ?, pid = 0, monitor_pid = 0 WHERE id = ?').run(back, cur.id);
    }
    return getRow(store, row.id);
  });
  if (!fresh) return { row, needsCleanup: false };
  return { row: fresh, needsCleanup: true };
}
