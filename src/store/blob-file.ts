import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { addressMod } from '../archive/native.js';
import { nodeFsPromises as fsp } from '../image/lazy-builtins.js';

/** The block O_DIRECT writes are aligned to (memory, file offset and length). */
const BLOCK = 4096;
/** Bytes written through the page cache before writeback is started. */
const SYNC_EVERY = 8 << 20;

/**
 * The file a blob streams into in ingest/. While every chunk so far was whole blocks in aligned
 * memory (a registry download's ring slots), chunks go to disk with O_DIRECT: a pull then neither
 * copies each byte into the page cache (as much CPU as hashing it) nor leaves the final fsync
 * hundreds of megabytes to write. Anything else goes through the page cache, with writeback
 * started as it grows, as does everything where the filesystem refuses O_DIRECT.
 */
export class BlobFile {
  private direct: FileHandle | undefined | null;
  private position = 0;
  private dirty = 0;
  private syncing: Promise<unknown> | undefined;

  private constructor(
    private readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /** Creates the file; it must not exist. */
  static async create(path: string): Promise<BlobFile> {
    return new BlobFile(path, await fsp().open(path, 'wx', 0o644));
  }

  async write(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const rest = off === 0 ? chunk : chunk.subarray(off);
      const n = (await this.writeDirect(rest)) ?? (await this.fh.write(rest, 0, rest.length, this.position)).bytesWritten;
      if (n <= 0) throw new Error(`short write to ${this.path}`);
      if (this.direct === null) this.dirty += n;
      off += n;
      this.position += n;
    }
    // One writeback in flight at a time, so the final fsync of a large blob has little left to do.
    if (this.dirty >= SYNC_EVERY && !this.syncing) {
      this.dirty = 0;
      this.syncing = this.fh.datasync().finally(() => (this.syncing = undefined));
    }
  }

  /** Bytes written with O_DIRECT, or undefined when this chunk (and all after it) cannot be. */
  private async writeDirect(chunk: Buffer): Promise<number | undefined> {
    if (this.direct === null) return undefined;
    const whole = chunk.length - (chunk.length % BLOCK);
    if (whole === 0 || this.position % BLOCK !== 0 || addressMod(chunk, BLOCK) !== 0) {
      await this.stopDirect();
      return undefined;
    }
    try {
      this.direct ??= await fsp().open(this.path, constants.O_WRONLY | constants.O_DIRECT);
      const { bytesWritten } = await this.direct.write(chunk, 0, whole, this.position);
      return bytesWritten;
    } catch (err) {
      // A filesystem without O_DIRECT (or with larger blocks) refuses with EINVAL: use the page cache.
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      await this.stopDirect();
      return undefined;
    }
  }

  private async stopDirect(): Promise<void> {
    const d = this.direct;
    this.direct = null;
    await d?.close();
  }

  /** Waits for writeback and makes the file's data and size durable. */
  async sync(): Promise<void> {
    if (this.syncing) await this.syncing;
    await this.fh.sync();
  }

  async close(): Promise<void> {
    if (this.syncing) await this.syncing.catch(() => undefined);
    try {
      if (this.direct) await this.direct.close();
    } finally {
      this.direct = null;
      await this.fh.close();
    }
  }
}
