import type { Store } from '../store/store.js';
import type { Digest } from '../image/digest.js';

export interface ContainerUse {
  id: string;
  running: boolean;
}

/** Containers created from an image (none until the container runtime lands in the store). */
export function containersUsing(_store: Store, _imageId: Digest): ContainerUse[] {
  return [];
}
