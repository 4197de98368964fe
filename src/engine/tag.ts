import type { EngineCore } from './engine.js';
import { resolveImage } from './resolve.js';
import { parseTagTarget } from './refs.js';
import { imageEvent } from './events.js';
import { familiarRef } from '../image/familiar.js';

/** `tag SOURCE TARGET`: points TARGET at SOURCE's image (moving it if it existed), in one transaction. */
export function tagImage(engine: EngineCore, source: string, target: string): void {
  const t = parseTagTarget(target);
  const store = engine.store;
  store.tx(() => {
    const img = resolveImage(store, source);
    store.meta.q.upsertRef.run({
      name: t.canonical,
      repo: t.repo,
      tag: t.tag,
      digest: null,
      image_id: img.id,
      created: Date.now(),
    });
    imageEvent(store, 'tag', img.id, familiarRef(t.repo, t.tag, null));
  });
}
