import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { MIGRATIONS } from './schema.js';
import { BerthError, corrupt } from '../image/errors.js';

// Imported (not required) so that the CLI bundle (scripts/bundle-cli.mjs) takes its JavaScript in.
export type DB = Database.Database;
const require = createRequire(import.meta.url);

const BUSY_TIMEOUT_MS = 120_000;

/**
 * better-sqlite3 finds its addon through the `bindings` package, which probes a dozen paths and
 * costs a few milliseconds on every command; its usual place is tried first.
 */
let nativeBinding: string | undefined | null = null;
function addonPath(): string | undefined {
  if (nativeBinding === null) {
    try {
      nativeBinding = require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
    } catch {
      nativeBinding = undefined;
    }
  }
  return nativeBinding;
}

/** Opens (creating if needed) the metadata database and brings its schema up to date. */
export function openDatabase(file: string, opts: { readonly?: boolean } = {}): DB {
  let db: DB;
  try {
    const binding = addonPath();
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS, readonly: opts.readonly ?? false, ...(binding ? { nativeBinding: binding } : {}) });
  } catch (err) {
    throw new BerthError('unavailable', `cannot open store database ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (!opts.readonly) {
      // auto_vacuum only takes effect on a database with no tables yet: set it first.
      if (version === 0) db.pragma('auto_vacuum = INCREMENTAL');
      const mode = db.pragma('journal_mode', { simple: true });
      if (mode !== 'wal') db.pragma('journal_mode = WAL');
      db.exec('PRAGMA journal_size_limit = 4194304');
    }
    db.exec('PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF');
    if (version !== MIGRATIONS.length) migrate(db);
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
