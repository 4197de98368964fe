/**
 * Streaming tar writers. Headers are encoded as Go's archive/tar does (see tar-encode.ts);
 * bodies stream through with backpressure and are checked against the declared size.
 */
import { Readable, type Writable } from 'node:stream';
import { invalidArgument, unavailable } from '../image/errors.js';
import { encodeHeader } from './tar-encode.js';
import { BLOCK, ZERO_BLOCK, blockPadding } from './tar-fields.js';
import { headerDefaults, type TarHeaderInit } from './tar-header.js';

/** Where a body comes from; a function is called only when the entry is written (lazy open). */
export type TarBodySource =
  | Uint8Array
  | string
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | (() => AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>);

export type TarInputEntry =
  | { header: TarHeaderInit; body?: TarBodySource }
  /** Pre-encoded header blocks (e.g. TarEntry.rawHeader) written verbatim, then bodySize body bytes. */
  | { rawHeader: Uint8Array; bodySize: number; body?: TarBodySource };

const TRAILER = Buffer.alloc(2 * BLOCK);

/** Yields the bytes of a complete archive for the entries, ending with two zero blocks. */
export async function* tarChunks(
  entries: AsyncIterable<TarInputEntry> | Iterable<TarInputEntry>,
): AsyncGenerator<Buffer, void, undefined> {
  for await (const entry of entries) {
    let bodySize: number;
    let name: string;
    if ('rawHeader' in entry) {
      if (entry.rawHeader.length === 0 || entry.rawHeader.length % BLOCK !== 0) {
        throw invalidArgument('archive/tar: raw header must be a non-empty multiple of 512 bytes');
      }
      yield Buffer.from(entry.rawHeader);
      bodySize = entry.bodySize;
      name = '(raw header)';
    } else {
      const encoded = encodeHeader(headerDefaults(entry.header));
      yield encoded.bytes;
      bodySize = encoded.bodySize;
      name = entry.header.name;
    }
    let written = 0;
    if (entry.body !== undefined) {
      for await (const chunk of bodyIterable(entry.body)) {
        if (chunk.length === 0) continue;
        written += chunk.length;
        if (written > bodySize) throw invalidArgument(`archive/tar: write too long for ${JSON.stringify(name)}`);
        yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
    }
    if (written < bodySize) {
      throw invalidArgument(`archive/tar: missed writing ${bodySize - written} bytes of ${JSON.stringify(name)}`);
    }
    const pad = blockPadding(bodySize);
    if (pad > 0) yield ZERO_BLOCK.subarray(0, pad);
  }
  yield TRAILER;
}

/** A Readable archive of the entries (pull-driven: nothing is read ahead of the consumer). */
export function tarStream(entries: AsyncIterable<TarInputEntry> | Iterable<TarInputEntry>): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false, highWaterMark: 64 * 1024 });
}

async function* bodyIterable(src: TarBodySource): AsyncGenerator<Uint8Array> {
  if (typeof src === 'string') {
    yield Buffer.from(src, 'utf8');
    return;
  }
  if (src instanceof Uint8Array) {
    yield src;
    return;
  }
  const it = typeof src === 'function' ? await src() : src;
  yield* it as AsyncIterable<Uint8Array>;
}

/**
 * Imperative writer onto a Writable (file, hash, compressor), honouring its backpressure.
 * Call writeHeader, then write() the body bytes, ... and finally finish().
 */
export class TarWriter {
  private remaining = 0;
  private pad = 0;
  private current = '';
  private finished = false;

  constructor(private readonly out: Writable) {}

  async writeHeader(init: TarHeaderInit): Promise<void> {
    await this.flushEntry();
    const encoded = encodeHeader(headerDefaults(init));
    await this.emit(encoded.bytes);
    this.remaining = encoded.bodySize;
    this.pad = blockPadding(encoded.bodySize);
    this.current = init.name;
  }

  /** Writes pre-encoded header blocks verbatim (pass-through of headers read from another archive). */
  async writeRawHeader(rawHeader: Uint8Array, bodySize: number): Promise<void> {
    await this.flushEntry();
    if (rawHeader.length === 0 || rawHeader.length % BLOCK !== 0) {
      throw invalidArgument('archive/tar: raw header must be a non-empty multiple of 512 bytes');
    }
    await this.emit(Buffer.from(rawHeader));
    this.remaining = bodySize;
    this.pad = blockPadding(bodySize);
    this.current = '(raw header)';
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length > this.remaining) {
      throw invalidArgument(`archive/tar: write too long for ${JSON.stringify(this.current)}`);
    }
    this.remaining -= chunk.length;
    await this.emit(chunk);
  }

  async writeEntry(init: TarHeaderInit, body?: TarBodySource): Promise<void> {
    await this.writeHeader(init);
    if (body !== undefined) for await (const chunk of bodyIterable(body)) await this.write(chunk);
  }

  /** Writes the two zero blocks; does not end the underlying stream. */
  async finish(): Promise<void> {
    if (this.finished) return;
    await this.flushEntry();
    await this.emit(TRAILER);
    this.finished = true;
  }

  private async flushEntry(): Promise<void> {
    if (this.finished) throw invalidArgument('archive/tar: write after close');
    if (this.remaining > 0) {
      throw invalidArgument(`archive/tar: missed writing ${this.remaining} bytes of ${JSON.stringify(this.current)}`);
    }
    if (this.pad > 0) {
      const pad = this.pad;
      this.pad = 0;
      await this.emit(ZERO_BLOCK.subarray(0, pad));
    }
  }

  private async emit(buf: Uint8Array): Promise<void> {
    if (buf.length === 0) return;
    if (this.out.destroyed) throw unavailable('archive/tar: output stream is closed');
    if (!this.out.write(buf)) await waitDrain(this.out);
  }
}

export function waitDrain(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(unavailable('archive/tar: output stream closed while writing'));
    };
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}
