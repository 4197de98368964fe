/** sha256 and byte count of whatever flows through, e.g. the diff ID of a layer while it is decompressed. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, Writable, type TransformCallback } from 'node:stream';

export interface DigestResult {
  /** "sha256:<hex>" */
  digest: string;
  size: number;
}

class Hasher {
  private readonly hash: Hash = createHash('sha256');
  private result: DigestResult | undefined;
  size = 0;

  update(chunk: Uint8Array): void {
    if (this.result !== undefined) throw new Error('digest already finished');
    this.hash.update(chunk);
    this.size += chunk.length;
  }

  finish(): DigestResult {
    this.result ??= { digest: `sha256:${this.hash.digest('hex')}`, size: this.size };
    return this.result;
  }

  get finished(): DigestResult | undefined {
    return this.result;
  }
}

/** Pass-through Transform; digest() is available once the stream has ended. */
export class DigestStream extends Transform {
  private readonly hasher = new Hasher();
  /** Resolves when the input has ended. */
  readonly result: Promise<DigestResult>;
  private resolveResult!: (r: DigestResult) => void;

  constructor() {
    super();
    this.result = new Promise((resolve) => (this.resolveResult = resolve));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hasher.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.resolveResult(this.hasher.finish());
    cb();
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.hasher.size;
  }

  digest(): DigestResult {
    const r = this.hasher.finished;
    if (r === undefined) throw new Error('digest requested before the stream ended');
    return r;
  }
}

/** A Writable that only hashes (for the branch of a tee that nothing else consumes). */
export class DigestSink extends Writable {
  private readonly hasher = new Hasher();
  readonly result: Promise<DigestResult>;
  private resolveResult!: (r: DigestResult) => void;

  constructor() {
    super();
    this.result = new Promise((resolve) => (this.resolveResult = resolve));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.hasher.update(chunk);
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.resolveResult(this.hasher.finish());
    cb();
  }

  digest(): DigestResult {
    const r = this.hasher.finished;
    if (r === undefined) throw new Error('digest requested before the stream ended');
    return r;
  }
}

/**
 * Wraps an async iterable so that its bytes are hashed as they are consumed; `result` resolves
 * when the iteration completes (and never if it is abandoned).
 */
export function digestingIterable(source: AsyncIterable<Uint8Array>): {
  iterable: AsyncIterable<Buffer>;
  result: Promise<DigestResult>;
} {
  const hasher = new Hasher();
  let resolve!: (r: DigestResult) => void;
  const result = new Promise<DigestResult>((r) => (resolve = r));
  async function* gen(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hasher.update(b);
      yield b;
    }
    resolve(hasher.finish());
  }
  return { iterable: gen(), result };
}

/** Consumes the input and returns its digest and size. */
export async function digestOf(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<DigestResult> {
  const hasher = new Hasher();
  for await (const chunk of source) hasher.update(chunk);
  return hasher.finish();
}
