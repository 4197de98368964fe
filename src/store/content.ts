import type * as Crypto from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync, type ReadStream } from 'node:fs';
import { join } from 'node:path';
import type { DB } from './db.js';
import { writeTx } from './db.js';
import type { Lease } from './leases.js';
import { fsyncDirAsync } from './durable.js';
import { BlobFile } from './blob-file.js';
import type { StorePaths } from './paths.js';
import { corrupt, notFound, BerthError } from '../image/errors.js';
import { digestHex, type Digest } from '../image/digest.js';
import { nodeCrypto, nodeFsPromises as fsp } from '../image/lazy-builtins.js';

const createHash = (algorithm: string): Crypto.Hash => nodeCrypto().createHash(algorithm);
const randomBytes = (size: number): Buffer => nodeCrypto().randomBytes(size);

export interface WriteOptions {
  /** The digest the content must have; a mismatch fails the write and stores nothing. */
  expected?: Digest;
  expectedSize?: number;
  /** Sees every chunk as it streams (e.g. to hash the uncompressed form or count tar sizes). */
  onData?: (chunk: Buffer) => void | Promise<void>;
}

export interface Written {
  digest: Digest;
  size: number;
}

/** Translates low-level I/O failures into one clear error. */
export function ioError(err: unknown, what: string): BerthError {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof BerthError) return err;
  if (e?.code === 'ENOSPC') return new BerthError('unavailable', `${what}: no space left on device`, { cause: err });
  if (e?.code === 'EDQUOT') return new BerthError('unavailable', `${what}: disk quota exceeded`, { cause: err });
  return new BerthError('internal', `${what}: ${e?.message ?? String(err)}`, { cause: err });
}

/**
 * Immutable, verified blobs under blobs/sha256. Content always lands in ingest/ first, is hashed
 * while it streams, fsynced, verified, renamed into place and its directory fsynced; only then is
 * a row recorded. A lease claims the digest before the rename so a concurrent sweep never unlinks
 * the file being committed.
 */
export class ContentStore {
  private readonly hasRow;
  private readonly insertRow;

  constructor(
    private readonly db: DB,
    private readonly paths: StorePaths,
  ) {
    this.hasRow = db.prepare('SELECT size FROM blobs WHERE digest = ?').pluck();
    this.insertRow = db.prepare('INSERT OR IGNORE INTO blobs (digest, size, created) VALUES (?, ?, ?)');
  }

  path(digest: Digest): string {
    return join(this.paths.blobs, digestHex(digest));
  }

  /** The size of a recorded blob, or undefined. */
  size(digest: Digest): number | undefined {
    return this.hasRow.get(digest) as number | undefined;
  }

  has(digest: Digest): boolean {
    return this.size(digest) !== undefined;
  }

  /**
   * Claims an existing blob for a lease: true when the blob is recorded and its file present, and
   * from then on protected by the lease.
   */
  claim(lease: Lease, digest: Digest): boolean {
    return writeTx(this.db, () => {
      lease.attach('blob', digest);
      return this.has(digest) && existsSync(this.path(digest));
    });
  }

  createReadStream(digest: Digest, opts: { start?: number; end?: number } = {}): ReadStream {
    const p = this.path(digest);
    if (!existsSync(p)) throw notFound(`blob ${digest} not found in the store`);
    return createReadStream(p, { highWaterMark: 1 << 20, ...opts });
  }

  async readBuffer(digest: Digest): Promise<Buffer> {
    try {
      return await fsp().readFile(this.path(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found in the store`);
      throw err;
    }
  }

  async writeBuffer(lease: Lease, data: Buffer, expected?: Digest): Promise<Written> {
    return this.write(lease, [data], { expected, expectedSize: data.length });
  }

  async write(lease: Lease, source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer>, opts: WriteOptions = {}): Promise<Written> {
    mkdirSync(this.paths.ingest, { recursive: true });
    const tmp = join(this.paths.ingest, lease.ingestPrefix + randomBytes(6).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    let file: BlobFile;
    try {
      file = await BlobFile.create(tmp);
    } catch (err) {
      throw ioError(err, 'cannot write to the store');
    }
    let ok = false;
    try {
      try {
        for await (const c of source) {
          const chunk = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
          hash.update(chunk);
          size += chunk.length;
          if (opts.expectedSize !== undefined && size > opts.expectedSize) {
            throw corrupt(
              `size mismatch for ${opts.expected ?? 'blob'}: more than the expected ${opts.expectedSize} bytes`,
            );
          }
          if (opts.onData) await opts.onData(chunk);
          await file.write(chunk);
        }
        await file.sync();
      } finally {
        await file.close();
      }
      const digest = 'sha256:' + hash.digest('hex');
      if (opts.expectedSize !== undefined && size !== opts.expectedSize) {
        throw corrupt(`size mismatch for ${opts.expected ?? digest}: expected ${opts.expectedSize} bytes, got ${size}`);
      }
      if (opts.expected !== undefined && digest !== opts.expected) {
        throw corrupt(`digest mismatch: expected ${opts.expected}, got ${digest}`);
      }
      await this.commitFile(lease, tmp, digest, size);
      ok = true;
      return { digest, size };
    } catch (err) {
      throw ioError(err, 'cannot write to the store');
    } finally {
      if (!ok) await fsp().unlink(tmp).catch(() => undefined);
    }
  }

  private async commitFile(lease: Lease, tmp: string, digest: Digest, size: number): Promise<void> {
    writeTx(this.db, () => lease.attach('blob', digest));
    const dest = this.path(digest);
    mkdirSync(this.paths.blobs, { recursive: true });
    await fsp().rename(tmp, dest);
    await fsyncDirAsync(this.paths.blobs);
    writeTx(this.db, () => {
      this.insertRow.run(digest, size, Date.now());
    });
  }

  /** Verifies a stored blob's content against its digest (used by system check). */
  async verify(digest: Digest): Promise<'ok' | 'missing' | 'corrupt'> {
    const p = this.path(digest);
    let st;
    try {
      st = statSync(p);
    } catch {
      return 'missing';
    }
    if (!st.isFile()) return 'corrupt';
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(p, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    return 'sha256:' + hash.digest('hex') === digest ? 'ok' : 'corrupt';
  }
}
