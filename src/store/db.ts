import Database from 'better-sqlite3';
import { MIGRATIONS } from './schema.js';
import { BerthError, corrupt } from '../image/errors.js';

export type DB = Database.Database;

const BUSY_TIMEOUT_MS = 120_000;

/** Opens (creating if needed) the metadata database and brings its schema up to date. */
export function openDatabase(file: string, opts: { readonly?: boolean } = {}): DB {
  let db: DB;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS, readonly: opts.readonly ?? false });
  } catch (err) {
    throw new BerthError('unavailable', `cannot open store database ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    if (!opts.readonly) {
      // auto_vacuum only takes effect on a database with no tables yet: set it first.
      if ((db.pragma('user_version', { simple: true }) as number) === 0) db.pragma('auto_vacuum = INCREMENTAL');
      const mode = db.pragma('journal_mode', { simple: true });
      if (mode !== 'wal') db.pragma('journal_mode = WAL');
      db.pragma('journal_size_limit = 4194304');
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = OFF');
    migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof BerthError) throw err;
    throw corrupt(`store database ${file} is unusable: ${(err as Error).message}`, err);
  }
  return db;
}

function migrate(db: DB): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() === MIGRATIONS.length) return;
  if (version() > MIGRATIONS.length) {
    throw new BerthError(
      'unavailable',
      `store schema version ${version()} is newer than this berth supports (${MIGRATIONS.length}); upgrade berth`,
    );
  }
  const step = db.transaction(() => {
    const v = version();
    if (v >= MIGRATIONS.length) return false;
    db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${v + 1}`);
    return true;
  });
  while (step.immediate()) {
    /* apply the next migration */
  }
}

/** Runs fn in a write transaction taken up front (BEGIN IMMEDIATE), so checks and writes see one state. */
export function writeTx<T>(db: DB, fn: () => T): T {
  return db.transaction(fn).immediate();
}
