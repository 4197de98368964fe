import type { EngineCore } from './engine.js';
import type { ImageSummary } from './types.js';
import type { DB } from '../store/db.js';
import { validateFilters, matchLabels, parseTimestamp, type Filters } from './filters.js';
import { familiarRef, familiarRepo } from '../image/familiar.js';
import { resolveImage } from './resolve.js';
import { goPathMatch } from '../image/reference.js';
import { invalidArgument } from '../image/errors.js';

const ACCEPTED = ['dangling', 'label', 'before', 'since', 'reference', 'until'];

export interface ListOptions {
  all?: boolean;
  filters?: Filters;
}

/**
 * The images listing in columns, as `images` shows it: what ImageSummary objects are made of,
 * without making 100,000 of them when a table is all that is wanted.
 */
export interface ImageListing {
  length: number;
  /** Image i of the listing (newest first, then by ID). */
  id: string[];
  createdMs: number[];
  size: number[];
  /** With `details` only: parent ID and labels. */
  parent: (string | null)[];
  labels: (Record<string, string> | null)[];
  /**
   * The references of image i that passed the filters are ref*[refStart[i] .. refStart[i + 1]),
   * in reference-name order; none means an untagged image (shown as <none>).
   */
  refStart: Int32Array;
  /** Canonical repository, e.g. docker.io/library/busybox. */
  refRepo: string[];
  refTag: (string | null)[];
  refDigest: (string | null)[];
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

/** Reads whole columns of a table in the order of the given FROM clause. */
function readColumns(db: DB, from: string, columns: string[]): { count: number; cols: Column[] } {
  const aggregates = columns.map((c) => `group_concat(ifnull(${c}, ''), char(31))`).join(', ');
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

/** A column's UTF-8 bytes, usable with the text's offsets when the text is all ASCII. */
function asciiBytes(c: Column): DataView | undefined {
  const b = Buffer.from(c.text, 'utf8');
  return b.length === c.text.length ? new DataView(b.buffer, b.byteOffset, b.byteLength) : undefined;
}

/** Compares a[as .. ae) with b[bs .. be) as SQLite's BINARY collation does, four bytes at a time. */
function compareBytes(a: DataView, as: number, ae: number, b: DataView, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = a.getUint32(as + i);
    const y = b.getUint32(bs + i);
    if (x !== y) return x < y ? -1 : 1;
  }
  for (; i < n; i++) {
    const x = a.getUint8(as + i);
    const y = b.getUint8(bs + i);
    if (x !== y) return x < y ? -1 : 1;
  }
  return ae - as - (be - bs);
}

/**
 * Equal substrings of a text as one string object: a repository's name is made once however
 * many references it has, and V8 then hashes it once wherever it is looked up.
 */
class Interner {
  private slots = new Int32Array(256).fill(-1);
  private readonly strings: string[] = [];
  private readonly hashes: number[] = [];

  get(t: string, s: number, e: number): string {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
    const mask = this.slots.length - 1;
    for (let j = h & mask; ; j = (j + 1) & mask) {
      const k = this.slots[j]!;
      if (k === -1) {
        const str = t.slice(s, e);
        this.slots[j] = this.strings.length;
        this.strings.push(str);
        this.hashes.push(h);
        if (this.strings.length * 2 > this.slots.length) this.grow();
        return str;
      }
      if (this.hashes[k] !== h) continue;
      const str = this.strings[k]!;
      if (str.length !== e - s) continue;
      let i = 0;
      while (i < str.length && str.charCodeAt(i) === t.charCodeAt(s + i)) i++;
      if (i === str.length) return str;
    }
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    this.hashes.forEach((h, k) => {
      let j = h & mask;
      while (this.slots[j] !== -1) j = (j + 1) & mask;
      this.slots[j] = k;
    });
  }
}

/** References grouped by image: those of image k are ref*[at[k] .. at[k + 1]), in name order. */
interface ImageRefs {
  at: Int32Array;
  repo: string[];
  tag: (string | null)[];
  digest: (string | null)[];
}

/**
 * The references through the refs_image index, which holds (image_id, name) in that order: a
 * scan of it comes grouped by image and in image-ID order, the order of the images scan, so
 * the two are merged in one pass. The name is split back into its parts (every writer stores
 * repo:tag or repo@digest). Undefined when anything is not as expected; the caller then reads
 * the table's own columns.
 */
function refsByMerge(db: DB, ids: Column, imgBytes: DataView, n: number): ImageRefs | undefined {
  const refs = readColumns(db, 'refs INDEXED BY refs_image', ['image_id', 'name']);
  const [refIds, names] = refs.cols as [Column, Column];
  const refBytes = asciiBytes(refIds);
  if (!refBytes) return undefined;
  const nrefs = refs.count;
  const at = new Int32Array(n + 1);
  const keep = new Int32Array(nrefs);
  let kept = 0;
  let k = 0;
  for (let r = 0; r < nrefs; r++) {
    const s = refIds.start[r]!;
    const e = refIds.start[r + 1]! - 1;
    if (r > 0 && compareBytes(refBytes, refIds.start[r - 1]!, s - 1, refBytes, s, e) > 0) return undefined;
    let c = -1;
    while (k < n && (c = compareBytes(imgBytes, ids.start[k]!, ids.start[k + 1]! - 1, refBytes, s, e)) < 0) k++;
    if (k === n || c !== 0) continue; // a reference to a missing image: not listed, as before
    at[k + 1]!++;
    keep[kept++] = r;
  }
  for (let j = 0; j < n; j++) at[j + 1]! += at[j]!;
  const repo = new Array<string>(kept);
  const tag = new Array<string | null>(kept);
  const digest = new Array<string | null>(kept);
  const t = names.text;
  const repos = new Interner();
  for (let j = 0; j < kept; j++) {
    const r = keep[j]!;
    const s = names.start[r]!;
    const e = names.start[r + 1]! - 1;
    let colon = -1;
    let p = e - 1;
    for (; p >= s; p--) {
      const ch = t.charCodeAt(p);
      if (ch === 64) break; // '@'
      if (ch === 58 && colon < 0) colon = p; // ':'
      if (ch === 47 && colon < 0) return undefined; // '/' before any ':': not repo:tag
    }
    if (p >= s) {
      repo[j] = repos.get(t, s, p);
      tag[j] = null;
      digest[j] = t.slice(p + 1, e);
    } else {
      if (colon < 0) return undefined;
      repo[j] = repos.get(t, s, colon);
      tag[j] = t.slice(colon + 1, e);
      digest[j] = null;
    }
    if (repo[j] === '' || (tag[j] ?? digest[j]) === '') return undefined;
  }
  return { at, repo, tag, digest };
}

/** The same from the table's columns, joined through a Map: for stores where the merge does not apply. */
function refsByMap(db: DB, ids: Column, n: number): ImageRefs {
  const refs = db.prepare('SELECT image_id, repo, tag, digest FROM refs ORDER BY name').raw().all() as [string, string, string | null, string | null][];
  const index = new Map<string, number>();
  for (let k = 0; k < n; k++) index.set(field(ids, k), k);
  const at = new Int32Array(n + 1);
  const owner = refs.map(([id]) => index.get(id) ?? -1);
  for (const k of owner) if (k >= 0) at[k + 1]!++;
  for (let j = 0; j < n; j++) at[j + 1]! += at[j]!;
  const fill = at.slice(0, n);
  const total = at[n]!;
  const out: ImageRefs = { at, repo: new Array(total), tag: new Array(total), digest: new Array(total) };
  refs.forEach(([, repo, tag, digest], r) => {
    const k = owner[r]!;
    if (k < 0) return;
    const j = fill[k]!++;
    out.repo[j] = repo;
    out.tag[j] = tag || null;
    out.digest[j] = digest || null;
  });
  return out;
}

/**
 * Positions sorted newest first, then by ID. When the scan came in ID order, index order is ID
 * order and the sort runs natively on 64-bit integer keys (age, index), with no comparator.
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
  if (m > 1 && idsAscending && integral && hi - lo < Math.min(2 ** (62 - bits), Number.MAX_SAFE_INTEGER)) {
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

/** `images`: Docker's image list semantics (moby's Images()), newest first. */
export function listImageColumns(engine: EngineCore, opts: ListOptions & { details?: boolean } = {}): ImageListing {
  const filters = opts.filters ?? new Map<string, string[]>();
  validateFilters(filters, ACCEPTED);
  let danglingOnly = false;
  const dangling = filters.get('dangling');
  if (dangling) {
    if (dangling.every((v) => v.toLowerCase() === 'true' || v === '1')) danglingOnly = true;
    else if (!dangling.every((v) => v.toLowerCase() === 'false' || v === '0')) {
      throw invalidArgument(`invalid filter 'dangling=${dangling[0]}'`);
    }
  }
  const store = engine.store;
  const createdOf = (ref: string) => resolveImage(store, ref).created;
  let before = Infinity;
  let since = -Infinity;
  let until = Infinity;
  for (const v of filters.get('before') ?? []) before = Math.min(before, createdOf(v));
  for (const v of filters.get('since') ?? []) since = Math.max(since, createdOf(v));
  for (const v of filters.get('until') ?? []) until = Math.min(until, parseTimestamp(v));
  const labelFilter = filters.get('label');
  const refPatterns = filters.get('reference');
  const details = Boolean(opts.details);
  const withLabels = details || labelFilter !== undefined;

  const db = store.db;
  const columns = ['id', 'created', 'size', 'parent', 'labels'].slice(0, withLabels ? 5 : details ? 4 : 3);
  const { images, refs, parents } = db
    .transaction(() => {
      // NOT INDEXED: the table itself, in primary-key (ID) order.
      const images = readColumns(db, 'images NOT INDEXED', columns);
      const ids = images.cols[0]!;
      const idBytes = asciiBytes(ids);
      let ascending = idBytes !== undefined;
      for (let k = 1; k < images.count && ascending; k++) {
        ascending = compareBytes(idBytes!, ids.start[k - 1]!, ids.start[k]! - 1, idBytes!, ids.start[k]!, ids.start[k + 1]! - 1) < 0;
      }
      return {
        images: { ...images, ascending },
        refs: (ascending ? refsByMerge(db, ids, idBytes!, images.count) : undefined) ?? refsByMap(db, ids, images.count),
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
  const refOn = refPatterns ? new Uint8Array(refs.repo.length) : undefined;
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
      if (refOn) {
        const fam = familiarRef(refs.repo[r]!, refs.tag[r]!, refs.digest[r]!);
        if (!refPatterns!.some((p) => referenceMatches(p, fam, familiarRepo(refs.repo[r]!)))) continue;
        refOn[r] = 1;
      }
      nref++;
      if (refs.tag[r] !== null) tags++;
    }
    if (nref === 0) {
      if (!(opts.all || !parents.has(field(ids, k)))) continue;
      if (dangling && !danglingOnly) continue;
      if (refPatterns) continue;
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
    id: new Array<string>(kept),
    createdMs: new Array<number>(kept),
    size: new Array<number>(kept),
    parent: details ? new Array<string | null>(kept) : [],
    labels: details ? new Array<Record<string, string> | null>(kept) : [],
    refStart: new Int32Array(kept + 1),
    refRepo: new Array<string>(nrefs),
    refTag: new Array<string | null>(nrefs),
    refDigest: new Array<string | null>(nrefs),
  };
  let ri = 0;
  for (let i = 0; i < kept; i++) {
    const k = order[i]!;
    out.id[i] = field(ids, k);
    out.createdMs[i] = created[k]!;
    out.size[i] = size[k]!;
    if (details) {
      out.parent[i] = field(images.cols[3]!, k) || null;
      out.labels[i] = labelsOf[k]!;
    }
    out.refStart[i] = ri;
    for (let r = refs.at[k]!; r < refs.at[k + 1]!; r++) {
      if (refOn && !refOn[r]) continue;
      out.refRepo[ri] = refs.repo[r]!;
      out.refTag[ri] = refs.tag[r]!;
      out.refDigest[ri] = refs.digest[r]!;
      ri++;
    }
  }
  out.refStart[kept] = ri;
  return out;
}

/** `images` as the Engine API's ImageSummary objects (Docker's /images/json). */
export function listImages(engine: EngineCore, opts: ListOptions = {}): ImageSummary[] {
  const l = listImageColumns(engine, { ...opts, details: true });
  const out: ImageSummary[] = new Array(l.length);
  for (let i = 0; i < l.length; i++) {
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (let r = l.refStart[i]!; r < l.refStart[i + 1]!; r++) {
      const fam = familiarRef(l.refRepo[r]!, l.refTag[r]!, l.refDigest[r]!);
      if (l.refTag[r] !== null) repoTags.push(fam);
      else repoDigests.push(fam);
    }
    if (repoTags.length === 0 && repoDigests.length === 0) {
      repoTags.push('<none>:<none>');
      repoDigests.push('<none>@<none>');
    }
    out[i] = {
      Containers: -1,
      Created: Math.floor(l.createdMs[i]! / 1000),
      Id: l.id[i]!,
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

/** Docker's reference.FamiliarMatch: the pattern against the familiar string, then the familiar name. */
export function referenceMatches(pattern: string, familiar: string, familiarName: string): boolean {
  try {
    return goPathMatch(pattern, familiar) || goPathMatch(pattern, familiarName);
  } catch (err) {
    throw invalidArgument((err as Error).message, err);
  }
}
