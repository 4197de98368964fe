import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { isKind } from '../../src/image/errors.js';
import {
  compress,
  createDecompressor,
  decompress,
  decompressAuto,
  detectCompression,
  peekStream,
  type Compression,
} from '../../src/archive/compression.js';
import { collect, run } from './helpers.js';

const TOOLS: Array<[Exclude<Compression, 'none'>, string[]]> = [
  ['gzip', ['gzip', '-c']],
  ['bzip2', ['bzip2', '-c']],
  ['xz', ['xz', '-c']],
  ['zstd', ['zstd', '-q', '-c']],
];

function sample(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 20000; i++) parts.push(Buffer.from(`line ${i} of a compressible layer ${i % 7}\n`));
  parts.push(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
  return Buffer.concat(parts);
}

/** Feeds a buffer in small chunks, as a network stream would. */
function chunked(b: Buffer, size = 1000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

function assertCorrupt(err: unknown): boolean {
  assert.ok(isKind(err, 'corrupt'), `expected corrupt, got ${String(err)}`);
  assert.ok(!(err as Error).message.includes('\n'));
  return true;
}

describe('compression', () => {
  const data = sample();

  for (const [kind, cmd] of TOOLS) {
    it(`detects and decompresses ${kind} made by the system tool`, async () => {
      const packed = run(cmd[0]!, cmd.slice(1), { input: data });
      assert.equal(detectCompression(packed), kind);
      const { compression, stream } = await decompressAuto(chunked(packed, 777));
      assert.equal(compression, kind);
      assert.ok((await collect(stream)).equals(data));
    });

    it(`reports corrupt and truncated ${kind} input as errors`, async () => {
      const packed = run(cmd[0]!, cmd.slice(1), { input: data });
      const flipped = Buffer.from(packed);
      for (let i = Math.floor(packed.length / 3); i < Math.floor(packed.length / 3) + 16; i++) flipped[i] ^= 0x55;
      await assert.rejects(collect(decompress(kind, chunked(flipped))), assertCorrupt);
      await assert.rejects(collect(decompress(kind, chunked(packed.subarray(0, packed.length - 20)))), assertCorrupt);
    });
  }

  it('passes uncompressed data through and keeps the peeked bytes', async () => {
    const small = data.subarray(0, 5000);
    const { compression, stream } = await decompressAuto(chunked(small, 1));
    assert.equal(compression, 'none');
    assert.ok((await collect(stream)).equals(small));
    const { head, stream: s2 } = await peekStream(chunked(Buffer.from('ab')), 6);
    assert.equal(head.toString(), 'ab');
    assert.equal((await collect(s2)).toString(), 'ab');
    assert.equal(detectCompression(Buffer.from([0x50, 0x2a, 0x4d, 0x18])), 'zstd'); // skippable frame
    assert.equal(detectCompression(Buffer.from('ustar')), 'none');
  });

  it('compresses gzip and zstd that the system tools read back, with levels', async () => {
    for (const [kind, tool] of [['gzip', ['gzip', '-d', '-c']], ['zstd', ['zstd', '-q', '-d', '-c']]] as const) {
      const fast = await collect(compress(kind, chunked(data), { level: 1 }));
      const best = await collect(compress(kind, chunked(data), { level: kind === 'gzip' ? 9 : 19 }));
      assert.equal(detectCompression(fast), kind);
      assert.ok(!best.equals(fast), `${kind} level has an effect`);
      assert.ok(run(tool[0], [...tool.slice(1)], { input: best }).equals(data));
      assert.ok((await collect(decompress(kind, chunked(fast)))).equals(data));
    }
  });

  it('kills the xz process when the consumer gives up', async () => {
    const big = run('xz', ['-0', '-T1', '-c'], { input: Buffer.alloc(16 << 20, 1) });
    const d = createDecompressor('xz') as ReturnType<typeof createDecompressor> & { pid?: number };
    const pid = d.pid!;
    assert.ok(pid > 0);
    chunked(big, 4096).pipe(d);
    await new Promise((resolve) => d.once('data', resolve));
    d.destroy();
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(20);
    }
    assert.fail('xz still running');
  });

  it('aborting a decompression stops it', async () => {
    const ac = new AbortController();
    const packed = run('bzip2', ['-c'], { input: data });
    const s = decompress('bzip2', chunked(packed), { signal: ac.signal });
    ac.abort();
    await assert.rejects(collect(s));
  });

  it('reports a missing tool as unavailable', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const s = decompress('xz', chunked(Buffer.from('x')));
      await assert.rejects(collect(s), (err) => isKind(err, 'unavailable'));
    } finally {
      process.env.PATH = path;
    }
  });

  it('bounds zstd output to what the consumer asks for (no decompression bomb)', async () => {
    const zeros = Readable.from((function* () {
      const mb = Buffer.alloc(1 << 20);
      for (let i = 0; i < 512; i++) yield mb;
    })());
    const bomb = await collect(compress('zstd', zeros, { level: 3 }));
    assert.ok(bomb.length < 1 << 20);
    const s = decompress('zstd', Readable.from([bomb]));
    const first = await new Promise<Buffer>((resolve) => s.once('data', resolve));
    s.pause();
    await sleep(100);
    assert.ok(first.length <= 1 << 20);
    assert.ok(s.readableLength <= 4 << 20, `buffered ${s.readableLength} bytes`);
    s.destroy();
  });
});
