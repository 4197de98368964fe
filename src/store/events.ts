/**
 * The event log: what operations did (image pull/tag/delete…, container create/start/die…), as
 * Docker's /events reports it. Operations record their events in the transaction that makes the
 * change, so any berth process's work is seen by `berth serve`. The table keeps the newest rows.
 */
import type { DB } from './db.js';
import type Database from 'better-sqlite3';

type Statement = Database.Statement;

export interface StoredEvent {
  seq: number;
  /** Microseconds since the epoch. */
  timeUs: number;
  type: string;
  action: string;
  actor: string;
  attributes: Record<string, string>;
}

interface Row {
  seq: number;
  time_us: number;
  type: string;
  action: string;
  actor: string;
  attributes: string | null;
}

/** How many events are kept; older ones are dropped as new ones come. */
export const EVENTS_KEPT = 10_000;

interface Statements {
  insert: Statement;
  trim: Statement;
  after: Statement;
  last: Statement;
  latest: Statement;
}

const prepared = new WeakMap<DB, Statements>();

function statements(db: DB): Statements {
  let s = prepared.get(db);
  if (!s) {
    s = {
      insert: db.prepare('INSERT INTO events (time_us, type, action, actor, attributes) VALUES (?, ?, ?, ?, ?)'),
      trim: db.prepare('DELETE FROM events WHERE seq <= ?'),
      after: db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?'),
      last: db.prepare('SELECT ifnull(max(seq), 0) FROM events').pluck(),
      latest: db.prepare('SELECT * FROM events WHERE actor = ? AND type = ? AND action = ? AND seq > ? ORDER BY seq DESC LIMIT 1'),
    };
    prepared.set(db, s);
  }
  return s;
}

let lastUs = 0;

/** Wall-clock microseconds, strictly increasing within this process. */
function nowUs(): number {
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  lastUs = us > lastUs ? us : lastUs + 1;
  return lastUs;
}

/** Records one event; joins the caller's transaction when there is one. */
export function recordEvent(db: DB, type: string, action: string, actor: string, attributes: Record<string, string> = {}): void {
  const s = statements(db);
  const attrs = Object.keys(attributes).length ? JSON.stringify(attributes) : null;
  const seq = Number(s.insert.run(nowUs(), type, action, actor, attrs).lastInsertRowid);
  if (seq % 64 === 0) s.trim.run(seq - EVENTS_KEPT);
}

function toEvent(r: Row): StoredEvent {
  return {
    seq: r.seq,
    timeUs: r.time_us,
    type: r.type,
    action: r.action,
    actor: r.actor,
    attributes: r.attributes ? (JSON.parse(r.attributes) as Record<string, string>) : {},
  };
}

/** Events recorded after `seq`, oldest first. */
export function eventsAfter(db: DB, seq: number, limit = 1000): StoredEvent[] {
  return (statements(db).after.all(seq, limit) as Row[]).map(toEvent);
}

/** The sequence number of the newest event (0 when there is none). */
export function lastEventSeq(db: DB): number {
  return statements(db).last.get() as number;
}

/** The newest event of an actor with the given type and action after `seq`. */
export function latestEvent(db: DB, type: string, actor: string, action: string, afterSeq = 0): StoredEvent | undefined {
  const r = statements(db).latest.get(actor, type, action, afterSeq) as Row | undefined;
  return r ? toEvent(r) : undefined;
}
