// The images listing's cached base (schema migration 5): bytes the engine encodes, kept with the
// generation of the images and refs tables they were computed from. Triggers bump that
// generation on every change to either table, so the cache is valid exactly while the two match.
// It is written opportunistically by whichever listing finds it stale: only if the write lock is
// free at once, and only if the tables have not changed since the listing read them.
import type { DB } from './db.js';

export interface CachedListing {
  /** The tables' generation, or undefined when the store keeps none (then nothing is cached). */
  generation: number | undefined;
  /** The cached bytes, when they were computed at this generation. */
  bytes: Buffer | undefined;
}

/** Run it inside the read transaction that reads the tables too, so both see one state. */
export function readListingCache(db: DB): CachedListing {
  const row = db
    .prepare(
      `SELECT c.value, CASE WHEN l.generation = c.value THEN l.base END
       FROM counters c LEFT JOIN listing_cache l ON l.id = 1 WHERE c.name = 'listing'`,
    )
    .raw()
    .get() as [unknown, unknown] | undefined;
  if (!row || typeof row[0] !== 'number') return { generation: undefined, bytes: undefined };
  return { generation: row[0], bytes: Buffer.isBuffer(row[1]) ? row[1] : undefined };
}

/**
 * Stores bytes computed at `generation`, unless the tables changed since, another connection
 * holds the write lock, the database is read-only or the caller is inside a transaction (whose
 * state this one would not see). Never waits for a lock; true if stored.
 */
export function writeListingCache(db: DB, generation: number, bytes: Uint8Array): boolean {
  if (db.readonly || db.inTransaction) return false;
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  const synchronous = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  // The cache can always be computed again: a crash may lose this commit, which in WAL mode at
  // NORMAL never corrupts the database, and the commit spares an fsync of 15 MB at 100,000 images.
  db.pragma('synchronous = NORMAL');
  try {
    return db
      .transaction(() => {
        const now = db.prepare("SELECT value FROM counters WHERE name = 'listing'").pluck().get();
        if (now !== generation) return false;
        // Deleted first, so that the new bytes reuse the old ones' pages instead of growing the file.
        db.prepare('DELETE FROM listing_cache').run();
        db.prepare('INSERT INTO listing_cache (id, generation, base) VALUES (1, ?, ?)').run(generation, bytes);
        return true;
      })
      .immediate();
  } catch (err) {
    // Busy, a read-only file, a full disk: the listing itself is not affected.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return false;
    throw err;
  } finally {
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma(`busy_timeout = ${timeout}`);
  }
}
