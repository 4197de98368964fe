import type { Store } from '../store/store.js';
import type { Digest } from '../image/digest.js';
import { isRunning, type ContainerRow } from '../runtime/container-store.js';

export interface ContainerUse {
  id: string;
  running: boolean;
}

/**
 * Containers created from an image, newest first, each with whether its process runs (checked
 * against the live processes, without writing: this joins the caller's transaction).
 */
export function containersUsing(store: Store, imageId: Digest): ContainerUse[] {
  const rows = store.db.prepare('SELECT * FROM containers WHERE image_id = ? ORDER BY created DESC').all(imageId) as ContainerRow[];
  return rows.map((r) => ({ id: r.id, running: isRunning(r) }));
}
