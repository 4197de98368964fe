// The images listing: Docker's image list semantics over the store's tables, read as whole
// columns. It does not depend on the reference grammar: filters that need it (before, since,
// reference) come compiled by list.ts, so `images` without them does not load it.
import type { EngineCore } from './engine.js';
import type { ImageSummary } from './types.js';
import type { DB } from '../store/db.js';
import { validateFilters, matchLabels, parseTimestamp, type Filters } from './filters.js';
import { invalidArgument } from '../image/errors.js';

const ACCEPTED = ['dangling', 'label', 'before', 'since', 'reference', 'until'];

export interface ListOptions {
  all?: boolean;
  filters?: Filters;
}

/**
 * The images listing in columns, as `images` shows it: what ImageSummary objects are made of,
 * kept as ranges of the texts read from the store, so that a table of 100,000 images is written
 * without making a string per cell (see listingId, refRepo, refTag, refDigest for the values).
 */
export interface ImageListing {
  length: number;
  /** Image i of the listing (newest first, then by ID): its ID is idText[idFrom[i] .. idTo[i]). */
  idText: string;
  idFrom: Int32Array;
  idTo: Int32Array;
  /** Where the ID's hex part starts: after its first ':' (as docker's TruncateID cuts), else at idFrom. */
  idHexFrom: Int32Array;
  createdMs: Float64Array;
  size: Float64Array;
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

/** Whether t holds `lit` at `at` (compared in a loop: a builtin call per reference costs more). */
function holds(t: string, at: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) if (t.charCodeAt(at + i) !== lit.charCodeAt(i)) return false;
  return true;
}

/** Where familiarRepo's result starts in the canonical repository t[from .. split). */
function familiarStart(t: string, from: number, split: number): number {
  if (split - from < 10 || !holds(t, from, 'docker.io/')) return from;
  const rest = from + 10;
  if (split - rest < 8 || !holds(t, rest, 'library/')) return rest;
  for (let i = rest + 8; i < split; i++) if (t.charCodeAt(i) === 0x2f) return rest;
  return rest + 8;
}

/** Where the part after the first ':' of t[from .. to) starts, or from. */
function hexStart(t: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (t.charCodeAt(i) === 0x3a) return i + 1;
  return from;
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

// Whole columns are read as one string each (group_concat) and cut up here: better-sqlite3 makes
// a JS value per cell, which for 100,000 rows costs several times more than the query itself.
// Fields are digests, numbers, reference names and JSON text, none of which holds the unit
// separator; the count checks fall back to reading row by row if a damaged store breaks that.
const SEP = '\x1f';

/** A column as one string: field i is text[start[i] .. start[i + 1] - 1). */
interface Column {
  text: string;
  start: Int32Array;
}

function cutColumn(text: string | null, count: number): Column | undefined {
  const start = new Int32Array(count + 1);
  if (count === 0) return { text: '', start };
  if (text === null) return undefined;
  let p = 0;
  for (let i = 0; i < count; i++) {
    start[i] = p;
    const q = text.indexOf(SEP, p);
    if (q < 0) {
      if (i !== count - 1) return undefined;
      p = text.length + 1;
    } else p = q + 1;
  }
  if (p !== text.length + 1) return undefined;
  start[count] = p;
  return { text, start };
}

function columnOf(values: unknown[]): Column {
  const parts = values.map((v) => (v === null || v === undefined ? '' : String(v)));
  const start = new Int32Array(parts.length + 1);
  for (let i = 0; i < parts.length; i++) start[i + 1] = start[i]! + parts[i]!.length + 1;
  return { text: parts.join(SEP), start };
}

/** Reads whole columns of a table in the order of the given FROM clause; nullable ones are read as ''. */
function readColumns(db: DB, from: string, columns: string[], nullable: readonly string[] = []): { count: number; cols: Column[] } {
  // group_concat skips NULLs; ifnull costs a call per row, so only where a NULL can be.
  const aggregates = columns.map((c) => `group_concat(${nullable.includes(c) ? `ifnull(${c}, '')` : c}, char(31))`).join(', ');
  const row = db.prepare(`SELECT count(*), ${aggregates} FROM ${from}`).raw().get() as [number, ...(string | null)[]];
  const count = row[0];
  const cols = row.slice(1).map((t) => cutColumn(t as string | null, count));
  if (cols.every((c) => c !== undefined)) return { count, cols: cols as Column[] };
  const rows = db.prepare(`SELECT ${columns.join(', ')} FROM ${from}`).raw().all() as unknown[][];
  return { count: rows.length, cols: columns.map((_, c) => columnOf(rows.map((r) => r[c]))) };
}

const field = (c: Column, i: number): string => c.text.slice(c.start[i]!, c.start[i + 1]! - 1);

/** Integer fields are parsed in place; anything else (a REAL, a huge value) through Number(). */
function numbers(c: Column, count: number): Float64Array {
  const out = new Float64Array(count);
  const t = c.text;
  for (let i = 0; i < count; i++) {
    const s = c.start[i]!;
    const e = c.start[i + 1]! - 1;
    let p = s;
    const neg = t.charCodeAt(p) === 45;
    if (neg) p++;
    let v = 0;
    let ok = p < e;
    for (; p < e; p++) {
      const d = t.charCodeAt(p) - 48;
      if (d < 0 || d > 9) {
        ok = false;
        break;
      }
      v = v * 10 + d;
    }
    out[i] = ok && v <= Number.MAX_SAFE_INTEGER ? (neg ? -v : v) : Number(t.slice(s, e));
  }
  return out;
}

/**
 * Whether the text is all ASCII, where JavaScript's string order (UTF-16 units) is SQLite's
 * BINARY order (UTF-8 bytes).
 */
const isAscii = (text: string): boolean => Buffer.byteLength(text, 'utf8') === text.length;

/** Whether field k - 1 sorts before field k (the column text all ASCII): a loop that stops at the first difference. */
function precedes(t: string, start: Int32Array, k: number): boolean {
  let a = start[k - 1]!;
  let b = start[k]!;
  const ae = start[k]! - 1;
  const be = start[k + 1]! - 1;
  for (; a < ae && b < be; a++, b++) {
    const x = t.charCodeAt(a);
    const y = t.charCodeAt(b);
    if (x !== y) return x < y;
  }
  return ae - a < be - b;
}

/** References grouped by image: those of image k are j = at[k] .. at[k + 1] - 1, in name order, as ranges of text. */
interface ImageRefs {
  at: Int32Array;
  text: string;
  from: Int32Array;
  split: Int32Array;
  to: Int32Array;
  digest: Uint8Array;
  familiar: Int32Array;
}

/**
 * The references through the refs_image index, which holds (image_id, name) in that order: a
 * scan of it comes grouped by image and in image-ID order, the order of the images scan, so
 * the two are merged in one pass. Every writer stores the name as repo:tag or repo@digest, so
 * the name is all that is read. Undefined when anything is not as expected; the caller then
 * reads the table's own columns.
 */
function refsByMerge(db: DB, idCol: Column): ImageRefs | undefined {
  const n = idCol.start.length - 1;
  // The current image's ID, made when the merge reaches it.
  let k = 0;
  let image = n > 0 ? field(idCol, 0) : '';
  const next = () => {
    k++;
    image = k < n ? field(idCol, k) : '';
  };
  const refs = readColumns(db, 'refs INDEXED BY refs_image', ['image_id', 'name']);
  const [refIds, names] = refs.cols as [Column, Column];
  if (!isAscii(refIds.text)) return undefined;
  const nrefs = refs.count;
  const at = new Int32Array(n + 1);
  const from = new Int32Array(nrefs);
  const split = new Int32Array(nrefs);
  const to = new Int32Array(nrefs);
  const digest = new Uint8Array(nrefs);
  const familiar = new Int32Array(nrefs);
  const t = names.text;
  let kept = 0;
  let nextAt = -1;
  let prev = '';
  // Strings compared whole (a builtin each) rather than bytes in a loop: this runs once per
  // process, mostly before the JIT has compiled anything. A reference nearly always belongs to
  // the current image, which one equality test confirms (and then they are in order, as the
  // images are); only otherwise are they ordered.
  for (let r = 0; r < nrefs; r++) {
    const id = field(refIds, r);
    if (k === n || image !== id) {
      if (id < prev) return undefined;
      while (k < n && image < id) next();
      prev = id;
      if (k === n || image !== id) continue; // a reference to a missing image is not listed
    }
    prev = id;
    at[k + 1]!++;
    // The name: repository, then '@' and a digest, or the last ':' and a tag (which has no '/').
    const ns = names.start[r]!;
    const ne = names.start[r + 1]! - 1;
    if (nextAt < ns) nextAt = t.indexOf('@', ns) >>> 0;
    let sp: number;
    if (nextAt < ne) {
      sp = nextAt;
      digest[kept] = 1;
    } else {
      sp = t.lastIndexOf(':', ne);
      if (sp < ns || t.indexOf('/', sp) >>> 0 < ne) return undefined;
    }
    if (sp === ns || sp === ne - 1) return undefined;
    from[kept] = ns;
    split[kept] = sp;
    to[kept] = ne;
    familiar[kept] = familiarStart(t, ns, sp);
    kept++;
  }
  for (let j = 0; j < n; j++) at[j + 1]! += at[j]!;
  return { at, text: t, from, split, to, digest, familiar };
}

/** The same from the table's columns, joined through a Map: for stores where the merge does not apply. */
function refsByMap(db: DB, ids: Column, n: number): ImageRefs {
  const rows = db.prepare('SELECT image_id, repo, tag, digest FROM refs ORDER BY name').raw().all() as [string, string, string | null, string | null][];
  const index = new Map<string, number>();
  for (let k = 0; k < n; k++) index.set(field(ids, k), k);
  const owner = rows.map(([id]) => index.get(id) ?? -1);
  const at = new Int32Array(n + 1);
  for (const k of owner) if (k >= 0) at[k + 1]!++;
  for (let j = 0; j < n; j++) at[j + 1]! += at[j]!;
  const slot = at.slice(0, n);
  const total = at[n]!;
  const names = new Array<string>(total);
  const repoLen = new Int32Array(total);
  const digest = new Uint8Array(total);
  rows.forEach(([, repo, tag, dg], r) => {
    const k = owner[r]!;
    if (k < 0) return;
    const j = slot[k]!++;
    names[j] = tag !== null ? `${repo}:${tag}` : `${repo}@${dg}`;
    repoLen[j] = repo.length;
    digest[j] = tag !== null ? 0 : 1;
  });
  const col = columnOf(names);
  const split = repoLen.map((x, j) => col.start[j]! + x);
  return {
    at,
    text: col.text,
    from: col.start.slice(0, total),
    split,
    to: col.start.slice(1).map((x) => x - 1),
    digest,
    familiar: split.map((x, j) => familiarStart(col.text, col.start[j]!, x)),
  };
}

/**
 * Positions sorted newest first, then by ID. When the scan came in ID order, index order is ID
 * order, and the sort runs natively on integer keys (age, index) with no comparator: in a
 * double when they fit in its 53 bits, else in a BigInt64Array.
 */
function newestFirst(keep: Int32Array, created: Float64Array, ids: Column, idsAscending: boolean): Int32Array {
  const m = keep.length;
  let lo = Infinity;
  let hi = -Infinity;
  let integral = true;
  for (let j = 0; j < m; j++) {
    const c = created[keep[j]!]!;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
    if (!Number.isInteger(c)) integral = false;
  }
  const bits = Math.max(1, Math.ceil(Math.log2(created.length + 1)));
  const span = hi - lo;
  if (m > 1 && idsAscending && integral && span < 2 ** (53 - bits)) {
    const scale = 2 ** bits;
    const keys = new Float64Array(m);
    for (let j = 0; j < m; j++) keys[j] = (hi - created[keep[j]!]!) * scale + keep[j]!;
    keys.sort();
    const out = new Int32Array(m);
    // scale is a power of two: the division is exact, so is what remains.
    for (let j = 0; j < m; j++) out[j] = keys[j]! - Math.floor(keys[j]! / scale) * scale;
    return out;
  }
  if (m > 1 && idsAscending && integral && span < Math.min(2 ** (62 - bits), Number.MAX_SAFE_INTEGER)) {
    const shift = BigInt(bits);
    const keys = new BigInt64Array(m);
    for (let j = 0; j < m; j++) keys[j] = (BigInt(hi - created[keep[j]!]!) << shift) | BigInt(keep[j]!);
    keys.sort();
    const mask = (1n << shift) - 1n;
    const out = new Int32Array(m);
    for (let j = 0; j < m; j++) out[j] = Number(keys[j]! & mask);
    return out;
  }
  return keep.slice().sort((a, b) => {
    if (created[a] !== created[b]) return created[b]! - created[a]!;
    const x = field(ids, a);
    const y = field(ids, b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
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

/** `images`: Docker's image list semantics (moby's Images()), newest first. */
export function readListing(engine: EngineCore, q: ListQuery): ImageListing {
  const { danglingOnly, before, since, until, details } = q;
  const labelFilter = q.labels;
  const withLabels = details || labelFilter !== undefined;
  const store = engine.store;
  const db = store.db;
  const columns = ['id', 'created', 'size', 'parent', 'labels'].slice(0, withLabels ? 5 : details ? 4 : 3);
  const { images, refs, parents } = db
    .transaction(() => {
      // NOT INDEXED: the table itself, in primary-key (ID) order.
      const images = readColumns(db, 'images NOT INDEXED', columns, ['parent', 'labels']);
      const idCol = images.cols[0]!;
      const hex = new Int32Array(images.count);
      for (let k = 0; k < images.count; k++) hex[k] = hexStart(idCol.text, idCol.start[k]!, idCol.start[k + 1]! - 1);
      let ascending = isAscii(idCol.text);
      for (let k = 1; k < images.count && ascending; k++) ascending = precedes(idCol.text, idCol.start, k);
      return {
        images: { ...images, ascending, hex },
        refs: (ascending ? refsByMerge(db, idCol) : undefined) ?? refsByMap(db, idCol, images.count),
        parents: new Set(db.prepare('SELECT DISTINCT parent FROM images WHERE parent IS NOT NULL').pluck().all() as string[]),
      };
    })
    .deferred();

  const n = images.count;
  const ids = images.cols[0]!;
  const created = numbers(images.cols[1]!, n);
  const labelsCol = withLabels ? images.cols[4]! : undefined;
  const labelsOf = withLabels ? new Array<Record<string, string> | null>(n) : [];
  const keep = new Int32Array(n);
  let kept = 0;
  // Reference filtering drops some references of an image; refOn marks the ones kept.
  const refOn = q.matchRef ? new Uint8Array(refs.from.length) : undefined;
  for (let k = 0; k < n; k++) {
    const c = created[k]!;
    if (c >= before || c <= since || c > until) continue;
    if (labelsCol) {
      const json = field(labelsCol, k);
      const labels = json ? (JSON.parse(json) as Record<string, string>) : null;
      if (labelFilter && !matchLabels(labelFilter, labels)) continue;
      labelsOf[k] = labels;
    }
    if (danglingOnly && parents.has(field(ids, k))) continue;
    let nref = 0;
    let tags = 0;
    for (let r = refs.at[k]!; r < refs.at[k + 1]!; r++) {
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
      if (!(q.all || !parents.has(field(ids, k)))) continue;
      if (q.untaggedHidden) continue;
      if (q.matchRef) continue;
    } else if (danglingOnly && tags > 0) continue;
    keep[kept++] = k;
  }

  const order = newestFirst(keep.subarray(0, kept), created, ids, images.ascending);
  const size = numbers(images.cols[2]!, n);
  let nrefs = 0;
  for (let i = 0; i < kept; i++) {
    const k = order[i]!;
    if (!refOn) nrefs += refs.at[k + 1]! - refs.at[k]!;
    else for (let r = refs.at[k]!; r < refs.at[k + 1]!; r++) nrefs += refOn[r]!;
  }
  const out: ImageListing = {
    length: kept,
    idText: ids.text,
    idFrom: new Int32Array(kept),
    idTo: new Int32Array(kept),
    idHexFrom: new Int32Array(kept),
    createdMs: new Float64Array(kept),
    size: new Float64Array(kept),
    parent: details ? new Array<string | null>(kept) : [],
    labels: details ? new Array<Record<string, string> | null>(kept) : [],
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
    const k = order[i]!;
    out.idFrom[i] = ids.start[k]!;
    out.idTo[i] = ids.start[k + 1]! - 1;
    out.idHexFrom[i] = images.hex[k]!;
    out.createdMs[i] = created[k]!;
    out.size[i] = size[k]!;
    if (details) {
      out.parent[i] = field(images.cols[3]!, k) || null;
      out.labels[i] = labelsOf[k]!;
    }
    out.refStart[i] = ri;
    for (let r = refs.at[k]!; r < refs.at[k + 1]!; r++) {
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

