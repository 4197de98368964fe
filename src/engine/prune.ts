import type { EngineCore } from './engine.js';
import type { DeleteItem, PruneReport } from './types.js';
import { validateFilters, matchLabels, parseTimestamp, type Filters } from './filters.js';
import { invalidArgument, isKind } from '../image/errors.js';
import { deleteInTx } from './remove.js';
import { recordEvent } from '../store/events.js';

const ACCEPTED = ['dangling', 'label', 'label!', 'until'];

/**
 * `image prune`: Docker's ImagesPrune. Dangling images (untagged, without children) by default;
 * with dangling=false every image not in use. Each image is deleted in its own transaction, so a
 * concurrent tag or run simply makes that image survive; conflicts are skipped silently.
 */
export function pruneImages(engine: EngineCore, filters: Filters = new Map()): PruneReport {
  validateFilters(filters, ACCEPTED);
  let danglingOnly = true;
  const d = filters.get('dangling');
  if (d) {
    if (d.every((v) => v === 'false' || v === '0')) danglingOnly = false;
    else if (!d.every((v) => v === 'true' || v === '1')) throw invalidArgument(`Invalid filter 'dangling=${d[0]}'`);
  }
  let until = Infinity;
  for (const v of filters.get('until') ?? []) until = Math.min(until, parseTimestamp(v));
  const labels = filters.get('label') ?? [];
  const notLabels = filters.get('label!') ?? [];

  const store = engine.store;
  const db = store.db;
  type Cand = { id: string; created: number; labels: string | null; refs: number; tags: number; children: number };
  const candidates = db
    .prepare(
      `SELECT i.id, i.created, i.labels,
         (SELECT count(*) FROM refs r WHERE r.image_id = i.id) AS refs,
         (SELECT count(*) FROM refs r WHERE r.image_id = i.id AND r.tag IS NOT NULL) AS tags,
         EXISTS (SELECT 1 FROM images c WHERE c.parent = i.id) AS children
       FROM images i ORDER BY i.created DESC, i.id`,
    )
    .all() as Cand[];

  const deleted: DeleteItem[] = [];
  let reclaimed = 0;
  for (const c of candidates) {
    if (danglingOnly && c.children) continue;
    if (c.refs === 0 && c.children) continue;
    if (c.created > until) continue;
    const lbl = c.labels ? (JSON.parse(c.labels) as Record<string, string>) : null;
    if (!matchLabels(labels, lbl)) continue;
    if (notLabels.length && matchLabels(notLabels, lbl)) continue;
    if (danglingOnly && c.tags > 0) continue;
    try {
      const res = store.tx(() => {
        const out = { records: [] as DeleteItem[], reclaimed: 0 };
        if (!store.meta.image(c.id)) return out;
        const refs = store.meta.refsOf(c.id);
        const targets = refs.length === 0 ? [c.id] : refs.map((r) => r.name);
        for (const t of targets) {
          try {
            const r = deleteInTx(store, t, {});
            out.records.push(...r.records);
            out.reclaimed += r.reclaimed;
          } catch (err) {
            if (!isKind(err, 'conflict') && !isKind(err, 'not-found')) throw err;
          }
        }
        return out;
      });
      deleted.push(...res.records);
      reclaimed += res.reclaimed;
    } catch (err) {
      if (isKind(err, 'conflict') || isKind(err, 'not-found')) continue;
      throw err;
    }
  }
  store.gc.sweep();
  store.tx(() => recordEvent(store.db, 'image', 'prune', '', { reclaimed: String(reclaimed) }));
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}

