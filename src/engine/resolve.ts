import type { Store } from '../store/store.js';
import type { ImageRow } from '../store/metadata.js';
import { invalidArgument, BerthError } from '../image/errors.js';
import { parseUserReference, type UserRef } from './refs.js';

export class NoSuchImage extends BerthError {
  constructor(readonly ref: string) {
    super('not-found', `No such image: ${ref}`);
  }
}

/**
 * Docker's GetImage: a full ID (sha256:… or 64 hex), then a reference (tag or digest), then a
 * unique ID prefix. Joins the caller's transaction when there is one.
 */
export function resolveImage(store: Store, input: string): ImageRow {
  const r = lookupImage(store, input);
  if (!r) throw new NoSuchImage(displayRef(input));
  return r.image;
}

export interface Resolved {
  image: ImageRow;
  /** The reference row matched, when the input named a tag or digest reference. */
  refName?: string;
  ref?: UserRef;
}

export function lookupImage(store: Store, input: string): Resolved | undefined {
  const meta = store.meta;
  const ref: UserRef = parseUserReference(input);
  if (ref.kind === 'id') {
    const img = meta.image(ref.id);
    return img ? { image: img } : undefined;
  }
  const row = meta.q.ref.get(ref.canonical);
  if (row) {
    const img = meta.image(row.image_id);
    if (img) return { image: img, refName: row.name, ref };
  }
  // Search by ID prefix, as Docker does for anything that could be one.
  if (/^(sha256:)?[a-f0-9]+$/.test(input)) {
    const hex = input.startsWith('sha256:') ? input.slice(7) : input;
    const found = meta.imagesByHexPrefix(hex);
    if (found.length > 1) throw invalidArgument(`ambiguous image ID prefix: ${input}`);
    if (found.length === 1) return { image: found[0]! };
  }
  return undefined;
}

/** How Docker names a missing image in "No such image: X": the familiar form with a default tag. */
export function displayRef(input: string): string {
  try {
    const ref = parseUserReference(input);
    return ref.kind === 'id' ? input : ref.familiar;
  } catch {
    return input;
  }
}
