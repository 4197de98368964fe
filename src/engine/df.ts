import type { EngineCore } from './engine.js';
import type { ImageSummary } from './types.js';
import { listImages } from './list.js';
import { listContainers, type ContainerSummary } from './container-list.js';
import { buildCacheUsage, type CacheRecord } from './build-cache-usage.js';

export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[];
  Containers: ContainerSummary[];
  Volumes: unknown[];
  BuildCache: CacheRecord[];
}

/** Per image, the size of its layers that other images use too (Docker's SharedSize). */
export function imageSharedSizes(engine: EngineCore): Map<string, number> {
  return new Map<string, number>(
    (
      engine.store.db
        .prepare(
          `SELECT il.image_id AS id, sum(l.size) AS s FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id
           WHERE il.chain_id IN (SELECT chain_id FROM image_layers GROUP BY chain_id HAVING count(DISTINCT image_id) > 1)
           GROUP BY il.image_id`,
        )
        .all() as { id: string; s: number }[]
    ).map((r) => [r.id, r.s]),
  );
}

/**
 * `system df`: the images (as `images` lists them) with shared sizes, and the size of every
 * layer used by an image, each counted once.
 */
export function diskUsage(engine: EngineCore): DiskUsage {
  const store = engine.store;
  const result: DiskUsage = store.db
    .transaction(() => {
      const images = listImages(engine, {});
      const layersSize =
        (store.db.prepare('SELECT sum(size) FROM layers WHERE chain_id IN (SELECT chain_id FROM image_layers)').pluck().get() as number | null) ?? 0;
      const shared = imageSharedSizes(engine);
      const users = new Map<string, number>(
        (store.db.prepare('SELECT image_id AS id, count(*) AS n FROM containers GROUP BY image_id').all() as { id: string; n: number }[]).map((r) => [r.id, r.n]),
      );
      for (const img of images) {
        img.SharedSize = shared.get(img.Id) ?? 0;
        img.Containers = users.get(img.Id) ?? 0;
      }
      return { LayersSize: layersSize, Images: images, Containers: [] as ContainerSummary[], Volumes: [], BuildCache: [] as CacheRecord[] };
    })
    .deferred();
  // Outside the read transaction: sizing containers walks their directories.
  const du = result;
  du.Containers = listContainers(engine, { all: true, size: true });
  du.BuildCache = buildCacheUsage(store);
  return du;
}
