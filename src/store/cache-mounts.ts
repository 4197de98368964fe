// RUN --mount=type=cache directories of a store (<root>/cache-mounts), kept across builds until
// `builder prune` / `system prune`, with BuildKit's sharing modes. A cache is named by its key
// (the id, plus what seeds it) and may have several instances: `shared` users use one instance
// together, `private` users each take one nobody else holds (making a new one when all are
// taken), `locked` users wait until one is free. Who holds what is kept in a small SQLite
// database beside the directories, with each holder's pid and start time, so the claims of a
// killed build are simply ignored. Contents are best-effort, as BuildKit's are: nothing in them
// is ever part of an image.

import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { isProcessAlive, selfStartTime } from './process-identity.js';
import { BerthError } from '../image/errors.js';
import { nodeChildProcess, nodeCrypto } from '../image/lazy-builtins.js';

export type CacheSharing = 'shared' | 'private' | 'locked';

/** How a new instance starts: an empty directory with an owner and mode, or a copy of a directory. */
export type CacheSeed = { kind: 'dir'; uid: number; gid: number; mode: number } | { kind: 'copy'; path: string };

export interface CacheMountRequest {
  key: string;
  sharing: CacheSharing;
  seed: CacheSeed;
}

export interface HeldCache {
  dir: string;
  release(): void;
}

/** How a holder uses its instance. */
const enum Use {
  Shared = 0,
  Exclusive = 1,
  /** Being filled from its seed: nobody else may use it yet. */
  Seeding = 2,
}

interface Holder {
  token: string;
  n: number;
  use: Use;
  pid: number;
  start: string;
}

const POLL_MS = 100;

const hashOf = (key: string) => nodeCrypto().createHash('sha256').update(key).digest('hex').slice(0, 32);

export class CacheMounts {
  private db: BetterSqlite3.Database | undefined;

  constructor(readonly base: string) {}

  private open(): BetterSqlite3.Database {
    if (this.db) return this.db;
    mkdirSync(this.base, { recursive: true, mode: 0o700 });
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const db = new Database(join(this.base, 'index.db'), { timeout: 60_000 });
    db.pragma('journal_mode = WAL');
    // Losing the last rows in a crash only leaves directories that prune reclaims.
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS instances (key TEXT NOT NULL, n INTEGER NOT NULL, last_used INTEGER NOT NULL, PRIMARY KEY (key, n));
      CREATE TABLE IF NOT EXISTS holders (token TEXT PRIMARY KEY, key TEXT NOT NULL, n INTEGER NOT NULL,
        use INTEGER NOT NULL, pid INTEGER NOT NULL, start TEXT NOT NULL);`);
    this.db = db;
    return db;
  }

  private dirOf(key: string, n: number): string {
    return join(this.base, hashOf(key), String(n));
  }

  /**
   * Takes an instance of a cache (`locked` waits for a free one, `shared` for one being seeded);
   * release it after the step. `signal` ends the wait.
   */
  async acquire(req: CacheMountRequest, signal?: AbortSignal): Promise<HeldCache> {
    for (;;) {
      const got = this.tryAcquire(req);
      if (got) return got;
      signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private tryAcquire(req: CacheMountRequest): HeldCache | undefined {
    const db = this.open();
    const token = nodeCrypto().randomBytes(12).toString('hex');
    const taken = db
      .transaction((): { n: number; fresh: boolean } | undefined => {
        const holders = db.prepare('SELECT token, n, use, pid, start FROM holders WHERE key = ?').all(req.key) as Holder[];
        const live = holders.filter((h) => isProcessAlive(h.pid, h.start));
        for (const h of holders) if (!live.includes(h)) db.prepare('DELETE FROM holders WHERE token = ?').run(h.token);
        const held = (n: number) => live.some((h) => h.n === n);
        const rows = db.prepare('SELECT n FROM instances WHERE key = ? ORDER BY rowid').pluck().all(req.key) as number[];
        const instances: number[] = [];
        for (const n of rows) {
          if (existsSync(this.dirOf(req.key, n)) || held(n)) instances.push(n);
          // Its seeding never finished (the process died): forget it.
          else db.prepare('DELETE FROM instances WHERE key = ? AND n = ?').run(req.key, n);
        }
        const seeding = (n: number) => live.some((h) => h.n === n && h.use === Use.Seeding);
        const sharable = (n: number) => !live.some((h) => h.n === n && h.use !== Use.Shared);
        let pick: number | undefined;
        if (req.sharing === 'shared') {
          // Wait for an instance being seeded rather than making a second one beside it.
          if (instances.some(seeding)) return undefined;
          pick = instances.find(sharable);
        } else {
          pick = instances.find((n) => !held(n));
          if (pick === undefined && req.sharing === 'locked' && instances.length > 0) return undefined;
        }
        const fresh = pick === undefined;
        // Never a number used before: prune may still be removing an old instance's directory.
        const n = pick ?? nodeCrypto().randomInt(2 ** 47);
        if (fresh) db.prepare('INSERT INTO instances (key, n, last_used) VALUES (?, ?, ?)').run(req.key, n, Date.now());
        else db.prepare('UPDATE instances SET last_used = ? WHERE key = ? AND n = ?').run(Date.now(), req.key, n);
        const use = fresh ? Use.Seeding : req.sharing === 'shared' ? Use.Shared : Use.Exclusive;
        db.prepare('INSERT INTO holders (token, key, n, use, pid, start) VALUES (?, ?, ?, ?, ?, ?)').run(token, req.key, n, use, process.pid, selfStartTime());
        return { n, fresh };
      })
      .immediate();
    if (!taken) return undefined;
    const dir = this.dirOf(req.key, taken.n);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        db.prepare('DELETE FROM holders WHERE token = ?').run(token);
      } catch {
        // A busy database: the claim dies with this process.
      }
    };
    if (taken.fresh) {
      try {
        seed(dir, req.seed);
        db.prepare('UPDATE holders SET use = ? WHERE token = ?').run(req.sharing === 'shared' ? Use.Shared : Use.Exclusive, token);
      } catch (err) {
        release();
        throw err;
      }
    }
    return { dir, release };
  }

  /**
   * Removes the cache instances nobody holds (those last used before `before`, if given), and
   * whatever directories a crash left without a row. Returns how many instances and bytes went.
   */
  prune(opts: { before?: number } = {}): { instances: number; bytes: number } {
    if (!existsSync(this.base)) return { instances: 0, bytes: 0 };
    const db = this.open();
    // Listed before the rows are read: a row is written before its directory, so any directory
    // listed here whose row is missing below is truly left over.
    const listed = opts.before === undefined ? safeReaddir(this.base).flatMap((h) => safeReaddir(join(this.base, h)).map((e) => `${h}/${e}`)) : [];
    const gone = db
      .transaction(() => {
        const rows = db.prepare('SELECT key, n, last_used FROM instances').all() as { key: string; n: number; last_used: number }[];
        const holders = db.prepare('SELECT token, key, n, pid, start FROM holders').all() as { token: string; key: string; n: number; pid: number; start: string }[];
        const live = holders.filter((h) => isProcessAlive(h.pid, h.start));
        for (const h of holders) if (!live.includes(h)) db.prepare('DELETE FROM holders WHERE token = ?').run(h.token);
        const out: { key: string; n: number }[] = [];
        for (const r of rows) {
          if (live.some((h) => h.key === r.key && h.n === r.n)) continue;
          if (opts.before !== undefined && r.last_used >= opts.before) continue;
          db.prepare('DELETE FROM instances WHERE key = ? AND n = ?').run(r.key, r.n);
          out.push(r);
        }
        return out;
      })
      .immediate();
    let bytes = 0;
    const remove = (d: string) => {
      bytes += sizeOf(d);
      rmSync(d, { recursive: true, force: true });
    };
    for (const r of gone) remove(this.dirOf(r.key, r.n));
    if (listed.length) {
      const rows = db.prepare('SELECT key, n FROM instances').all() as { key: string; n: number }[];
      const kept = new Set(rows.map((r) => `${hashOf(r.key)}/${r.n}`));
      for (const e of listed) if (!kept.has(e.replace(/\.new$/, ''))) remove(join(this.base, e));
    }
    return { instances: gone.length, bytes };
  }

  /** Every instance with its size and whether a live build holds it (for `system df`). */
  usage(): { id: string; key: string; lastUsed: number; bytes: number; inUse: boolean }[] {
    if (!existsSync(join(this.base, 'index.db'))) return [];
    const db = this.open();
    const rows = db.prepare('SELECT key, n, last_used FROM instances ORDER BY rowid').all() as { key: string; n: number; last_used: number }[];
    const holders = db.prepare('SELECT key, n, pid, start FROM holders').all() as { key: string; n: number; pid: number; start: string }[];
    const live = holders.filter((h) => isProcessAlive(h.pid, h.start));
    return rows
      .filter((r) => existsSync(this.dirOf(r.key, r.n)))
      .map((r) => ({
        id: `${hashOf(r.key)}${r.n.toString(16)}`,
        key: r.key,
        lastUsed: r.last_used,
        bytes: sizeOf(this.dirOf(r.key, r.n)),
        inUse: live.some((h) => h.key === r.key && h.n === r.n),
      }));
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/** Bytes of the files below a directory (not following links). */
function sizeOf(p: string): number {
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of safeReaddir(p)) n += sizeOf(join(p, e));
  return n;
}

/** Fills a new instance beside its place, then renames it there: a half-made one is never used. */
function seed(dir: string, s: CacheSeed): void {
  const tmp = dir + '.new';
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(dir, '..'), { recursive: true, mode: 0o700 });
  if (s.kind === 'dir') {
    mkdirSync(tmp);
    chownSync(tmp, s.uid, s.gid);
    chmodSync(tmp, s.mode);
  } else {
    const r = nodeChildProcess().spawnSync('cp', ['-a', '--', s.path, tmp], { encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new BerthError('internal', `cannot prepare the cache mount from ${s.path}: ${r.stderr.trim()}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}
