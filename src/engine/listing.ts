// The images listing: Docker's image list semantics over the listing base (listing-base.ts),
// which the store caches between changes. It does not depend on the reference grammar: filters
// that need it (before, since, reference) come compiled by list.ts, so `images` without them
// does not load it.
import type { EngineCore } from './engine.js';
import type { ImageSummary } from './types.js';
import type { DB } from '../store/db.js';
import { validateFilters, matchLabels, parseTimestamp, type Filters } from './filters.js';
import { invalidArgument } from '../image/errors.js';
import { readListingCache, writeListingCache } from '../store/listing-cache.js';
import { decodeListingBase, encodeListingBase } from './listing-base-codec.js';
import { PATCH_LIMIT, patchListingBase } from './listing-patch.js';
import { columnOf, computeListingBase, familiarStart, field, hexStart, readColumns, type Column, type ImageColumns, type ListingBase } from './listing-base.js';

const ACCEPTED = ['dangling', 'label', 'before', 'since', 'reference', 'until'];

export interface ListOptions {
  all?: boolean;
  filters?: Filters;
}

/**
 * The images listing in columns, as `images` shows it (newest first, then by ID): what ImageSummary objects are made of,
 * kept as ranges of the texts read from the store, so that a table of 100,000 images is written
 * without making a string per cell (see listingId, refRepo, refTag, refDigest for the values).
 */
export interface ImageListing extends ImageColumns {
  /** With `details` only: parent ID and labels. */
  parent: (string | null)[];
  labels: (Record<string, string> | null)[];
  /**
   * The references of image i that passed the filters are r = refStart[i] .. refStart[i + 1] - 1,
   * in name order; none means an untagged image (shown as <none>). Reference r is the canonical
   * name refText[refFrom[r] .. refTo[r]): the repository up to refSplit[r], where a ':' precedes
   * the tag or, when refIsDigest[r], an '@' the digest.
   */
  refStart: Int32Array;
  refText: string;
  refFrom: Int32Array;
  refSplit: Int32Array;
  refTo: Int32Array;
  refIsDigest: Uint8Array;
  /** Where the familiar form of the repository starts (familiarRepo leaves out docker.io/ and docker.io/library/). */
  refFamiliar: Int32Array;
}


export const listingId = (l: ImageListing, i: number): string => l.idText.slice(l.idFrom[i]!, l.idTo[i]!);
/** Canonical repository, e.g. docker.io/library/busybox. */
export const refRepo = (l: ImageListing, r: number): string => l.refText.slice(l.refFrom[r]!, l.refSplit[r]!);
export const refTag = (l: ImageListing, r: number): string | null => (l.refIsDigest[r] ? null : l.refText.slice(l.refSplit[r]! + 1, l.refTo[r]!));
export const refDigest = (l: ImageListing, r: number): string | null => (l.refIsDigest[r] ? l.refText.slice(l.refSplit[r]! + 1, l.refTo[r]!) : null);

export interface ListingRow {
  id: string;
  createdMs: number;
  size: number;
  parent?: string | null;
  labels?: Record<string, string> | null;
  refs: { repo: string; tag?: string | null; digest?: string | null }[];
}

/** A listing of the given rows in the given order (other sources of images; tests). */
export function listingFromRows(rows: readonly ListingRow[]): ImageListing {
  const ids = rows.map((r) => r.id);
  const names: string[] = [];
  const splits: number[] = [];
  const digest: number[] = [];
  for (const row of rows) {
    for (const ref of row.refs) {
      names.push(ref.tag != null ? `${ref.repo}:${ref.tag}` : `${ref.repo}@${ref.digest}`);
      splits.push(ref.repo.length);
      digest.push(ref.tag != null ? 0 : 1);
    }
  }
  const idCol = columnOf(ids);
  const nameCol = columnOf(names);
  const refStart = new Int32Array(rows.length + 1);
  rows.forEach((row, i) => (refStart[i + 1] = refStart[i]! + row.refs.length));
  const refSplit = Int32Array.from(splits, (x, j) => nameCol.start[j]! + x);
  return {
    length: rows.length,
    idText: idCol.text,
    idFrom: idCol.start.slice(0, rows.length),
    idTo: idCol.start.slice(1).map((x) => x - 1),
    idHexFrom: Int32Array.from(ids, (_, i) => hexStart(idCol.text, idCol.start[i]!, idCol.start[i + 1]! - 1)),
    createdMs: Float64Array.from(rows, (r) => r.createdMs),
    size: Float64Array.from(rows, (r) => r.size),
    parent: rows.map((r) => r.parent ?? null),
    labels: rows.map((r) => r.labels ?? null),
    refStart,
    refText: nameCol.text,
    refFrom: nameCol.start.slice(0, names.length),
    refSplit,
    refTo: nameCol.start.slice(1).map((x) => x - 1),
    refIsDigest: Uint8Array.from(digest),
    refFamiliar: Int32Array.from(splits, (_, j) => familiarStart(nameCol.text, nameCol.start[j]!, refSplit[j]!)),
  };
}

/** Filters as the listing applies them. */
export interface ListQuery {
  all: boolean;
  details: boolean;
  /** dangling=true; dangling=false is `untaggedHidden`. */
  danglingOnly: boolean;
  untaggedHidden: boolean;
  before: number;
  since: number;
  until: number;
  labels: string[] | undefined;
  /** Keeps a reference (familiar string, familiar name) when a reference filter is given. */
  matchRef: ((familiar: string, familiarName: string) => boolean) | undefined;
}

/** True when the filters need the reference grammar (an image to resolve, a reference pattern). */
export function needsReferenceGrammar(filters: Filters | undefined): boolean {
  return Boolean(filters && (filters.has('before') || filters.has('since') || filters.has('reference')));
}

/**
 * Checks and compiles the filters, in Docker's order. `grammar` resolves an image's creation
 * time and matches reference patterns; it is needed exactly when needsReferenceGrammar says so.
 */
export function compileListQuery(
  opts: ListOptions & { details?: boolean },
  grammar?: { createdOf(ref: string): number; matchRef(pattern: string, familiar: string, familiarName: string): boolean },
): ListQuery {
  const filters = opts.filters ?? new Map<string, string[]>();
  validateFilters(filters, ACCEPTED);
  let danglingOnly = false;
  const dangling = filters.get('dangling');
  if (dangling) {
    if (dangling.every((v) => v.toLowerCase() === 'true' || v === '1')) danglingOnly = true;
    else if (!dangling.every((v) => v.toLowerCase() === 'false' || v === '0')) {
      throw invalidArgument(`Invalid filter 'dangling=[${dangling.join(' ')}]'`);
    }
  }
  if (needsReferenceGrammar(filters) && !grammar) throw new Error('compileListQuery: before, since and reference filters need the reference grammar');
  let before = Infinity;
  let since = -Infinity;
  let until = Infinity;
  for (const v of filters.get('before') ?? []) before = Math.min(before, grammar!.createdOf(v));
  for (const v of filters.get('since') ?? []) since = Math.max(since, grammar!.createdOf(v));
  for (const v of filters.get('until') ?? []) until = Math.min(until, parseTimestamp(v));
  const patterns = filters.get('reference');
  return {
    all: Boolean(opts.all),
    details: Boolean(opts.details),
    danglingOnly,
    untaggedHidden: dangling !== undefined && !danglingOnly,
    before,
    since,
    until,
    labels: filters.get('label'),
    matchRef: patterns ? (fam, name) => patterns.some((p) => grammar!.matchRef(p, fam, name)) : undefined,
  };
}

/**
 * `images`: Docker's image list semantics (moby's Images()), newest first. The base comes from
 * the store's cache when it is current; otherwise it is read from the tables, and then cached if
 * that can be done without waiting. `cache: false` reads the tables only and caches nothing.
 */
export function readListing(engine: EngineCore, q: ListQuery, opts: { cache?: boolean } = {}): ImageListing {
  const useCache = opts.cache !== false;
  const withLabels = q.details || q.labels !== undefined;
  const db = engine.store.db;
  const read = db
    .transaction(() => {
      const cached = useCache ? readListingCache(db, engine.store.paths, PATCH_LIMIT) : undefined;
      const more = withLabels ? readParentsAndLabels(db) : undefined;
      // Cached and current, else cached before some changes and patched with them, else read whole.
      let base = cached?.bytes ? decodeListingBase(cached.bytes) : undefined;
      let store = false;
      if (!base && cached?.earlier) {
        const earlier = decodeListingBase(cached.earlier.bytes);
        base = earlier && patchListingBase(db, earlier, cached.earlier.changed);
        store = base !== undefined;
      }
      // The cache stands for the tables read with it; should they disagree, the tables win.
      if (base && more && more.count !== base.length) base = undefined;
      if (!base) {
        base = computeListingBase(db);
        store = true;
      }
      const at = store && cached?.generation !== undefined ? { generation: cached.generation, seq: cached.seq } : undefined;
      return { base, more, at };
    })
    .deferred();
  if (read.at) {
    const bytes = encodeListingBase(read.base);
    if (bytes) writeListingCache(db, engine.store.paths, read.at, bytes);
  }
  return filterBase(read.base, q, read.more);
}

/** The parent and labels columns, in the images table's primary-key order (the base's scanIndex). */
function readParentsAndLabels(db: DB): { count: number; parent: Column; labels: Column } {
  const { count, cols } = readColumns(db, 'images NOT INDEXED', ['parent', 'labels'], ['parent', 'labels']);
  return { count, parent: cols[0]!, labels: cols[1]! };
}

/** The listing: the images of the base that pass the filters, in the base's order. */
function filterBase(base: ListingBase, q: ListQuery, more: { count: number; parent: Column; labels: Column } | undefined): ImageListing {
  const { danglingOnly, before, since, until, details } = q;
  const labelFilter = q.labels;
  const n = base.length;
  const refs = base.refs;
  if (more && more.count !== n) throw new Error('listing: the images table changed while it was read');
  // No filter, and no untagged parent to hide: the whole base, without a pass over it.
  const unfiltered = !danglingOnly && !q.untaggedHidden && !q.matchRef && before === Infinity && since === -Infinity && until === Infinity;
  if (unfiltered && !more && (q.all || base.isParent.indexOf(1) < 0)) return wholeBase(base, [], []);
  const labelsOf = more ? new Array<Record<string, string> | null>(n) : [];
  const keep = new Int32Array(n);
  let kept = 0;
  // Reference filtering drops some references of an image; refOn marks the ones kept.
  const refOn = q.matchRef ? new Uint8Array(refs.from.length) : undefined;
  for (let p = 0; p < n; p++) {
    const c = base.createdMs[p]!;
    if (c >= before || c <= since || c > until) continue;
    if (more) {
      const json = field(more.labels, base.scanIndex[p]!);
      const labels = json ? (JSON.parse(json) as Record<string, string>) : null;
      if (labelFilter && !matchLabels(labelFilter, labels)) continue;
      labelsOf[p] = labels;
    }
    if (danglingOnly && base.isParent[p]) continue;
    let nref = 0;
    let tags = 0;
    for (let r = refs.at[p]!; r < refs.at[p + 1]!; r++) {
      if (refOn && q.matchRef) {
        // The familiar string (repository:tag or repository@digest) and the familiar name.
        const fam = refs.text.slice(refs.familiar[r]!, refs.to[r]!);
        if (!q.matchRef(fam, fam.slice(0, refs.split[r]! - refs.familiar[r]!))) continue;
        refOn[r] = 1;
      }
      nref++;
      if (!refs.digest[r]) tags++;
    }
    if (nref === 0) {
      if (!q.all && base.isParent[p]) continue;
      if (q.untaggedHidden) continue;
      if (q.matchRef) continue;
    } else if (danglingOnly && tags > 0) continue;
    keep[kept++] = p;
  }

  const parent = details && more ? new Array<string | null>(kept) : [];
  const labels = details ? new Array<Record<string, string> | null>(kept) : [];
  if (details && more) {
    for (let i = 0; i < kept; i++) {
      const p = keep[i]!;
      parent[i] = field(more.parent, base.scanIndex[p]!) || null;
      labels[i] = labelsOf[p]!;
    }
  }
  if (kept === n && !refOn) return wholeBase(base, parent, labels);
  let nrefs = 0;
  for (let i = 0; i < kept; i++) {
    const p = keep[i]!;
    if (!refOn) nrefs += refs.at[p + 1]! - refs.at[p]!;
    else for (let r = refs.at[p]!; r < refs.at[p + 1]!; r++) nrefs += refOn[r]!;
  }
  const out: ImageListing = {
    length: kept,
    idText: base.idText,
    idFrom: new Int32Array(kept),
    idTo: new Int32Array(kept),
    idHexFrom: new Int32Array(kept),
    createdMs: new Float64Array(kept),
    size: new Float64Array(kept),
    parent,
    labels,
    refStart: new Int32Array(kept + 1),
    refText: refs.text,
    refFrom: new Int32Array(nrefs),
    refSplit: new Int32Array(nrefs),
    refTo: new Int32Array(nrefs),
    refIsDigest: new Uint8Array(nrefs),
    refFamiliar: new Int32Array(nrefs),
  };
  let ri = 0;
  for (let i = 0; i < kept; i++) {
    const p = keep[i]!;
    out.idFrom[i] = base.idFrom[p]!;
    out.idTo[i] = base.idTo[p]!;
    out.idHexFrom[i] = base.idHexFrom[p]!;
    out.createdMs[i] = base.createdMs[p]!;
    out.size[i] = base.size[p]!;
    out.refStart[i] = ri;
    for (let r = refs.at[p]!; r < refs.at[p + 1]!; r++) {
      if (refOn && !refOn[r]) continue;
      out.refFrom[ri] = refs.from[r]!;
      out.refSplit[ri] = refs.split[r]!;
      out.refTo[ri] = refs.to[r]!;
      out.refIsDigest[ri] = refs.digest[r]!;
      out.refFamiliar[ri] = refs.familiar[r]!;
      ri++;
    }
  }
  out.refStart[kept] = ri;
  return out;
}

export function imageSummaries(l: ImageListing): ImageSummary[] {
  const out: ImageSummary[] = new Array(l.length);
  for (let i = 0; i < l.length; i++) {
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (let r = l.refStart[i]!; r < l.refStart[i + 1]!; r++) {
      const fam = l.refText.slice(l.refFamiliar[r]!, l.refTo[r]!);
      if (l.refIsDigest[r]) repoDigests.push(fam);
      else repoTags.push(fam);
    }
    if (repoTags.length === 0 && repoDigests.length === 0) {
      repoTags.push('<none>:<none>');
      repoDigests.push('<none>@<none>');
    }
    out[i] = {
      Containers: -1,
      Created: Math.floor(l.createdMs[i]! / 1000),
      Id: listingId(l, i),
      Labels: l.labels[i]!,
      ParentId: l.parent[i] ?? '',
      RepoDigests: repoDigests,
      RepoTags: repoTags,
      SharedSize: -1,
      Size: l.size[i]!,
      VirtualSize: l.size[i]!,
    };
  }
  return out;
}

/** Every image of the base with all its references: the base's own columns are the listing's. */
function wholeBase(base: ListingBase, parent: (string | null)[], labels: (Record<string, string> | null)[]): ImageListing {
  const refs = base.refs;
  return {
    length: base.length,
    idText: base.idText,
    idFrom: base.idFrom,
    idTo: base.idTo,
    idHexFrom: base.idHexFrom,
    createdMs: base.createdMs,
    size: base.size,
    parent,
    labels,
    refStart: refs.at,
    refText: refs.text,
    refFrom: refs.from,
    refSplit: refs.split,
    refTo: refs.to,
    refIsDigest: refs.digest,
    refFamiliar: refs.familiar,
  };
}
