import type { Store } from '../store/store.js';
import type { NewImage } from '../store/store.js';
import { familiarRef } from '../image/familiar.js';

export interface ImageToCommit {
  image: NewImage;
  /** Tags to point at the image (canonical repository and tag). */
  tags: { repo: string; tag: string }[];
  /** Digest references (repo@manifest-digest), as pulls record. */
  digestRefs?: { repo: string; digest: string }[];
}

export interface TagMove {
  image: string;
  /** Familiar form, e.g. lab/other:1. */
  tag: string;
  /** The image the tag pointed to before, when it was another one. */
  previous?: string;
}

/**
 * Records images and points their tags at them, in the caller's single transaction. Returns one
 * entry per tag, in order, saying which tags moved away from another image.
 */
export function commitImages(store: Store, items: ImageToCommit[], now = Date.now()): TagMove[] {
  const moves: TagMove[] = [];
  const q = store.meta.q;
  for (const it of items) {
    store.putImage(it.image, now);
    for (const t of it.tags) {
      const name = `${t.repo}:${t.tag}`;
      const prev = q.ref.get(name);
      const move: TagMove = { image: it.image.id, tag: familiarRef(t.repo, t.tag, null) };
      if (prev && prev.image_id !== it.image.id) move.previous = prev.image_id;
      moves.push(move);
      q.upsertRef.run({ name, repo: t.repo, tag: t.tag, digest: null, image_id: it.image.id, created: now });
    }
    for (const d of it.digestRefs ?? []) {
      q.upsertRef.run({ name: `${d.repo}@${d.digest}`, repo: d.repo, tag: null, digest: d.digest, image_id: it.image.id, created: now });
    }
  }
  return moves;
}
