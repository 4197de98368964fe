// A cached listing base brought up to date by re-reading only the images that changed since it
// was cached (the store's change log names them): at 100,000 images, a few lookups instead of
// reading every image and reference again. The result is what computeListingBase would give.
import type { DB } from '../store/db.js';
import { familiarStart, hexStart, isAscii, type ListingBase } from './listing-base.js';

/** More changed images than this, and the whole base is read again instead. */
export const PATCH_LIMIT = 4096;

interface Fresh {
  id: string;
  created: number;
  size: number;
  isParent: number;
  names: string[];
  repoLen: number[];
  digest: number[];
}

/**
 * The base with the changed images' rows read again from the tables (run it inside the read
 * transaction that read the change log). Undefined when the base cannot be patched, e.g. its
 * texts hold too much left behind by earlier patches: the caller then reads the whole base.
 */
export function patchListingBase(db: DB, base: ListingBase, changed: readonly string[]): ListingBase | undefined {
  const n = base.length;
  const { idText, idFrom, idTo } = base;
  // The images in ID order (the table's): byScan[s] = position in the base.
  const byScan = new Int32Array(n).fill(-1);
  for (let p = 0; p < n; p++) {
    const s = base.scanIndex[p]!;
    if (s < 0 || s >= n || byScan[s] !== -1) return undefined;
    byScan[s] = p;
  }
  /** Compares id with the ID of the image at scan position s, as SQLite's BINARY order does (ASCII). */
  const cmp = (id: string, s: number): number => {
    const p = byScan[s]!;
    const from = idFrom[p]!;
    const len = idTo[p]! - from;
    for (let i = 0; i < id.length && i < len; i++) {
      const d = id.charCodeAt(i) - idText.charCodeAt(from + i);
      if (d !== 0) return d;
    }
    return id.length - len;
  };
  const lowerBound = (id: string): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(id, mid) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const ids = [...new Set(changed)];
  if (!ids.every(isAscii)) return undefined;
  ids.sort();
  const removed = new Uint8Array(n);
  const removedAt: number[] = [];
  const insertAt: number[] = [];
  const fresh: Fresh[] = [];
  const image = db.prepare('SELECT created, size FROM images WHERE id = ?').raw();
  const refs = db.prepare('SELECT name, repo, tag, digest FROM refs WHERE image_id = ? ORDER BY name').raw();
  const hasChild = db.prepare('SELECT 1 FROM images WHERE parent = ? LIMIT 1').pluck();
  for (const id of ids) {
    const s = lowerBound(id);
    if (s < n && cmp(id, s) === 0 && !removed[byScan[s]!]) {
      removed[byScan[s]!] = 1;
      removedAt.push(byScan[s]!);
    }
    const row = image.get(id) as [number, number] | undefined;
    if (!row) continue;
    const f: Fresh = { id, created: Number(row[0]), size: Number(row[1]), isParent: hasChild.get(id) ? 1 : 0, names: [], repoLen: [], digest: [] };
    for (const [name, repo, tag, digest] of refs.all(id) as [string, string, string | null, string | null][]) {
      // Written as repo:tag or repo@digest by every writer; anything else is left to the full read.
      if (name !== (tag !== null ? `${repo}:${tag}` : `${repo}@${digest}`) || !isAscii(name)) return undefined;
      f.names.push(name);
      f.repoLen.push(repo.length);
      f.digest.push(tag !== null ? 0 : 1);
    }
    fresh.push(f);
    insertAt.push(s);
  }

  removedAt.sort((a, b) => a - b);
  const total = n - removedAt.length + fresh.length;

  // New texts: the old ones with the fresh IDs and names appended. What removed rows leave in
  // them stays until the base is read whole again.
  const freshIds = fresh.map((f) => f.id).join('');
  const freshNames = fresh.map((f) => f.names.join('')).join('');
  const newIdText = idText + freshIds;
  const newRefText = base.refs.text + freshNames;
  let liveIdBytes = freshIds.length;
  let liveRefBytes = freshNames.length;
  const oldRefs = base.refs;
  for (let p = 0; p < n; p++) {
    if (removed[p]) continue;
    liveIdBytes += idTo[p]! - idFrom[p]!;
    for (let r = oldRefs.at[p]!; r < oldRefs.at[p + 1]!; r++) liveRefBytes += oldRefs.to[r]! - oldRefs.from[r]!;
  }
  if (newIdText.length > 2 * liveIdBytes + (1 << 16) || newRefText.length > 2 * liveRefBytes + (1 << 16)) return undefined;

  // Ranks in ID order: fresh IDs are sorted, so their insertion points in the old order ascend.
  const keptRank = new Int32Array(n);
  const freshRank = new Int32Array(fresh.length);
  let rank = 0;
  for (let s = 0, f = 0; s <= n; s++) {
    while (f < fresh.length && insertAt[f]! <= s) freshRank[f++] = rank++;
    if (s < n && !removed[byScan[s]!]) keptRank[byScan[s]!] = rank++;
  }

  // Listing order: newest first, then by ID. Fresh rows sorted so, then merged with the kept ones.
  const freshOrder = fresh.map((_, f) => f).sort((a, b) => fresh[b]!.created - fresh[a]!.created || (fresh[a]!.id < fresh[b]!.id ? -1 : 1));
  let nrefs = oldRefs.from.length + fresh.reduce((a, f) => a + f.names.length, 0);
  for (const p of removedAt) nrefs -= oldRefs.at[p + 1]! - oldRefs.at[p]!;
  const out: ListingBase = {
    length: total,
    idText: newIdText,
    idFrom: new Int32Array(total),
    idTo: new Int32Array(total),
    idHexFrom: new Int32Array(total),
    createdMs: new Float64Array(total),
    size: new Float64Array(total),
    isParent: new Uint8Array(total),
    scanIndex: new Int32Array(total),
    refs: {
      at: new Int32Array(total + 1),
      text: newRefText,
      from: new Int32Array(nrefs),
      split: new Int32Array(nrefs),
      to: new Int32Array(nrefs),
      digest: new Uint8Array(nrefs),
      familiar: new Int32Array(nrefs),
    },
  };
  const o = out.refs;
  // Where each fresh row's ID and names sit in the new texts.
  const freshIdAt = new Int32Array(fresh.length);
  const freshNameAt = new Int32Array(fresh.length);
  for (let f = 0, a = idText.length, b = oldRefs.text.length; f < fresh.length; f++) {
    freshIdAt[f] = a;
    freshNameAt[f] = b;
    a += fresh[f]!.id.length;
    b += fresh[f]!.names.reduce((x, s) => x + s.length, 0);
  }
  /** Whether fresh row f comes before the base's row p in listing order. */
  const freshFirst = (f: number, p: number): boolean => {
    const fr = fresh[f]!;
    const c = base.createdMs[p]!;
    if (fr.created !== c) return fr.created > c;
    return cmp(fr.id, base.scanIndex[p]!) < 0;
  };
  let q = 0;
  let j = 0;
  /** Kept rows a .. b - 1 of the base, which are contiguous there, in whole columns. */
  const copyRun = (a: number, b: number) => {
    const len = b - a;
    if (len <= 0) return;
    out.idFrom.set(idFrom.subarray(a, b), q);
    out.idTo.set(idTo.subarray(a, b), q);
    out.idHexFrom.set(base.idHexFrom.subarray(a, b), q);
    out.createdMs.set(base.createdMs.subarray(a, b), q);
    out.size.set(base.size.subarray(a, b), q);
    out.isParent.set(base.isParent.subarray(a, b), q);
    const ra = oldRefs.at[a]!;
    const rb = oldRefs.at[b]!;
    const shift = j - ra;
    for (let i = 0; i < len; i++) {
      out.scanIndex[q + i] = keptRank[a + i]!;
      o.at[q + i] = oldRefs.at[a + i]! + shift;
    }
    o.from.set(oldRefs.from.subarray(ra, rb), j);
    o.split.set(oldRefs.split.subarray(ra, rb), j);
    o.to.set(oldRefs.to.subarray(ra, rb), j);
    o.digest.set(oldRefs.digest.subarray(ra, rb), j);
    o.familiar.set(oldRefs.familiar.subarray(ra, rb), j);
    q += len;
    j += rb - ra;
  };
  const putFresh = (f: number) => {
    const fr = fresh[f]!;
    const from = freshIdAt[f]!;
    const to = from + fr.id.length;
    out.idFrom[q] = from;
    out.idTo[q] = to;
    // Found in the short strings: the new texts are concatenations that a read would flatten.
    out.idHexFrom[q] = from + hexStart(fr.id, 0, fr.id.length);
    out.createdMs[q] = fr.created;
    out.size[q] = fr.size;
    out.isParent[q] = fr.isParent;
    out.scanIndex[q] = freshRank[f]!;
    o.at[q] = j;
    let at = freshNameAt[f]!;
    fr.names.forEach((name, k) => {
      o.from[j] = at;
      o.split[j] = at + fr.repoLen[k]!;
      o.to[j] = at + name.length;
      o.digest[j] = fr.digest[k]!;
      o.familiar[j] = at + familiarStart(name, 0, fr.repoLen[k]!);
      at += name.length;
      j++;
    });
    q++;
  };
  // Where each fresh row goes: before the first row of the base that it precedes (a binary
  // search, the base being in listing order), so the kept rows between are copied in runs.
  const goesBefore = freshOrder.map((f) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (freshFirst(f, mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  });
  let a = 0;
  for (let k = 0, ri = 0; ; ) {
    const r = ri < removedAt.length ? removedAt[ri]! : n;
    if (k < freshOrder.length && goesBefore[k]! <= r) {
      copyRun(a, goesBefore[k]!);
      a = goesBefore[k]!;
      putFresh(freshOrder[k++]!);
      continue;
    }
    copyRun(a, r);
    if (ri === removedAt.length) break;
    a = r + 1;
    ri++;
  }
  o.at[total] = j;
  return q === total && j === nrefs ? out : undefined;
}
