import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
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

/**
 * Watches a blob as it streams into the store and, if it turns out to be a (possibly compressed)
 * tar, computes its diff ID and sizes on the way, so a layer is read exactly once. Anything that
 * is not a tar (a config, a manifest) simply yields no analysis.
 */
export class LayerAnalyzer {
  private input: PassThrough | undefined;
  private head: Buffer[] = [];
  private headLen = 0;
  private result: Promise<LayerAnalysis | undefined> | undefined;
  private failed = false;

  /** Feeds the next chunk; resolves when the analysis pipeline accepted it (backpressure). */
  async push(chunk: Buffer): Promise<void> {
    if (this.failed) return;
    if (!this.input) {
      this.head.push(chunk);
      this.headLen += chunk.length;
      if (this.headLen < 512) return;
      this.start(Buffer.concat(this.head));
      this.head = [];
      return;
    }
    if (!this.input.write(chunk)) await Promise.race([once(this.input, 'drain'), this.result]);
  }

  private start(first: Buffer): void {
    const compression = detectCompression(first);
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    this.input = input;
    this.result = this.run(input, compression).catch(() => {
      this.failed = true;
      input.resume();
      return undefined;
    });
    input.write(first);
  }

  private async run(input: PassThrough, compression: Compression): Promise<LayerAnalysis | undefined> {
    const raw = compression === 'none' ? input : input.pipe(createDecompressor(compression));
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
      this.start(Buffer.concat(this.head));
    }
    this.input!.end();
    return this.result;
  }
}
