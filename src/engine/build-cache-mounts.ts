// RUN --mount=type=cache directories, shared by every build of a store on this machine, with
// BuildKit's sharing modes. A cache is named by its key (the id, plus what it was seeded from) and
// may have several instances: `shared` users use one instance together, `private` users each
// take one nobody else holds (making a new one when all are taken), `locked` users wait until
// one is free. Who holds what is kept in a small SQLite database beside the directories, with
// each holder's pid and start time, so a killed build's claims are simply ignored.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { isProcessAlive, selfStartTime } from '../store/process-identity.js';
import { BerthError } from '../image/errors.js';

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

const POLL_MS = 100;

export class CacheMounts {
  private db: BetterSqlite3.Database | undefined;

  constructor(readonly base: string) {}

  private open(): BetterSqlite3.Database {
    if (this.db) return this.db;
    mkdirSync(this.base, { recursive: true, mode: 0o700 });
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const db = new Database(join(this.base, 'holders.db'), { timeout: 60_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.exec(`CREATE TABLE IF NOT EXISTS instances (key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (key, n));
      CREATE TABLE IF NOT EXISTS holders (token TEXT PRIMARY KEY, key TEXT NOT NULL, n INTEGER NOT NULL,
        exclusive INTEGER NOT NULL, pid INTEGER NOT NULL, start TEXT NOT NULL);`);
    this.db = db;
    return db;
  }

  private dirOf(key: string, n: number): string {
    return join(this.base, createHash('sha256').update(key).digest('hex').slice(0, 32), String(n));
  }

  /** Takes an instance of a cache (waiting for `locked`); release it after the step. */
  async acquire(req: CacheMountRequest): Promise<HeldCache> {
    for (;;) {
      const got = this.tryAcquire(req);
      if (got) return got;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private tryAcquire(req: CacheMountRequest): HeldCache | undefined {
    const db = this.open();
    const token = randomBytes(12).toString('hex');
    const taken = db
      .transaction((): { n: number; fresh: boolean } | undefined => {
        const holders = db.prepare('SELECT token, n, exclusive, pid, start FROM holders WHERE key = ?').all(req.key) as {
          token: string;
          n: number;
          exclusive: number;
          pid: number;
          start: string;
        }[];
        const live = holders.filter((h) => isProcessAlive(h.pid, h.start));
        for (const h of holders) if (!live.includes(h)) db.prepare('DELETE FROM holders WHERE token = ?').run(h.token);
        const instances = (db.prepare('SELECT n FROM instances WHERE key = ? ORDER BY n').pluck().all(req.key) as number[]).filter((n) =>
          existsSync(this.dirOf(req.key, n)),
        );
        const free = (n: number) => !live.some((h) => h.n === n);
        const sharable = (n: number) => !live.some((h) => h.n === n && h.exclusive);
        const pick = req.sharing === 'shared' ? instances.find(sharable) : instances.find(free);
        const hold = (n: number, fresh: boolean) => {
          // A new instance is held exclusively while it is seeded, then shared if asked.
          db.prepare('INSERT INTO holders (token, key, n, exclusive, pid, start) VALUES (?, ?, ?, ?, ?, ?)').run(
            token,
            req.key,
            n,
            fresh || req.sharing !== 'shared' ? 1 : 0,
            process.pid,
            selfStartTime(),
          );
          return { n, fresh };
        };
        if (pick !== undefined) return hold(pick, false);
        if (req.sharing === 'locked' && instances.length > 0) return undefined;
        const n = ((db.prepare('SELECT max(n) FROM instances WHERE key = ?').pluck().get(req.key) as number | null) ?? -1) + 1;
        db.prepare('INSERT INTO instances (key, n) VALUES (?, ?)').run(req.key, n);
        return hold(n, true);
      })
      .immediate();
    if (!taken) return undefined;
    const dir = this.dirOf(req.key, taken.n);
    const release = () => {
      try {
        db.prepare('DELETE FROM holders WHERE token = ?').run(token);
      } catch {
        // A busy database: the claim dies with this process.
      }
    };
    if (taken.fresh) {
      try {
        seed(dir, req.seed);
      } catch (err) {
        release();
        throw err;
      }
      if (req.sharing === 'shared') db.prepare('UPDATE holders SET exclusive = 0 WHERE token = ?').run(token);
    }
    return { dir, release };
  }

  /** Removes every cache instance nobody holds (builder prune); returns how many. */
  prune(): number {
    if (!existsSync(this.base)) return 0;
    const db = this.open();
    const gone = db
      .transaction(() => {
        const rows = db.prepare('SELECT key, n FROM instances').all() as { key: string; n: number }[];
        const holders = db.prepare('SELECT key, n, pid, start FROM holders').all() as { key: string; n: number; pid: number; start: string }[];
        const out: { key: string; n: number }[] = [];
        for (const r of rows) {
          if (holders.some((h) => h.key === r.key && h.n === r.n && isProcessAlive(h.pid, h.start))) continue;
          db.prepare('DELETE FROM instances WHERE key = ? AND n = ?').run(r.key, r.n);
          db.prepare('DELETE FROM holders WHERE key = ? AND n = ?').run(r.key, r.n);
          out.push(r);
        }
        return out;
      })
      .immediate();
    for (const r of gone) rmSync(this.dirOf(r.key, r.n), { recursive: true, force: true });
    return gone.length;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

function seed(dir: string, s: CacheSeed): void {
  rmSync(dir, { recursive: true, force: true });
  if (s.kind === 'dir') {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, s.uid, s.gid);
    chmodSync(dir, s.mode);
    return;
  }
  mkdirSync(join(dir, '..'), { recursive: true });
  const r = spawnSync('cp', ['-a', '--', s.path, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new BerthError('internal', `cannot prepare the cache mount from ${s.path}: ${r.stderr.trim()}`);
}
