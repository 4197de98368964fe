// The build cache as `system df` reports it: one record per cached step (Docker's type
// "regular") and per RUN cache-mount directory ("exec.cachemount"), sized so that every byte is
// counted once. A step's record is shared when its result is a layer some image uses (those bytes
// are the images' already).
import type { Store } from '../store/store.js';

/** moby's build.CacheRecord, as /system/df returns it. */
export interface CacheRecord {
  ID: string;
  Parents: string[] | null;
  Type: 'regular' | 'exec.cachemount';
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

interface StepRow {
  key: string;
  top_layer: string | null;
  created: number;
  last_used: number;
  description: string;
}

export function buildCacheUsage(store: Store): CacheRecord[] {
  const db = store.db;
  const records = db
    .transaction((): CacheRecord[] => {
      const rows = db.prepare('SELECT key, top_layer, created, last_used, description FROM build_cache ORDER BY created, key').all() as StepRow[];
      if (rows.length === 0) return [];
      const usedByImage = db.prepare('SELECT 1 FROM image_layers WHERE chain_id = ? LIMIT 1').pluck();
      const layer = db.prepare('SELECT parent, size FROM layers WHERE chain_id = ?');
      const counted = new Set<string>();
      return rows.map((r) => {
        const shared = r.top_layer !== null && usedByImage.get(r.top_layer) !== undefined;
        let size = 0;
        if (shared) size = (layer.get(r.top_layer) as { size: number } | undefined)?.size ?? 0;
        else {
          // The step's own layers: down its chain to the first one an image or an earlier record has.
          for (let c = r.top_layer; c !== null && !counted.has(c) && usedByImage.get(c) === undefined; ) {
            counted.add(c);
            const l = layer.get(c) as { parent: string | null; size: number } | undefined;
            if (!l) break;
            size += l.size;
            c = l.parent;
          }
        }
        return {
          ID: r.key.replace(/^sha256:/, ''),
          Parents: null,
          Type: 'regular',
          Description: r.description,
          InUse: false,
          Shared: shared,
          Size: size,
          CreatedAt: new Date(r.created).toISOString(),
          LastUsedAt: new Date(r.last_used).toISOString(),
          UsageCount: 1,
        };
      });
    })
    .deferred();
  for (const m of store.cacheMounts.usage()) {
    records.push({
      ID: m.id,
      Parents: null,
      Type: 'exec.cachemount',
      Description: `cached mount ${m.key}`,
      InUse: m.inUse,
      Shared: false,
      Size: m.bytes,
      CreatedAt: new Date(m.lastUsed).toISOString(),
      LastUsedAt: new Date(m.lastUsed).toISOString(),
      UsageCount: 1,
    });
  }
  return records;
}

/** What docker/cli's `system df` derives: size of the records not shared, and of those not in use. */
export function buildCacheTotals(records: readonly CacheRecord[]): { count: number; active: number; size: number; reclaimable: number } {
  let size = 0;
  let inUse = 0;
  for (const r of records) {
    if (r.Shared) continue;
    size += r.Size;
    if (r.InUse) inUse += r.Size;
  }
  return { count: records.length, active: records.filter((r) => r.InUse).length, size, reclaimable: size - inUse };
}
