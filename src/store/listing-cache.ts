// The images listing's cached base (schema migration 5): bytes the engine encodes, kept in a file
// beside the database with the generation of the images and refs tables they were computed from.
// Triggers give the generation a new random value on every change to either table, so the cache
// is valid exactly while the two match. A file rather than a row: 16 MB at 100,000 images would
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
  /** The cached bytes, when they were computed at this generation. */
  bytes: Buffer | undefined;
}

const MAGIC = 'berth listing\n\0\0';
const HEADER = MAGIC.length + 8;

function generationOf(db: DB): number | undefined {
  const v = db.prepare("SELECT value FROM counters WHERE name = 'listing'").pluck().get();
  return typeof v === 'number' ? v : undefined;
}

/** Run it inside the read transaction that reads the tables too, so both see one state. */
export function readListingCache(db: DB, paths: StorePaths): CachedListing {
  const generation = generationOf(db);
  if (generation === undefined) return { generation, bytes: undefined };
  let buf: Buffer;
  try {
    buf = readFileSync(paths.listingCache);
  } catch {
    return { generation, bytes: undefined };
  }
  const current = buf.length >= HEADER && buf.toString('latin1', 0, MAGIC.length) === MAGIC && buf.readDoubleLE(MAGIC.length) === generation;
  return { generation, bytes: current ? buf.subarray(HEADER) : undefined };
}

/**
 * Stores bytes computed at `generation`, unless the tables changed since, the database is
 * read-only or the caller is inside a transaction (whose changes may yet be rolled back, and
 * their generation given to other contents). The file is replaced whole (rename) and not
 * synced; it is written in the ingest directory, whose leftovers GC removes. True if stored.
 */
export function writeListingCache(db: DB, paths: StorePaths, generation: number, bytes: Uint8Array): boolean {
  if (db.readonly || db.inTransaction) return false;
  if (generationOf(db) !== generation) return false;
  const tmp = join(paths.ingest, `listing.${process.pid}.tmp`);
  try {
    const header = Buffer.alloc(HEADER);
    header.write(MAGIC, 0, 'latin1');
    header.writeDoubleLE(generation, MAGIC.length);
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
