// The listing's base: every image of the store with what the default columns and the filters
// on them need, in listing order (newest first, then by ID). It is read from the store's tables
// as whole columns, or decoded from the store's cached copy (listing-base-codec.ts).
import type { DB } from '../store/db.js';

/** Whether t holds `lit` at `at` (compared in a loop: a builtin call per reference costs more). */
function holds(t: string, at: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) if (t.charCodeAt(at + i) !== lit.charCodeAt(i)) return false;
  return true;
}

/** Where familiarRepo's result starts in the canonical repository t[from .. split). */
export function familiarStart(t: string, from: number, split: number): number {
  if (split - from < 10 || !holds(t, from, 'docker.io/')) return from;
  const rest = from + 10;
  if (split - rest < 8 || !holds(t, rest, 'library/')) return rest;
  for (let i = rest + 8; i < split; i++) if (t.charCodeAt(i) === 0x2f) return rest;
  return rest + 8;
}

/** Where the part after the first ':' of t[from .. to) starts, or from. */
export function hexStart(t: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (t.charCodeAt(i) === 0x3a) return i + 1;
  return from;
}

// Whole columns are read as one string each (group_concat) and cut up here: better-sqlite3 makes
// a JS value per cell, which for 100,000 rows costs several times more than the query itself.
// Fields are digests, numbers, reference names and JSON text, none of which holds the unit
// separator; the count checks fall back to reading row by row if a damaged store breaks that.
const SEP = '\x1f';

/** A column as one string: field i is text[start[i] .. start[i + 1] - 1). */
export interface Column {
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

export function columnOf(values: unknown[]): Column {
  const parts = values.map((v) => (v === null || v === undefined ? '' : String(v)));
  const start = new Int32Array(parts.length + 1);
  for (let i = 0; i < parts.length; i++) start[i + 1] = start[i]! + parts[i]!.length + 1;
  return { text: parts.join(SEP), start };
}

/** Reads whole columns of a table in the order of the given FROM clause; nullable ones are read as ''. */
export function readColumns(db: DB, from: string, columns: string[], nullable: readonly string[] = []): { count: number; cols: Column[] } {
  // group_concat skips NULLs; ifnull costs a call per row, so only where a NULL can be.
  const aggregates = columns.map((c) => `group_concat(${nullable.includes(c) ? `ifnull(${c}, '')` : c}, char(31))`).join(', ');
  const row = db.prepare(`SELECT count(*), ${aggregates} FROM ${from}`).raw().get() as [number, ...(string | null)[]];
  const count = row[0];
  const cols = row.slice(1).map((t) => cutColumn(t as string | null, count));
  if (cols.every((c) => c !== undefined)) return { count, cols: cols as Column[] };
  const rows = db.prepare(`SELECT ${columns.join(', ')} FROM ${from}`).raw().all() as unknown[][];
  return { count: rows.length, cols: columns.map((_, c) => columnOf(rows.map((r) => r[c]))) };
}

export const field = (c: Column, i: number): string => c.text.slice(c.start[i]!, c.start[i + 1]! - 1);

/** Integer fields are parsed in place; anything else (a REAL, a huge value) through Number(). */
export function numbers(c: Column, count: number): Float64Array {
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
export const isAscii = (text: string): boolean => Buffer.byteLength(text, 'utf8') === text.length;

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
export interface ImageRefs {
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

/** Images in some order: image p's ID is idText[idFrom[p] .. idTo[p]). */
export interface ImageColumns {
  length: number;
  idText: string;
  idFrom: Int32Array;
  idTo: Int32Array;
  /** Where the ID's hex part starts: after its first ':' (as docker's TruncateID cuts), else at idFrom. */
  idHexFrom: Int32Array;
  createdMs: Float64Array;
  size: Float64Array;
}

/**
 * Every image of the store in listing order: newest first, then by ID. Image p's references
 * are refs.at[p] .. refs.at[p + 1] - 1.
 */
export interface ListingBase extends ImageColumns {
  /** 1 when some image names image p as its parent (intermediate and dangling images). */
  isParent: Uint8Array;
  /** Where image p comes in a scan of the images table in primary-key order (where more columns, read later, line up). */
  scanIndex: Int32Array;
  refs: ImageRefs;
}

/** The base read from the tables; run it inside a read transaction. */
export function computeListingBase(db: DB): ListingBase {
  // NOT INDEXED: the table itself, in primary-key (ID) order.
  const images = readColumns(db, 'images NOT INDEXED', ['id', 'created', 'size']);
  const n = images.count;
  const [ids, createdCol, sizeCol] = images.cols as [Column, Column, Column];
  let ascending = isAscii(ids.text);
  for (let k = 1; k < n && ascending; k++) ascending = precedes(ids.text, ids.start, k);
  const refs = (ascending ? refsByMerge(db, ids) : undefined) ?? refsByMap(db, ids, n);
  const parents = new Set(db.prepare('SELECT DISTINCT parent FROM images WHERE parent IS NOT NULL').pluck().all() as string[]);

  const created = numbers(createdCol, n);
  const size = numbers(sizeCol, n);
  const all = new Int32Array(n);
  for (let k = 0; k < n; k++) all[k] = k;
  const order = newestFirst(all, created, ids, ascending);

  const nrefs = refs.at[n]!;
  const base: ListingBase = {
    length: n,
    idText: ids.text,
    idFrom: new Int32Array(n),
    idTo: new Int32Array(n),
    idHexFrom: new Int32Array(n),
    createdMs: new Float64Array(n),
    size: new Float64Array(n),
    isParent: new Uint8Array(n),
    scanIndex: order,
    refs: {
      at: new Int32Array(n + 1),
      text: refs.text,
      from: new Int32Array(nrefs),
      split: new Int32Array(nrefs),
      to: new Int32Array(nrefs),
      digest: new Uint8Array(nrefs),
      familiar: new Int32Array(nrefs),
    },
  };
  const out = base.refs;
  let j = 0;
  for (let p = 0; p < n; p++) {
    const k = order[p]!;
    const from = ids.start[k]!;
    const to = ids.start[k + 1]! - 1;
    base.idFrom[p] = from;
    base.idTo[p] = to;
    base.idHexFrom[p] = hexStart(ids.text, from, to);
    base.createdMs[p] = created[k]!;
    base.size[p] = size[k]!;
    if (parents.size > 0 && parents.has(ids.text.slice(from, to))) base.isParent[p] = 1;
    out.at[p] = j;
    for (let r = refs.at[k]!; r < refs.at[k + 1]!; r++, j++) {
      out.from[j] = refs.from[r]!;
      out.split[j] = refs.split[r]!;
      out.to[j] = refs.to[r]!;
      out.digest[j] = refs.digest[r]!;
      out.familiar[j] = refs.familiar[r]!;
    }
  }
  out.at[n] = j;
  return base;
}
