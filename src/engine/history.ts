import type { EngineCore } from './engine.js';
import type { HistoryItem } from './types.js';
import { resolveImage } from './resolve.js';
import { readImageConfig, createdSeconds } from './image-config.js';
import { familiarRef } from '../image/familiar.js';
import { chainIds } from '../image/digest.js';
import { corrupt } from '../image/errors.js';

/** `history`: one item per config history entry, newest first, IDs filled along the parent chain. */
export async function imageHistory(engine: EngineCore, input: string): Promise<HistoryItem[]> {
  const store = engine.store;
  const img = store.db.transaction(() => resolveImage(store, input)).deferred();
  const cfg = await readImageConfig(store, img.id);
  const diffIds = cfg.rootfs?.diff_ids ?? [];
  const chains = chainIds(diffIds);
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of cfg.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      if (layer >= diffIds.length) throw corrupt('too many non-empty layers in History section');
      size = store.meta.layer(chains[layer]!)?.size ?? 0;
      layer++;
    }
    items.unshift({
      Id: '<missing>',
      Created: createdSeconds(h.created),
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  let id: string | null = img.id;
  for (const item of items) {
    if (!id) break;
    item.Id = id;
    const tags = store.meta.refsOf(id).filter((r) => r.tag !== null);
    item.Tags = tags.length ? tags.map((r) => familiarRef(r.repo, r.tag, null)) : null;
    const parent: string | null = store.meta.image(id)?.parent ?? null;
    id = parent && store.meta.image(parent) ? parent : null;
  }
  return items;
}
