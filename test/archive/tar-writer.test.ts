import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { decompressAuto } from '../../src/archive/compression.js';
import { digestOf } from '../../src/archive/digest-stream.js';
import { encodeHeader } from '../../src/archive/tar-encode.js';
import { BLOCK, F } from '../../src/archive/tar-fields.js';
import { TarType, headerDefaults, type TarHeaderInit } from '../../src/archive/tar-header.js';
import { readTar } from '../../src/archive/tar-reader.js';
import { TarWriter, tarChunks, tarStream, type TarInputEntry } from '../../src/archive/tar-writer.js';
import { ARCHIVES, FIXTURES, cleanup, collect, run, tempDir } from './helpers.js';

/** Parses a tar and writes it back from the parsed headers (or the raw header bytes). */
async function rewrite(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, raw = false): Promise<Buffer> {
  async function* entries(): AsyncGenerator<TarInputEntry> {
    for await (const e of readTar(input)) {
      yield raw ? { rawHeader: e.rawHeader, bodySize: e.body.storedSize, body: e.body } : { header: e.header, body: e.body };
    }
  }
  return collect(tarChunks(entries()));
}

function field(block: Buffer, f: readonly [number, number]): string {
  return block.subarray(f[0], f[0] + f[1]).toString('latin1');
}

function encode(init: TarHeaderInit): Buffer {
  return encodeHeader(headerDefaults(init)).bytes;
}

describe('byte-identical round trips of real Docker archives (written by Go archive/tar)', () => {
  const archives = readdirSync(ARCHIVES).filter((n) => n.endsWith('.tar'));

  for (const name of archives) {
    it(`docker save archive ${name} and every layer.tar in it`, async () => {
      const original = readFileSync(join(ARCHIVES, name));
      assert.ok((await rewrite(createReadStream(join(ARCHIVES, name)))).equals(original), 'outer archive differs');

      let layers = 0;
      for await (const e of readTar(createReadStream(join(ARCHIVES, name)))) {
        if (!e.header.name.endsWith('/layer.tar')) continue;
        layers++;
        const layer = await e.body.readAll();
        assert.ok((await rewrite([layer], true)).equals(layer), `raw pass-through of ${e.header.name}`);
        const formats = new Set<string | undefined>();
        for await (const le of readTar([layer])) formats.add(le.header.format);
        if (formats.has('gnu')) {
          // The busybox base layer was made by GNU tar (docker import keeps the bytes); GNU tar leaves
          // devmajor/devminor empty where Go writes zeros, so only those fields (and the checksum) differ.
          const again = await rewrite([layer]);
          assert.equal(again.length, layer.length);
          for (let off = 0; off < layer.length; off += BLOCK) {
            for (let i = 0; i < BLOCK; i++) {
              if (again[off + i] === layer[off + i]) continue;
              const inDev = i >= F.devmajor[0] && i < F.devminor[0] + F.devminor[1];
              const inSum = i >= F.chksum[0] && i < F.chksum[0] + F.chksum[1];
              assert.ok(inDev || inSum, `byte ${i} of block at ${off} differs`);
            }
          }
          const a = [];
          const b = [];
          for await (const x of readTar([layer])) a.push({ h: x.header, d: await x.body.readAll() });
          for await (const x of readTar([again])) b.push({ h: x.header, d: await x.body.readAll() });
          assert.deepEqual(b, a);
        } else {
          assert.ok((await rewrite([layer])).equals(layer), `re-encoding of ${e.header.name}`);
        }
      }
      assert.ok(layers >= 2);
    });
  }

  it('oci-archive written by containers/image, and its gzip layers', async () => {
    const oci = join(FIXTURES, 'oci/small.oci.tar');
    assert.ok((await rewrite(createReadStream(oci))).equals(readFileSync(oci)));

    const layout = join(FIXTURES, 'oci/small-from-archive');
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const blob = (d: string): string => join(layout, 'blobs/sha256', d.slice('sha256:'.length));
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as { rootfs: { diff_ids: string[] } };
    for (const [i, l] of manifest.layers.entries()) {
      const { compression, stream } = await decompressAuto(createReadStream(blob(l.digest)));
      assert.equal(compression, 'gzip');
      const layer = await collect(stream);
      assert.equal((await digestOf([layer])).digest, config.rootfs.diff_ids[i]);
      assert.ok((await rewrite([layer], true)).equals(layer));
    }
  });
});

describe('header encoding follows Go archive/tar WriteHeader', () => {
  it('writes a plain USTAR header', () => {
    const b = encode({ name: 'f', type: TarType.File, mode: 0o644, size: 3, mtime: { sec: 1234567890, nsec: 0 } });
    assert.equal(b.length, BLOCK);
    assert.equal(field(b, F.name).replace(/\0+$/, ''), 'f');
    assert.equal(field(b, F.mode), '0000644\0');
    assert.equal(field(b, F.uid), '0000000\0');
    assert.equal(field(b, F.size), '00000000003\0');
    assert.equal(field(b, F.mtime), '11145401322\0');
    assert.equal(field(b, F.magic) + field(b, F.version), 'ustar\x0000');
    assert.equal(field(b, F.devmajor), '0000000\0');
    assert.match(field(b, F.chksum), /^[0-7]{6}\0 $/);
  });

  it('rounds sub-second mtimes unless a format is given, then uses a PAX record', () => {
    const rounded = encode({ name: 'f', mtime: { sec: 10, nsec: 600_000_000 } });
    assert.equal(field(rounded, F.mtime), '00000000013\0');
    const pax = encode({ name: 'dir/f', mtime: { sec: 10, nsec: 600_000_000 }, format: 'pax' });
    assert.equal(pax.length, 3 * BLOCK);
    assert.equal(field(pax, F.name).replace(/\0+$/, ''), 'dir/PaxHeaders.0/f');
    assert.equal(field(pax, F.typeflag), 'x');
    assert.equal(pax.subarray(BLOCK, BLOCK + 15).toString(), '14 mtime=10.6\n\0');
    assert.equal(field(pax.subarray(2 * BLOCK), F.mtime), '00000000012\0');
    // PAX requested but nothing needs it: still USTAR
    assert.equal(encode({ name: 'f', mtime: { sec: 10, nsec: 0 }, format: 'pax' }).length, BLOCK);
  });

  it('splits long ASCII names into prefix/name, else falls back to a PAX path', () => {
    const long = `${'p'.repeat(120)}/${'n'.repeat(30)}`;
    const split = encode({ name: long });
    assert.equal(split.length, BLOCK);
    assert.equal(field(split, F.prefix).replace(/\0+$/, ''), 'p'.repeat(120));
    assert.equal(field(split, F.name).replace(/\0+$/, ''), 'n'.repeat(30));

    const unsplittable = 'x'.repeat(120);
    const pax = encode({ name: unsplittable });
    assert.equal(pax.subarray(BLOCK, BLOCK + 130).toString().replace(/\0+$/, ''), `130 path=${unsplittable}\n`);
    assert.equal(field(pax.subarray(2 * BLOCK), F.name), 'x'.repeat(100));
  });

  it('uses PAX for non-ASCII names, with an ASCII-only name field', () => {
    const b = encode({ name: 'dir/héllo' });
    assert.equal(field(b, F.name).replace(/\0+$/, ''), 'dir/PaxHeaders.0/hllo');
    assert.ok(b.subarray(BLOCK, 2 * BLOCK).toString('utf8').startsWith('19 path=dir/héllo\n'));
    assert.equal(field(b.subarray(2 * BLOCK), F.name).replace(/\0+$/, ''), 'dir/hllo');
  });

  it('uses PAX records for numbers USTAR cannot hold', () => {
    assert.equal(encode({ name: 'f', uid: 0o7777777 }).length, BLOCK);
    const uid = encode({ name: 'f', uid: 0o10000000, gid: 5 });
    assert.ok(uid.subarray(BLOCK).toString().startsWith('15 uid=2097152\n'));
    assert.equal(field(uid.subarray(2 * BLOCK), F.uid), '0000000\0');
    const big = encodeHeader(headerDefaults({ name: 'big', size: 2 ** 33 }));
    assert.equal(big.format, 'pax');
    assert.equal(big.bodySize, 2 ** 33);
    assert.ok(big.bytes.subarray(BLOCK).toString().startsWith('19 size=8589934592\n'));
    assert.equal(field(big.bytes.subarray(2 * BLOCK), F.size), '00000000000\0');
    const old = encode({ name: 'old', mtime: { sec: -1, nsec: 0 } });
    assert.ok(old.subarray(BLOCK).toString().startsWith('12 mtime=-1\n'));
  });

  it('records xattrs as sorted SCHILY.xattr PAX records', () => {
    const b = encode({ name: 'f', xattrs: { 'user.b': Buffer.from([0, 0xff]), 'security.capability': Buffer.from('cap') } });
    const data = b.subarray(BLOCK, 2 * BLOCK);
    const text = data.toString('latin1');
    assert.ok(text.startsWith('40 SCHILY.xattr.security.capability=cap\n26 SCHILY.xattr.user.b=\0\xff\n'));
  });

  it('writes GNU headers with long-name files and base-256 numbers when asked', () => {
    const name = 'g'.repeat(130);
    const b = encode({ name, uid: 3_000_000, format: 'gnu' });
    assert.equal(field(b, F.name).replace(/\0+$/, ''), '././@LongLink');
    assert.equal(field(b, F.typeflag), 'L');
    assert.equal(field(b, F.magic) + field(b, F.version), 'ustar  \0');
    assert.equal(b.subarray(BLOCK, BLOCK + 131).toString('latin1'), `${name}\0`);
    const main = b.subarray(2 * BLOCK);
    assert.equal(main[F.uid[0]], 0x80);
    assert.equal(field(main, F.name), 'g'.repeat(100));
  });

  it('names directory PAX headers and global headers like Go', () => {
    const d = encode({ name: 'dé/', type: TarType.Dir });
    assert.equal(field(d, F.name).replace(/\0+$/, ''), 'd/PaxHeaders.0');
    assert.equal(field(d.subarray(2 * BLOCK), F.name).replace(/\0+$/, ''), 'd/');
    const global = encode({ name: '', type: TarType.PaxGlobal, pax: { comment: 'hi' } });
    assert.equal(global.length, 2 * BLOCK);
    assert.equal(field(global, F.name).replace(/\0+$/, ''), 'GlobalHead.0.0');
    assert.equal(field(global, F.typeflag), 'g');
    const legacy = encode({ name: 'x/' });
    assert.equal(field(legacy, F.typeflag), '5');
  });

  it('refuses headers no format can encode', () => {
    assert.throws(() => encode({ name: 'x'.repeat(120), format: 'ustar' }), /cannot encode/);
    assert.throws(() => encode({ name: 'f/', type: TarType.File }), /trailing slash/);
    assert.throws(() => encode({ name: 'f', type: TarType.PaxHeader }), /cannot manually encode/);
    assert.throws(() => encode({ name: 'f', uname: 'u'.repeat(40), format: 'gnu' }), /cannot encode/);
  });
});

describe('written archives are read correctly by GNU tar and Python', () => {
  const entries = (): TarInputEntry[] => [
    { header: { name: 'dir/', type: TarType.Dir, mode: 0o755, mtime: { sec: 1600000000, nsec: 0 } } },
    { header: { name: 'dir/file.txt', mode: 0o640, size: 5, uid: 1000, gid: 1000, uname: 'u', gname: 'g', mtime: { sec: 1600000000, nsec: 0 } }, body: 'hello' },
    { header: { name: `dir/${'long-'.repeat(40)}name`, mode: 0o644, size: 1 }, body: 'x' },
    { header: { name: 'dir/héllo-日本', mode: 0o644, size: 2 }, body: 'hi' },
    { header: { name: 'dir/link', type: TarType.Symlink, linkname: 't'.repeat(150), mode: 0o777 } },
    { header: { name: 'dir/hard', type: TarType.Link, linkname: 'dir/file.txt' } },
    { header: { name: 'dir/bigid', mode: 0o600, uid: 5_000_000, gid: 6_000_000, size: 0 } },
    { header: { name: 'dir/ns', mode: 0o600, mtime: { sec: 1700000000, nsec: 123456789 }, format: 'pax' } },
    { header: { name: 'dir/attr', mode: 0o600, xattrs: { 'user.k': Buffer.from('v') } } },
    { header: { name: 'dir/fifo', type: TarType.Fifo, mode: 0o600 } },
    { header: { name: 'dir/null', type: TarType.Char, mode: 0o666, devmajor: 1, devminor: 3 } },
  ];

  it('GNU tar lists and extracts them', async () => {
    const dir = tempDir();
    try {
      const tarPath = join(dir, 'ours.tar');
      writeFileSync(tarPath, await collect(tarStream(entries())));
      const listing = run('tar', ['--numeric-owner', '-tvf', tarPath]).toString();
      assert.match(listing, /-rw-r----- 1000\/1000\s+5 2020-09-13 \d\d:\d\d dir\/file\.txt/);
      assert.match(listing, /5000000\/6000000/);
      assert.match(listing, /dir\/héllo-日本/);
      assert.match(listing, new RegExp(`dir/link -> ${'t'.repeat(150)}`));
      run('tar', ['--xattrs', '--xattrs-include=user.*', '-C', dir, '-xf', tarPath]);
      assert.equal(readFileSync(join(dir, 'dir/file.txt'), 'utf8'), 'hello');
      assert.equal(readFileSync(join(dir, `dir/${'long-'.repeat(40)}name`), 'utf8'), 'x');
      const code = `
import tarfile, sys, json
with tarfile.open(sys.argv[1]) as t:
    print(json.dumps({m.name: [m.uid, m.gid, m.mtime, m.linkname, m.devmajor, m.devminor, dict(m.pax_headers)] for m in t.getmembers()}))
`;
      const r = spawnSync('python3', ['-c', code, tarPath], { encoding: 'utf8' });
      const py = JSON.parse(r.stdout) as Record<string, [number, number, number, string, number, number, Record<string, string>]>;
      assert.deepEqual(py['dir/bigid']!.slice(0, 2), [5_000_000, 6_000_000]);
      assert.ok(Math.abs(py['dir/ns']![2] - 1700000000.123456) < 1e-5);
      assert.equal(py['dir/hard']![3], 'dir/file.txt');
      assert.deepEqual(py['dir/null']!.slice(4, 6), [1, 3]);
      assert.equal(py['dir/attr']![6]['SCHILY.xattr.user.k'], 'v');
    } finally {
      cleanup(dir);
    }
  });

  it('TarWriter honours a slow destination and produces the same bytes', async () => {
    const expected = await collect(tarStream(entries()));
    const parts: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 256,
      write(chunk: Buffer, _enc, cb) {
        parts.push(Buffer.from(chunk));
        setTimeout(cb, 1);
      },
    });
    const tw = new TarWriter(slow);
    for (const e of entries()) {
      if ('header' in e) await tw.writeEntry(e.header, e.body);
    }
    await tw.finish();
    await new Promise<void>((resolve) => slow.end(resolve));
    assert.ok(Buffer.concat(parts).equals(expected));
  });

  it('tarStream pulls bodies only as fast as the consumer reads', async () => {
    let produced = 0;
    const chunk = Buffer.alloc(64 << 10);
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 1600; i++) {
        produced += chunk.length;
        yield chunk;
      }
    }
    const s = tarStream([{ header: { name: 'big', size: 1600 * chunk.length }, body: body() }]);
    await new Promise((resolve) => s.once('data', resolve));
    s.pause();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(produced <= 1 << 20, `read ahead ${produced} bytes`);
    s.destroy();
  });

  it('checks body sizes', async () => {
    await assert.rejects(collect(tarChunks([{ header: { name: 'f', size: 2 }, body: 'abc' }])), /write too long/);
    await assert.rejects(collect(tarChunks([{ header: { name: 'f', size: 4 }, body: 'abc' }])), /missed writing 1 bytes/);
    const tw = new TarWriter(new Writable({ write: (_c, _e, cb) => cb() }));
    await tw.writeHeader({ name: 'f', size: 3 });
    await assert.rejects(tw.writeHeader({ name: 'g' }), /missed writing 3 bytes/);
  });

  it('ends with 1024 zero bytes and pads bodies to 512', async () => {
    const b = await collect(tarChunks([{ header: { name: 'f', size: 3 }, body: 'abc' }]));
    assert.equal(b.length, 512 + 512 + 1024);
    assert.ok(b.subarray(512 + 3).every((x) => x === 0));
  });
});
