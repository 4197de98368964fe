/**
 * Compression detection (Docker's magic numbers) and streaming (de)compressors:
 * gzip through node:zlib, zstd through zstd-napi, xz and bzip2 through the system tools
 * (one process per stream, as Docker does for xz). Corrupt or truncated input is an error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex, Readable, type DuplexOptions } from 'node:stream';
import zlib from 'node:zlib';
import { CompressStream } from 'zstd-napi';
import zstdBinding from 'zstd-napi/binding.js';
import { corrupt, invalidArgument, unavailable } from '../image/errors.js';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

type ByteStream = Readable | AsyncIterable<Uint8Array>;

const MAGIC: Array<[Compression, number[]]> = [
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** Bytes needed by detectCompression. */
export const DETECT_BYTES = 6;

export function detectCompression(head: Uint8Array): Compression {
  for (const [c, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return c;
  }
  // zstd skippable frames: little-endian 0x184D2A50..0x184D2A5F
  if (head.length >= 4 && (head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) {
    return 'zstd';
  }
  return 'none';
}

/**
 * Reads the first n bytes of a stream (fewer at EOF) and returns them together with a Readable
 * that replays them followed by the rest of the input. Destroying that Readable closes the input.
 */
export async function peekStream(input: ByteStream, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>;
  const parts: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const chunk = toBuffer(r.value);
    parts.push(chunk);
    len += chunk.length;
  }
  const buffered = Buffer.concat(parts);
  async function* replay(): AsyncGenerator<Buffer> {
    let finished = done;
    try {
      if (buffered.length > 0) yield buffered;
      while (!finished) {
        const r = await it.next();
        if (r.done) {
          finished = true;
          break;
        }
        yield toBuffer(r.value);
      }
    } finally {
      if (!finished) await it.return?.();
    }
  }
  return { head: buffered.subarray(0, n), stream: Readable.from(replay(), { objectMode: false }) };
}

function toBuffer(v: Uint8Array | string): Buffer {
  if (typeof v === 'string') throw new TypeError('compressed input must be binary, got a string chunk');
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export interface DecompressOptions {
  /** Aborting destroys the stream (and kills an xz/bzip2 process). */
  signal?: AbortSignal;
}

/** A Duplex that decompresses what is written to it. */
export function createDecompressor(compression: Compression, options: DecompressOptions = {}): Duplex {
  const duplexOptions: DuplexOptions = options.signal !== undefined ? { signal: options.signal } : {};
  let d: Duplex;
  switch (compression) {
    case 'none':
      d = new Duplex({ ...duplexOptions, ...passThroughImpl() });
      break;
    case 'gzip':
      // Output chunks of 1 MiB instead of zlib's 16 KiB: several times faster on large layers.
      d = wrapZlibErrors(zlib.createGunzip({ chunkSize: 1 << 20 }), 'gzip');
      break;
    case 'zstd':
      d = zstdDecompressor();
      break;
    case 'xz':
      d = new ProcessFilter('xz', ['-d', '-c', '-q'], 'xz');
      break;
    case 'bzip2':
      d = new ProcessFilter('bzip2', ['-d', '-c', '-q'], 'bzip2');
      break;
    default:
      throw invalidArgument(`unsupported compression ${String(compression)}`);
  }
  if (options.signal !== undefined && compression !== 'none') {
    const signal = options.signal;
    const onAbort = (): void => void d.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    d.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return d;
}

function passThroughImpl(): DuplexOptions {
  let pending: (() => void) | undefined;
  return {
    read() {
      const p = pending;
      pending = undefined;
      p?.();
    },
    write(this: Duplex, chunk: Buffer, _enc, cb) {
      if (this.push(chunk)) cb();
      else pending = cb;
    },
    final(this: Duplex, cb) {
      this.push(null);
      cb();
    },
  };
}

/** Decompresses input with the given compression. */
export function decompress(compression: Compression, input: ByteStream, options: DecompressOptions = {}): Readable {
  const d = createDecompressor(compression, options);
  const src = input instanceof Readable ? input : Readable.from(input, { objectMode: false });
  src.on('error', (err) => d.destroy(err));
  d.on('close', () => {
    if (!src.readableEnded) src.destroy();
  });
  src.pipe(d);
  return d;
}

/** Detects the compression from the first bytes and returns the decompressed stream. */
export async function decompressAuto(
  input: ByteStream,
  options: DecompressOptions = {},
): Promise<{ compression: Compression; stream: Readable }> {
  const { head, stream } = await peekStream(input, DETECT_BYTES);
  const compression = detectCompression(head);
  return { compression, stream: compression === 'none' ? stream : decompress(compression, stream, options) };
}

export interface CompressOptions {
  /** gzip: 0..9 (default 6, as zlib and Go); zstd: 1..22 (default 3). */
  level?: number;
}

export function createCompressor(compression: 'none' | 'gzip' | 'zstd', options: CompressOptions = {}): Duplex {
  switch (compression) {
    case 'none':
      return new Duplex(passThroughImpl());
    case 'gzip':
      return zlib.createGzip(options.level !== undefined ? { level: options.level } : {});
    case 'zstd':
      return new CompressStream(options.level !== undefined ? { compressionLevel: options.level } : {});
    default:
      throw invalidArgument(`cannot compress with ${String(compression)}`);
  }
}

export function compress(compression: 'none' | 'gzip' | 'zstd', input: ByteStream, options: CompressOptions = {}): Readable {
  const c = createCompressor(compression, options);
  const src = input instanceof Readable ? input : Readable.from(input, { objectMode: false });
  src.on('error', (err) => c.destroy(err));
  c.on('close', () => {
    if (!src.readableEnded) src.destroy();
  });
  src.pipe(c);
  return c;
}

/** zlib reports bad data by destroying itself with a Z_* coded error; make that a "corrupt" error. */
function wrapZlibErrors(z: zlib.Gunzip, label: string): Duplex {
  const origDestroy = z.destroy.bind(z);
  z.destroy = (err?: Error) => {
    if (err !== undefined && err !== null && (err as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      return origDestroy(corrupt(`${label}: ${err.message}`, err));
    }
    return origDestroy(err);
  };
  return z;
}

/**
 * zstd decompression with real backpressure: zstd-napi's own stream pushes the whole output of an
 * input chunk at once, which for highly compressible data (a "zstd bomb") is unbounded memory.
 */
function zstdDecompressor(): Duplex {
  const outSize = zstdBinding.dStreamOutSize();
  return Duplex.from(async function* (source: AsyncIterable<Buffer>) {
    const dctx = new zstdBinding.DCtx();
    let inFrame = false;
    for await (const chunk of source) {
      let src: Buffer = chunk;
      for (;;) {
        const dst = Buffer.allocUnsafe(outSize);
        let ret: number;
        let produced: number;
        let consumed: number;
        try {
          [ret, produced, consumed] = dctx.decompressStream(dst, src);
        } catch (err) {
          throw corrupt(`zstd: ${(err as Error).message}`, err);
        }
        src = src.subarray(consumed);
        if (produced > 0) yield dst.subarray(0, produced);
        if (src.length === 0 && (produced < dst.length || ret === 0)) {
          inFrame = ret !== 0;
          break;
        }
      }
    }
    if (inFrame) throw corrupt('zstd: unexpected EOF: compressed stream is truncated');
  });
}

/** Runs `cmd args` as a filter: input to its stdin, output from its stdout, errors from its exit status. */
class ProcessFilter extends Duplex {
  private readonly child: ChildProcess;
  private stderr = '';
  private exited = false;

  constructor(cmd: string, args: string[], private readonly label: string) {
    super();
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const { stdin, stdout, stderr } = this.child;
    this.child.on('error', (err) => {
      this.exited = true;
      this.destroy(unavailable(`${label}: cannot run ${cmd}: ${err.message}`, err));
    });
    stdout!.on('data', (d: Buffer) => {
      if (!this.push(d)) stdout!.pause();
    });
    stderr!.setEncoding('utf8');
    stderr!.on('data', (s: string) => {
      if (this.stderr.length < 4096) this.stderr += s;
    });
    // EPIPE when the tool exits early on bad input; the exit status carries the real error.
    stdin!.on('error', () => {});
    this.child.on('close', (code, signal) => {
      this.exited = true;
      if (this.destroyed) return;
      if (code === 0) {
        this.push(null);
        return;
      }
      const msg = this.stderr.trim().split('\n').pop() || (signal !== null ? `killed by ${signal}` : `exit status ${code}`);
      this.destroy(corrupt(`${this.label} decompression failed: ${msg}`));
    });
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const stdin = this.child.stdin!;
    if (stdin.destroyed) {
      cb();
      return;
    }
    stdin.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin!.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.exited) this.child.kill('SIGKILL');
    cb(err);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
}
