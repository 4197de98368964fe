import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BufferRing } from '../registry/buffer-ring.js';
import { LayerAnalyzer, type LayerAnalysis } from './layer-analysis.js';

/** Defined (true) in the CLI bundle, which carries the worker bundled too (scripts/bundle-cli.mjs). */
declare const __BERTH_BUNDLE__: boolean | undefined;

/** What a pull feeds each layer's bytes to, to learn its diff ID and sizes. */
export interface Analyzer {
  /**
   * Takes the next chunk; resolves once the analysis no longer reads the chunk's memory, so the
   * caller may reuse it (the analysis may still be working on what it made of it).
   */
  push(chunk: Buffer): Promise<void>;
  finish(): Promise<LayerAnalysis | undefined>;
}

/** The buffers one layer download reads into: enough for the socket, the store and the analysis to overlap. */
const RING_SLOTS = 6;
const RING_SLOT = 1 << 20;

export type WorkerRequest =
  | { type: 'ring'; ring: number; sab: SharedArrayBuffer }
  | { type: 'drop-ring'; ring: number }
  | { type: 'start'; id: number }
  | { type: 'data'; id: number; seq: number; ring: number; off: number; len: number }
  | { type: 'chunk'; id: number; seq: number; chunk: Uint8Array }
  | { type: 'end'; id: number };

export type WorkerReply = { id: number } & (
  | { type: 'ack'; seq: number }
  | { type: 'result'; result: LayerAnalysis | null }
  | { type: 'error'; message: string }
);

interface Stream {
  acks: Map<number, () => void>;
  done?: { resolve: (r: LayerAnalysis | undefined) => void; reject: (e: Error) => void };
  failure?: Error;
}

/**
 * A worker thread that analyses layers while the main thread downloads them, so a pull uses more
 * than one core. Downloads read into shared-memory rings that the worker decompresses from in
 * place: no chunk is copied or moved between the threads, only its place in the ring. Falls
 * back to analysing in-process on a single-core machine or when workers are unavailable.
 */
export class AnalyzerPool {
  private worker: Worker | undefined;
  private disabled = availableParallelism() < 2 || process.env.BERTH_PULL_WORKER === '0';
  private nextId = 1;
  private nextRing = 1;
  private readonly streams = new Map<number, Stream>();
  private readonly ringIds = new Map<SharedArrayBuffer, number>();
  private readonly idleRings: BufferRing[] = [];

  /** Starts the worker now, so it is ready by the time the first layer arrives. */
  prewarm(): void {
    if (this.disabled) return;
    try {
      this.ensureWorker();
    } catch {
      this.disabled = true;
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // The bundled worker starts without Node's ES module loader (and the CommonJS lexer it runs on zstd-napi).
    const bundled = typeof __BERTH_BUNDLE__ !== 'undefined' && __BERTH_BUNDLE__;
    const w = new Worker(new URL(bundled ? './registry-layer-worker.js' : '../transport/registry-layer-worker.js', import.meta.url));
    w.unref();
    w.on('message', (m: WorkerReply) => {
      const s = this.streams.get(m.id);
      if (!s) return;
      if (m.type === 'ack') {
        const r = s.acks.get(m.seq);
        s.acks.delete(m.seq);
        r?.();
      } else if (m.type === 'result') {
        this.streams.delete(m.id);
        s.done?.resolve(m.result ?? undefined);
      } else this.fail(m.id, s, new Error(m.message));
    });
    w.on('error', (err) => {
      for (const [id, s] of this.streams) this.fail(id, s, err);
      this.worker = undefined;
      this.disabled = true;
      this.ringIds.clear();
      this.idleRings.length = 0;
    });
    this.worker = w;
    return w;
  }

  private fail(id: number, s: Stream, err: Error): void {
    s.failure = err;
    this.streams.delete(id);
    for (const r of s.acks.values()) r();
    s.acks.clear();
    s.done?.reject(err);
  }

  /** Buffers for one layer download; give them back with {@link giveBack}. */
  ring(): BufferRing {
    const idle = this.idleRings.pop();
    if (idle) return idle;
    if (this.disabled || !this.worker) return new BufferRing(RING_SLOTS, RING_SLOT, { align: true });
    const ring = new BufferRing(RING_SLOTS, RING_SLOT, { shared: true, align: true });
    const id = this.nextRing++;
    const sab = ring.backing as SharedArrayBuffer;
    this.ringIds.set(sab, id);
    this.worker.postMessage({ type: 'ring', ring: id, sab } satisfies WorkerRequest);
    return ring;
  }

  /** A ring whose buffers are all back is kept for the next download. */
  giveBack(ring: BufferRing): void {
    const id = ring.shared ? this.ringIds.get(ring.backing as SharedArrayBuffer) : undefined;
    if (ring.idle && (id !== undefined || !ring.shared)) {
      this.idleRings.push(ring);
      return;
    }
    if (id !== undefined) {
      this.ringIds.delete(ring.backing as SharedArrayBuffer);
      this.worker?.postMessage({ type: 'drop-ring', ring: id } satisfies WorkerRequest);
    }
  }

  acquire(): Analyzer {
    if (this.disabled) return inProcess();
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch {
      this.disabled = true;
      return inProcess();
    }
    const id = this.nextId++;
    const s: Stream = { acks: new Map() };
    this.streams.set(id, s);
    worker.postMessage({ type: 'start', id } satisfies WorkerRequest);
    let seq = 0;
    return {
      push: (chunk: Buffer): Promise<void> => {
        if (s.failure) return Promise.resolve();
        const n = seq++;
        const ring = chunk.buffer instanceof SharedArrayBuffer ? this.ringIds.get(chunk.buffer) : undefined;
        if (ring !== undefined) {
          worker.postMessage({ type: 'data', id, seq: n, ring, off: chunk.byteOffset, len: chunk.byteLength } satisfies WorkerRequest);
        } else {
          // Memory outside a known ring is copied across; the promise still waits for the worker to take it.
          const copy = new Uint8Array(chunk);
          worker.postMessage({ type: 'chunk', id, seq: n, chunk: copy } satisfies WorkerRequest, [copy.buffer]);
        }
        return new Promise<void>((resolve) => s.acks.set(n, resolve));
      },
      finish(): Promise<LayerAnalysis | undefined> {
        if (s.failure) return Promise.reject(s.failure);
        return new Promise((resolve, reject) => {
          s.done = { resolve, reject };
          worker.postMessage({ type: 'end', id } satisfies WorkerRequest);
        });
      },
    };
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate().catch(() => undefined);
  }
}

function inProcess(): Analyzer {
  const a = new LayerAnalyzer();
  return { push: (chunk) => a.pushShared(chunk), finish: () => a.finish() };
}
