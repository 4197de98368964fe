// The images listing's cached base (schema migrations 5 and 6): bytes the engine encodes, kept in
// a file beside the database with the generation of the images and refs tables they were computed
// from and the position of the change log. Triggers give the generation a new random value on
// every change to either table, so the cache is current exactly while the two match; after a
// change, the log names the images to patch it with. A file rather than a row: 16 MB at 100,000 images would
// be written twice (WAL, then checkpoint) and read back through SQLite's pages, and the cache
// needs none of the database's guarantees — the engine's encoding carries a checksum, so a torn
// or damaged file is recomputed like a stale one.
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DB } from './db.js';
import type { StorePaths } from './paths.js';

export interface CachedListing {
  /** The tables' generation, or undefined when the store keeps none (then nothing is cached). */
  generation: number | undefined;
  /** The position of the change log that goes with the generation. */
  seq: number;
  /** The cached bytes, when they were computed at this generation. */
  bytes: Buffer | undefined;
  /**
   * Bytes cached at an earlier state that the change log still reaches back to, with the images
   * changed since (at most `maxChanged` of them; more, and this is left out).
   */
  earlier?: { bytes: Buffer; changed: string[] };
}

const MAGIC = 'berth listing 2\n';
const HEADER = MAGIC.length + 16;

/** The generation and the newest log entry, when the two agree (they are written together). */
function positionOf(db: DB): { generation: number; seq: number } | undefined {
  const generation = db.prepare("SELECT value FROM counters WHERE name = 'listing'").pluck().get();
  if (typeof generation !== 'number') return undefined;
  let last: [number, number] | undefined;
  try {
    last = db.prepare('SELECT seq, gen FROM listing_changes ORDER BY seq DESC LIMIT 1').raw().get() as [number, number] | undefined;
  } catch {
    return undefined; // a store not migrated yet (opened read-only)
  }
  if (!last || last[1] !== generation) return undefined;
  return { generation, seq: last[0] };
}

/** Run it inside the read transaction that reads the tables too, so both see one state. */
export function readListingCache(db: DB, paths: StorePaths, maxChanged: number): CachedListing {
  const pos = positionOf(db);
  if (!pos) return { generation: undefined, seq: 0, bytes: undefined };
  const none = { generation: pos.generation, seq: pos.seq, bytes: undefined };
  let buf: Buffer;
  try {
    buf = readFileSync(paths.listingCache);
  } catch {
    return none;
  }
  if (buf.length < HEADER || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return none;
  const generation = buf.readDoubleLE(MAGIC.length);
  const seq = buf.readDoubleLE(MAGIC.length + 8);
  const bytes = buf.subarray(HEADER);
  if (generation === pos.generation && seq === pos.seq) return { ...none, bytes };
  // Patchable only if the log holds the cache's position with the cache's generation: the same history.
  if (!(seq < pos.seq) || db.prepare('SELECT gen FROM listing_changes WHERE seq = ?').pluck().get(seq) !== generation) return none;
  const changed = db
    .prepare('SELECT DISTINCT image_id FROM listing_changes WHERE seq > ? AND image_id IS NOT NULL LIMIT ?')
    .pluck()
    .all(seq, maxChanged + 1) as string[];
  return changed.length > maxChanged ? none : { ...none, earlier: { bytes, changed } };
}

/**
 * Stores bytes computed at `generation`, unless the tables changed since, the database is
 * read-only or the caller is inside a transaction (whose changes may yet be rolled back, and
 * their generation given to other contents). The file is replaced whole (rename) and not
 * synced; it is written in the ingest directory, whose leftovers GC removes. True if stored.
 */
export function writeListingCache(db: DB, paths: StorePaths, at: { generation: number; seq: number }, bytes: Uint8Array): boolean {
  if (db.readonly || db.inTransaction) return false;
  const pos = positionOf(db);
  if (!pos || pos.generation !== at.generation || pos.seq !== at.seq) return false;
  const tmp = join(paths.ingest, `listing.${process.pid}.tmp`);
  try {
    const header = Buffer.alloc(HEADER);
    header.write(MAGIC, 0, 'latin1');
    header.writeDoubleLE(at.generation, MAGIC.length);
    header.writeDoubleLE(at.seq, MAGIC.length + 8);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeAll(fd, header);
      writeAll(fd, bytes);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, paths.listingCache);
    return true;
  } catch {
    // A full disk or a read-only store: the listing itself is not affected.
    try {
      unlinkSync(tmp);
    } catch {
      /* not there */
    }
    return false;
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}
