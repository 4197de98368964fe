import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { compress, decompress } from '../../src/archive/compression.js';
import { DigestSink, DigestStream, digestOf, digestingIterable } from '../../src/archive/digest-stream.js';
import { readTar } from '../../src/archive/tar-reader.js';
import { ARCHIVES, collect } from './helpers.js';

describe('digest streams', () => {
  const data = Buffer.from('some layer bytes '.repeat(10000));
  const expected = `sha256:${createHash('sha256').update(data).digest('hex')}`;

  it('passes bytes through unchanged while hashing them', async () => {
    const ds = new DigestStream();
    const out = await collect(Readable.from([data.subarray(0, 1000), data.subarray(1000)]).pipe(ds));
    assert.ok(out.equals(data));
    assert.deepEqual(ds.digest(), { digest: expected, size: data.length });
    assert.deepEqual(await ds.result, { digest: expected, size: data.length });
  });

  it('gives the diff ID of a compressed layer while decompressing it', async () => {
    const gz = await collect(compress('gzip', Readable.from([data])));
    const sink = new DigestSink();
    await pipeline(decompress('gzip', Readable.from([gz])), sink);
    assert.deepEqual(await sink.result, { digest: expected, size: data.length });
    const wrapped = digestingIterable(Readable.from([data]));
    assert.ok((await collect(wrapped.iterable)).equals(data));
    assert.equal((await wrapped.result).digest, expected);
  });

  it('matches the diff IDs Docker recorded for the layers of a saved image', async () => {
    const bodies = new Map<string, string>();
    let config: { rootfs: { diff_ids: string[] } } | undefined;
    let manifest: Array<{ Config: string; Layers: string[] }> | undefined;
    for await (const e of readTar(createReadStream(join(ARCHIVES, 'small-multitag.tar')))) {
      if (e.header.name.endsWith('/layer.tar')) bodies.set(e.header.name, (await digestOf(e.body)).digest);
      else if (e.header.name === 'manifest.json') manifest = JSON.parse((await e.body.readAll()).toString());
      else if (e.header.name.endsWith('.json') && !e.header.name.includes('/')) config = JSON.parse((await e.body.readAll()).toString());
    }
    assert.deepEqual(
      manifest![0]!.Layers.map((l) => bodies.get(l)),
      config!.rootfs.diff_ids,
    );
  });
});
