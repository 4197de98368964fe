import type { EngineCore } from '../engine/engine.js';
import { EVENTS_KEPT, eventsAfter, lastEventSeq, type StoredEvent } from '../store/events.js';
import type { Filters } from '../engine/filters.js';
import { parseNormalizedNamed } from '../image/reference.js';

type Listener = (e: StoredEvent) => void;

/**
 * Follows the store's event log for the /events streams. Every berth process writes there, so
 * the log is polled (one query per tick, only while someone listens).
 */
export class EventHub {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(
    private readonly engine: EngineCore,
    private readonly intervalMs = 100,
  ) {}

  /**
   * A subscription to new events, and with `past` the events recorded before it (oldest
   * first), with no gap between the two.
   */
  subscribe(fn: Listener, opts: { past?: boolean } = {}): { past: StoredEvent[]; unsubscribe: () => void } {
    const db = this.engine.store.db;
    if (this.listeners.size === 0) this.seq = lastEventSeq(db);
    const upTo = this.seq;
    const past = opts.past ? eventsAfter(db, 0, EVENTS_KEPT + 64).filter((e) => e.seq <= upTo) : [];
    this.listeners.add(fn);
    this.timer ??= setInterval(() => this.poll(), this.intervalMs);
    return {
      past,
      unsubscribe: () => {
        this.listeners.delete(fn);
        if (this.listeners.size === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  private poll(): void {
    let batch: StoredEvent[];
    try {
      batch = eventsAfter(this.engine.store.db, this.seq);
    } catch {
      return; // busy: the next tick reads it
    }
    for (const e of batch) {
      this.seq = e.seq;
      for (const l of this.listeners) l(e);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}

/** Docker's events.Message as JSON (time in seconds and nanoseconds; attributes sorted as a Go map). */
export function eventJson(e: StoredEvent, withDeprecated: boolean): string {
  const attrs: Record<string, string> = {};
  for (const k of Object.keys(e.attributes).sort()) attrs[k] = e.attributes[k]!;
  const head: Record<string, unknown> = {};
  if (withDeprecated) {
    if (e.action) head.status = e.action;
    if (e.actor) head.id = e.actor;
    if (e.type === 'container' && attrs.image) head.from = attrs.image;
  }
  head.Type = e.type;
  head.Action = e.action;
  head.Actor = { ID: e.actor, Attributes: attrs };
  head.scope = 'local';
  head.time = Math.floor(e.timeUs / 1e6);
  const nano = (BigInt(e.timeUs) * 1000n).toString();
  // timeNano does not fit a double: spliced in as text.
  return JSON.stringify(head).slice(0, -1) + `,"timeNano":${nano}}\n`;
}

function stripTag(image: string): string {
  try {
    return parseNormalizedNamed(image).familiarName;
  } catch {
    return image;
  }
}

/** The filter keys Docker's events accept. */
export const EVENT_FILTERS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'];

/** Docker's daemon/events Filter: which events a /events request wants. */
export function eventMatcher(filters: Filters): (e: StoredEvent) => boolean {
  const has = (k: string) => (filters.get(k)?.length ?? 0) > 0;
  const exact = (k: string, v: string) => !has(k) || filters.get(k)!.includes(v);
  const fuzzy = (k: string, v: string) => !has(k) || filters.get(k)!.some((f) => v === f || v.startsWith(f));
  const fuzzyFor = (e: StoredEvent, type: string) => fuzzy(type, e.actor) || fuzzy(type, e.attributes.name ?? '');
  const fuzzyEvent = (filters.get('event') ?? []).some((v) => v === 'health_status' || v === 'exec_create' || v === 'exec_start');
  return (e) => {
    if (fuzzyEvent ? !fuzzy('event', e.action) : !exact('event', e.action)) return false;
    if (!exact('type', e.type)) return false;
    if (has('scope') && !exact('scope', 'local')) return false;
    for (const t of ['daemon', 'container', 'plugin', 'volume', 'network', 'node', 'service', 'secret', 'config']) {
      if (has(t) && !fuzzyFor(e, t)) return false;
    }
    if (has('image')) {
      const name = e.attributes[e.type === 'image' ? 'name' : 'image'] ?? '';
      const want = filters.get('image')!;
      if (![e.actor, name, stripTag(e.actor), stripTag(name)].some((v) => want.includes(v))) return false;
    }
    if (has('label')) {
      for (const l of filters.get('label')!) {
        const eq = l.indexOf('=');
        const k = eq < 0 ? l : l.slice(0, eq);
        if (!(k in e.attributes)) return false;
        if (eq >= 0 && e.attributes[k] !== l.slice(eq + 1)) return false;
      }
    }
    return true;
  };
}
