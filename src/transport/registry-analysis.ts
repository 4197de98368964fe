import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LayerAnalyzer, type LayerAnalysis } from './layer-analysis.js';

/** What a pull feeds each layer's bytes to, to learn its diff ID and sizes. */
export interface Analyzer {
  /** Takes the chunk; with a worker, its memory may move there (the caller must not use it again). */
  push(chunk: Buffer): Promise<void>;
  finish(): Promise<LayerAnalysis | undefined>;
}

/** At most this many bytes of one layer handed to the worker and not yet consumed. */
const IN_FLIGHT = 4 << 20;

type WorkerMessage = { id: number } & (
  | { type: 'ack'; bytes: number }
  | { type: 'result'; result: LayerAnalysis | null }
  | { type: 'error'; message: string }
);

interface Stream {
  inFlight: number;
  wake?: () => void;
  done?: { resolve: (r: LayerAnalysis | undefined) => void; reject: (e: Error) => void };
  failure?: Error;
}

/**
 * A worker thread that analyses layers while the main thread downloads them, so a pull uses more
 * than one core. Falls back to analysing in-process on a single-core machine or when workers are
 * unavailable.
 */
export class AnalyzerPool {
  private worker: Worker | undefined;
  private disabled = availableParallelism() < 2 || process.env.BERTH_PULL_WORKER === '0';
  private nextId = 1;
  private readonly streams = new Map<number, Stream>();

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./registry-layer-worker.js', import.meta.url));
    w.unref();
    w.on('message', (m: WorkerMessage) => {
      const s = this.streams.get(m.id);
      if (!s) return;
      if (m.type === 'ack') {
        s.inFlight -= m.bytes;
        const wake = s.wake;
        s.wake = undefined;
        wake?.();
      } else if (m.type === 'result') {
        this.streams.delete(m.id);
        s.done?.resolve(m.result ?? undefined);
      } else this.fail(m.id, s, new Error(m.message));
    });
    w.on('error', (err) => {
      for (const [id, s] of this.streams) this.fail(id, s, err);
      this.worker = undefined;
      this.disabled = true;
    });
    this.worker = w;
    return w;
  }

  private fail(id: number, s: Stream, err: Error): void {
    s.failure = err;
    this.streams.delete(id);
    s.wake?.();
    s.done?.reject(err);
  }

  acquire(): Analyzer {
    if (this.disabled) return new LayerAnalyzer();
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch {
      this.disabled = true;
      return new LayerAnalyzer();
    }
    const id = this.nextId++;
    const s: Stream = { inFlight: 0 };
    this.streams.set(id, s);
    worker.postMessage({ id, type: 'start' });
    return {
      async push(chunk: Buffer): Promise<void> {
        if (s.failure) throw s.failure;
        s.inFlight += chunk.byteLength;
        const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && !(chunk.buffer instanceof SharedArrayBuffer);
        // A chunk that owns its memory moves into the worker as is; anything else is copied first.
        const msg = whole ? chunk : new Uint8Array(chunk);
        worker.postMessage({ id, type: 'data', chunk: msg }, [msg.buffer as ArrayBuffer]);
        while (s.inFlight > IN_FLIGHT && !s.failure) await new Promise<void>((r) => (s.wake = r));
      },
      finish(): Promise<LayerAnalysis | undefined> {
        if (s.failure) return Promise.reject(s.failure);
        return new Promise((resolve, reject) => {
          s.done = { resolve, reject };
          worker.postMessage({ id, type: 'end' });
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
