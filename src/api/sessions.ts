import { randomBytes } from 'node:crypto';
import type { AttachOptions } from '../engine/containers.js';
import { BerthError } from '../image/errors.js';
import type { Hijacked } from './call.js';

/** An attach request for a container that is not running yet: served by its next start. */
export interface PendingAttach {
  opts: AttachOptions;
  conn: Hijacked;
  tty: boolean;
  /** Relays the session once the container started with it; settles when its process runs. */
  begin: (session: import('node:net').Socket) => Promise<void>;
  /** Ends the attach without a session (the container was started without it). */
  cancel: () => void;
}

type Size = { rows: number; cols: number };

/**
 * What berth serve keeps in memory about containers: attach requests waiting for a start, and
 * the window sizes clients ask for (relayed to the running sessions).
 */
export class Sessions {
  private readonly pending = new Map<string, PendingAttach[]>();
  private readonly sizes = new Map<string, { size?: Size; listeners: Set<() => void> }>();

  addPending(containerId: string, p: PendingAttach): void {
    const list = this.pending.get(containerId) ?? [];
    list.push(p);
    this.pending.set(containerId, list);
    p.conn.onClose(() => this.removePending(containerId, p));
  }

  /** Takes one request out of the waiting list; false when a start took it already. */
  removePending(containerId: string, p: PendingAttach): boolean {
    const list = this.pending.get(containerId);
    if (!list) return false;
    const i = list.indexOf(p);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.pending.delete(containerId);
    return i >= 0;
  }

  takePending(containerId: string): PendingAttach[] {
    const list = this.pending.get(containerId) ?? [];
    this.pending.delete(containerId);
    return list.filter((p) => !p.conn.closed);
  }

  private entry(key: string) {
    let e = this.sizes.get(key);
    if (!e) this.sizes.set(key, (e = { listeners: new Set() }));
    return e;
  }

  /** A resize request: remembered, and passed to the sessions of that container or exec. */
  resize(key: string, size: Size): void {
    const e = this.entry(key);
    e.size = size;
    for (const l of e.listeners) l();
  }

  /** The size source and resize hook a relayed session uses. */
  terminal(key: string): { size: () => Size | undefined; onResize: (fn: () => void) => void; release: () => void } {
    const e = this.entry(key);
    const mine: (() => void)[] = [];
    return {
      size: () => e.size,
      onResize: (fn) => {
        e.listeners.add(fn);
        mine.push(fn);
      },
      release: () => {
        for (const fn of mine) e.listeners.delete(fn);
        if (e.listeners.size === 0) this.sizes.delete(key);
      },
    };
  }

  closeAll(): void {
    for (const list of this.pending.values()) for (const p of list) p.cancel();
    this.pending.clear();
  }
}

export interface ExecConfig {
  cmd: string[];
  env: string[];
  workdir: string;
  user: string;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  privileged: boolean;
  detachKeys: string;
  consoleSize?: [number, number];
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  finishedAt: number;
}

/** Exec instances (POST /containers/{id}/exec), kept in memory as dockerd keeps them. */
export class ExecRegistry {
  private readonly execs = new Map<string, ExecRecord>();

  create(containerId: string, config: ExecConfig): ExecRecord {
    this.expire();
    const id = randomBytes(32).toString('hex');
    const rec: ExecRecord = { id, containerId, config, running: false, started: false, exitCode: null, finishedAt: 0 };
    this.execs.set(id, rec);
    return rec;
  }

  get(id: string): ExecRecord {
    const rec = this.execs.get(id);
    if (!rec) throw new BerthError('not-found', `No such exec instance: ${id}`);
    return rec;
  }

  /** Finished execs are forgotten after a while; unstarted ones too. */
  private expire(): void {
    const now = Date.now();
    for (const [id, r] of this.execs) {
      if ((r.finishedAt && now - r.finishedAt > 10 * 60_000) || (!r.started && this.execs.size > 1000)) this.execs.delete(id);
    }
  }
}
