import type { EngineCore } from './engine.js';
import type { ImageSummary } from './types.js';
import { resolveImage } from './resolve.js';
import { goPathMatch } from '../image/reference.js';
import { invalidArgument } from '../image/errors.js';
import { compileListQuery, imageSummaries, readListing, type ImageListing, type ListOptions, type ListQuery } from './listing.js';

export {
  compileListQuery,
  imageSummaries,
  listingFromRows,
  listingId,
  readListing,
  refDigest,
  refRepo,
  refTag,
  type ImageListing,
  type ListingRow,
  type ListOptions,
} from './listing.js';

/** The listing's filters compiled with the reference grammar (before, since, reference). */
export function listQuery(engine: EngineCore, opts: ListOptions & { details?: boolean } = {}): ListQuery {
  return compileListQuery(opts, { createdOf: (ref) => resolveImage(engine.store, ref).created, matchRef: referenceMatches });
}

/** `images`: Docker's image list semantics (moby's Images()), newest first, in columns. */
export function listImageColumns(engine: EngineCore, opts: ListOptions & { details?: boolean } = {}): ImageListing {
  return readListing(engine, listQuery(engine, opts));
}

/** `images` as the Engine API's ImageSummary objects (Docker's /images/json). */
export function listImages(engine: EngineCore, opts: ListOptions = {}): ImageSummary[] {
  return imageSummaries(listImageColumns(engine, { ...opts, details: true }));
}

/** Docker's reference.FamiliarMatch: the pattern against the familiar string, then the familiar name. */
export function referenceMatches(pattern: string, familiar: string, familiarName: string): boolean {
  try {
    return goPathMatch(pattern, familiar) || goPathMatch(pattern, familiarName);
  } catch (err) {
    throw invalidArgument((err as Error).message, err);
  }
}
