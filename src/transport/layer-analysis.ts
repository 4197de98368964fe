import { createHash } from 'node:crypto';
import { PassThrough, type Duplex } from 'node:stream';
import { once } from 'node:events';
import { detectCompression, createDecompressor, type Compression } from '../archive/compression.js';
import { readTar } from '../archive/tar-reader.js';
import { TarType } from '../archive/tar-header.js';

export interface LayerAnalysis {
  compression: Compression;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Length of the uncompressed tar. */
  tarSize: number;
  /** Content size as Docker counts it: regular files and symlink targets, hardlinks once. */
  size: number;
}

/** Decompressors that are done with an input chunk when its write callback runs. */
const IN_PLACE = new Set<Compression>(['gzip', 'xz', 'bzip2']);

/**
 * Watches a blob as it streams into the store and, if it turns out to be a (possibly compressed)
 * tar, computes its diff ID and sizes on the way, so a layer is read exactly once. Anything that
 * is not a tar (a config, a manifest) simply yields no analysis.
 */
export class LayerAnalyzer {
  /** Compressed bytes in, tar bytes out (a decompressor, or a pass-through). */
  private input: Duplex | undefined;
  private compression: Compression = 'none';
  private head: Buffer[] = [];
  private headLen = 0;
  private result: Promise<LayerAnalysis | undefined> | undefined;
  private failed = false;
  /** Why the blob is not a layer, when it looked like one but did not read as a tar. */
  failure: Error | undefined;
  /** Settles the pushShared promises still waiting, when the input goes away. */
  private readonly sharedWaiting = new Set<() => void>();

  /** Feeds the next chunk, which the analysis may keep; resolves when it was accepted (backpressure). */
  async push(chunk: Buffer): Promise<void> {
    if (this.failed) return;
    if (!this.input) {
      this.head.push(chunk);
      this.headLen += chunk.length;
      if (this.headLen < 512) return;
      const first = Buffer.concat(this.head);
      this.head = [];
      this.start(first);
      chunk = first;
    }
    const input = this.input!;
    if (input.destroyed) return;
    if (!input.write(chunk)) await Promise.race([once(input, 'drain'), this.result]);
  }

  /**
   * Feeds the next chunk of memory that the caller will reuse: resolves once the analysis holds
   * no reference to it. gzip (and xz, bzip2) consume it in place; other forms take a copy.
   */
  pushShared(chunk: Buffer): Promise<void> {
    if (this.failed) return Promise.resolve();
    if (!this.input) {
      if (this.headLen > 0 || chunk.length < 512) return this.push(Buffer.from(chunk));
      this.start(chunk);
    }
    const input = this.input!;
    if (!IN_PLACE.has(this.compression)) return this.push(Buffer.from(chunk));
    if (input.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.sharedWaiting.add(resolve);
      input.write(chunk, () => {
        this.sharedWaiting.delete(resolve);
        resolve();
      });
    });
  }

  private start(first: Buffer): void {
    const compression = detectCompression(first);
    const input = compression === 'none' ? new PassThrough({ highWaterMark: 1 << 20 }) : createDecompressor(compression);
    this.compression = compression;
    this.input = input;
    // A destroyed decompressor never calls back the writes it holds: their memory is free then.
    input.once('close', () => {
      for (const r of this.sharedWaiting) r();
      this.sharedWaiting.clear();
    });
    this.result = this.run(input, compression).catch((err: unknown) => {
      this.failed = true;
      this.failure = err as Error;
      input.destroy();
      return undefined;
    });
  }

  private async run(raw: Duplex, compression: Compression): Promise<LayerAnalysis | undefined> {
    const hash = createHash('sha256');
    let tarSize = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const c of raw as AsyncIterable<Buffer>) {
        hash.update(c);
        tarSize += c.length;
        yield c;
      }
    }
    let size = 0;
    let entries = 0;
    // The reader drains what follows the end-of-archive marker, so the hash covers the whole blob.
    for await (const e of readTar(counted(), { requireEndMarker: false })) {
      entries++;
      const h = e.header;
      if (h.type === TarType.File || h.type === TarType.RegA) size += h.size;
      else if (h.type === TarType.Symlink) size += Buffer.byteLength(h.linkname);
    }
    if (entries === 0 && tarSize < 1024) return undefined;
    return { compression, diffId: 'sha256:' + hash.digest('hex'), tarSize, size };
  }

  /** Ends the stream and returns the analysis, or undefined if the blob is not a layer. */
  async finish(): Promise<LayerAnalysis | undefined> {
    if (this.failed) return undefined;
    if (!this.input) {
      if (this.headLen === 0) return undefined;
      const first = Buffer.concat(this.head);
      this.head = [];
      this.start(first);
      this.input!.write(first);
    }
    this.input!.end();
    return this.result;
  }
}
