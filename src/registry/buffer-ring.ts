import { addressMod } from '../archive/native.js';

/**
 * Buffers that a blob download reads into. A ring is a fixed set of equal slots in one backing
 * store (shared memory when another thread reads them too), handed out and given back, so a
 * download of any size allocates nothing per byte and holds at most the ring in memory.
 */
export interface BatchBuffers {
  /** Bytes per buffer. */
  readonly size: number;
  /** A free buffer, or undefined when all are in use. */
  take(): Buffer | undefined;
  /** Gives back the buffer that `view` (or a part of it) lies in. */
  release(view: Uint8Array): void;
  /** Calls `cb` once, at the next release (at once when a buffer is free). */
  onFree(cb: () => void): void;
}

/** Slots start on this boundary when the ring is asked to align them (the block size O_DIRECT wants). */
export const RING_ALIGN = 4096;

export class BufferRing implements BatchBuffers {
  readonly backing: ArrayBuffer | SharedArrayBuffer;
  /** Where the first slot starts in `backing`. */
  private readonly base: number;
  private readonly slots: Buffer[];
  private readonly free: number[];
  private readonly inUse: boolean[];
  private waiters: (() => void)[] = [];

  constructor(
    readonly count: number,
    readonly size: number,
    opts: { shared?: boolean; align?: boolean } = {},
  ) {
    const extra = opts.align ? RING_ALIGN : 0;
    this.backing = opts.shared ? new SharedArrayBuffer(count * size + extra) : new ArrayBuffer(count * size + extra);
    const mod = opts.align ? addressMod(new Uint8Array(this.backing, 0, 1), RING_ALIGN) : undefined;
    this.base = mod ? RING_ALIGN - mod : 0;
    this.slots = Array.from({ length: count }, (_, i) => Buffer.from(this.backing, this.base + i * size, size));
    this.free = Array.from({ length: count }, (_, i) => count - 1 - i);
    this.inUse = new Array<boolean>(count).fill(false);
  }

  get shared(): boolean {
    return this.backing instanceof SharedArrayBuffer;
  }

  /** True when every slot is free. */
  get idle(): boolean {
    return this.free.length === this.count;
  }

  take(): Buffer | undefined {
    const i = this.free.pop();
    if (i === undefined) return undefined;
    this.inUse[i] = true;
    return this.slots[i];
  }

  release(view: Uint8Array): void {
    if (view.buffer !== this.backing) throw new Error('buffer does not belong to this ring');
    const i = Math.floor((view.byteOffset - this.base) / this.size);
    if (!this.inUse[i]) return;
    this.inUse[i] = false;
    this.free.push(i);
    const w = this.waiters;
    this.waiters = [];
    for (const cb of w) cb();
  }

  onFree(cb: () => void): void {
    if (this.free.length > 0) cb();
    else this.waiters.push(cb);
  }
}

/**
 * Fresh memory for every buffer, for consumers that keep what they are given; at most `limit`
 * out at a time (a buffer counts until it is released, even if its memory lives on).
 */
export class FreshBuffers implements BatchBuffers {
  private readonly out = new Set<ArrayBufferLike>();
  private waiters: (() => void)[] = [];

  constructor(
    readonly size: number,
    private readonly limit = 4,
  ) {}

  take(): Buffer | undefined {
    if (this.out.size >= this.limit) return undefined;
    const b = Buffer.allocUnsafeSlow(this.size);
    this.out.add(b.buffer);
    return b;
  }

  release(view: Uint8Array): void {
    if (!this.out.delete(view.buffer)) return;
    const w = this.waiters;
    this.waiters = [];
    for (const cb of w) cb();
  }

  onFree(cb: () => void): void {
    if (this.out.size < this.limit) cb();
    else this.waiters.push(cb);
  }
}
