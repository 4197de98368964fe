/**
 * Worker thread for pulls: runs the layer analysis (decompression, diff ID, tar sizes) off the
 * main thread, which meanwhile receives, hashes and writes the compressed blobs. Several layers
 * share one worker. Their bytes stay in the main thread's shared rings: each data message names
 * a slot, which is acknowledged once the analysis no longer reads it.
 */
import { parentPort } from 'node:worker_threads';
import { LayerAnalyzer } from './layer-analysis.js';
import type { WorkerReply, WorkerRequest } from './registry-analysis.js';

const rings = new Map<number, SharedArrayBuffer>();
const streams = new Map<number, LayerAnalyzer>();
const port = parentPort!;
const reply = (m: WorkerReply) => port.postMessage(m);

port.on('message', (m: WorkerRequest) => {
  switch (m.type) {
    case 'ring':
      rings.set(m.ring, m.sab);
      return;
    case 'drop-ring':
      rings.delete(m.ring);
      return;
    case 'start':
      streams.set(m.id, new LayerAnalyzer());
      return;
  }
  const a = streams.get(m.id);
  if (m.type === 'end') {
    streams.delete(m.id);
    if (!a) return;
    a.finish().then(
      (result) => reply({ id: m.id, type: 'result', result: result ?? null }),
      (err: unknown) => reply({ id: m.id, type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    return;
  }
  const ack = () => reply({ id: m.id, type: 'ack', seq: m.seq });
  const sab = m.type === 'data' ? rings.get(m.ring) : undefined;
  if (!a || (m.type === 'data' && !sab)) {
    ack();
    return;
  }
  // Writes reach the analyzer in message order; each ack waits for its own chunk only.
  const pushed = m.type === 'data' ? a.pushShared(Buffer.from(sab!, m.off, m.len)) : a.push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
  pushed.then(ack, ack);
});
