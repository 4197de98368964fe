/**
 * Worker thread for pulls: runs the layer analysis (decompression, diff ID, tar sizes) off the
 * main thread, which meanwhile receives, hashes and writes the compressed blobs. Several layers
 * share one worker; each layer's messages are handled strictly in order, and every data chunk is
 * acknowledged once consumed (backpressure).
 */
import { parentPort } from 'node:worker_threads';
import { LayerAnalyzer } from './layer-analysis.js';

type Message = { id: number } & ({ type: 'start' } | { type: 'data'; chunk: Uint8Array } | { type: 'end' });

const streams = new Map<number, { analyzer: LayerAnalyzer; queue: Promise<void> }>();

async function handle(m: Message): Promise<void> {
  const s = streams.get(m.id);
  if (!s) return;
  if (m.type === 'data') {
    await s.analyzer.push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
    parentPort!.postMessage({ id: m.id, type: 'ack', bytes: m.chunk.byteLength });
  } else if (m.type === 'end') {
    const result = await s.analyzer.finish();
    streams.delete(m.id);
    parentPort!.postMessage({ id: m.id, type: 'result', result: result ?? null });
  }
}

parentPort!.on('message', (m: Message) => {
  if (m.type === 'start') {
    streams.set(m.id, { analyzer: new LayerAnalyzer(), queue: Promise.resolve() });
    return;
  }
  const s = streams.get(m.id);
  if (!s) return;
  s.queue = s.queue.then(() => handle(m)).catch((err: unknown) => {
    streams.delete(m.id);
    parentPort!.postMessage({ id: m.id, type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
});
