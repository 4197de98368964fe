/**
 * Pull-based reading of exact byte counts from an async iterable of chunks, without copying
 * except when a requested range spans chunks.
 */

const EMPTY = Buffer.alloc(0);

export type ByteInput = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>;

export class ByteSource {
  private readonly it: AsyncIterator<Uint8Array | string> | Iterator<Uint8Array>;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private ended = false;
  private closed = false;
  /** Total bytes handed out or skipped so far. */
  offset = 0;

  constructor(input: ByteInput) {
    this.it =
      Symbol.asyncIterator in input
        ? (input as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]()
        : (input as Iterable<Uint8Array>)[Symbol.iterator]();
  }

  /** Makes sure some unread bytes are buffered; false at end of input. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        this.chunk = EMPTY;
        this.pos = 0;
        return false;
      }
      const v = r.value;
      if (typeof v === 'string') throw new TypeError('tar input must be binary, got a string chunk (stream has an encoding set?)');
      this.chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      this.pos = 0;
    }
    return true;
  }

  /** Up to max bytes (zero-copy slice), or null at end of input. */
  async readUpTo(max: number): Promise<Buffer | null> {
    if (max <= 0) return EMPTY;
    if (!(await this.fill())) return null;
    const n = Math.min(max, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  /** Exactly n bytes, or fewer only if the input ends first. */
  async readFull(n: number): Promise<Buffer> {
    const first = await this.readUpTo(n);
    if (first === null) return EMPTY;
    if (first.length === n) return first;
    const parts = [first];
    let got = first.length;
    while (got < n) {
      const more = await this.readUpTo(n - got);
      if (more === null) break;
      parts.push(more);
      got += more.length;
    }
    return Buffer.concat(parts, got);
  }

  /** Discards n bytes; returns how many were actually available. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const got = await this.readUpTo(Math.min(left, 1 << 20));
      if (got === null) break;
      left -= got.length;
    }
    return n - left;
  }

  /** Reads and discards everything left. */
  async drain(): Promise<void> {
    while ((await this.readUpTo(1 << 20)) !== null);
  }

  /** Stops the underlying iterator (destroying a Readable source) unless it already ended. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.ended && this.it.return !== undefined) await this.it.return();
  }
}
