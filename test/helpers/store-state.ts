import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Bytes used by every file under a directory (apparent sizes, as du --apparent-size). */
export function duBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += duBytes(p);
    else n += statSync(p).size;
  }
  return n;
}

export function blobFiles(root: string): string[] {
  const d = join(root, 'blobs', 'sha256');
  return existsSync(d) ? readdirSync(d).sort() : [];
}

/** Reads store metadata directly (read-only) for assertions. */
export function query<T = Record<string, unknown>>(root: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(root, 'berth.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
