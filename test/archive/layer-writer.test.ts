import assert from 'node:assert/strict';
import { createReadStream, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractTar } from '../../src/archive/extract.js';
import { CONVENTIONS } from '../../src/archive/docker-headers.js';
import { capabilityForArchive, compareWalkOrder, layerFromDirectory, layerFromEntries, type LayerEntry } from '../../src/archive/layer-writer.js';
import { loadNative } from '../../src/archive/native.js';
import { TarType, type TarHeader } from '../../src/archive/tar-header.js';
import { readTar } from '../../src/archive/tar-reader.js';
import { ARCHIVES, cleanup, collect, ensureNative, run, tempDir } from './helpers.js';

async function headersOf(tar: Buffer): Promise<Array<{ h: TarHeader; data: Buffer }>> {
  const out = [];
  for await (const e of readTar([tar])) out.push({ h: e.header, data: await e.body.readAll() });
  return out;
}

before(() => ensureNative());

describe('layers and docker save files as Docker writes them', () => {
  let base: string;
  before(() => (base = tempDir()));
  after(() => cleanup(base));

  it('rebuilds a docker save archive byte for byte from its files (Docker 20.10 conventions)', async () => {
    const original = await collect(createReadStream(join(ARCHIVES, 'two-images.tar')));
    const entries: LayerEntry[] = [];
    for (const { h, data } of await headersOf(original)) {
      entries.push({
        path: h.name,
        type: h.type === TarType.Dir ? 'dir' : 'file',
        mode: h.mode & 0o7777,
        mtime: h.mtime,
        uid: 0,
        gid: 0,
        ...(h.type === TarType.File ? { size: data.length, body: data } : {}),
      });
    }
    entries.reverse(); // the writer sorts
    const rebuilt = await collect(layerFromEntries(entries, { conventions: 'docker-20.10' }));
    assert.ok(rebuilt.equals(original));
  });

  it('rebuilds Docker-made layers byte for byte from their extracted directories', async () => {
    let checked = 0;
    for (const archive of ['two-images.tar', 'small-multitag.tar']) {
      for await (const e of readTar(createReadStream(join(ARCHIVES, archive)))) {
        if (!e.header.name.endsWith('/layer.tar')) continue;
        const layer = await e.body.readAll();
        const formats = (await headersOf(layer)).map((x) => x.h.format);
        if (formats.includes('gnu')) continue; // imported with GNU tar, not written by Docker
        const dir = join(base, `layer-${checked++}`);
        await extractTar([layer], dir);
        const rebuilt = await collect(layerFromDirectory(dir, { conventions: 'docker-20.10' }));
        assert.ok(rebuilt.equals(layer), `${archive} ${e.header.name}`);
      }
    }
    assert.ok(checked >= 3);
  });

  it('uses the header conventions of each Docker version', async () => {
    const dir = join(base, 'conv');
    mkdirSync(join(dir, 'd'), { recursive: true });
    writeFileSync(join(dir, 'd/f'), 'f');
    const pick = async (conventions: 'docker' | 'docker-23' | 'docker-20.10'): Promise<Array<[string, number, string]>> =>
      (await headersOf(await collect(layerFromDirectory(dir, { conventions })))).map(({ h }) => [h.name, h.mode, h.uname]);
    assert.deepEqual(await pick('docker'), [
      ['d/', 0o755, ''],
      ['d/f', 0o644, ''],
    ]);
    assert.deepEqual(await pick('docker-23'), [
      ['d/', 0o40755, ''],
      ['d/f', 0o100644, ''],
    ]);
    assert.deepEqual(await pick('docker-20.10'), [
      ['d/', 0o40755, 'root'],
      ['d/f', 0o100644, 'root'],
    ]);
    assert.deepEqual(CONVENTIONS.docker, { typeBits: false, names: 'none' });
  });

  it('records hardlinks, symlinks, devices and fifos, skips sockets, keeps the capability xattr', async () => {
    const dir = join(base, 'kinds');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a'), 'same inode');
    linkSync(join(dir, 'a'), join(dir, 'b'));
    symlinkSync('/target', join(dir, 'sym'));
    run('mkfifo', [join(dir, 'fifo')]);
    run('mknod', [join(dir, 'tty'), 'c', '5', '0']);
    writeFileSync(join(dir, 'ping'), 'binary');
    run('setcap', ['cap_net_raw+ep', join(dir, 'ping')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
    try {
      const hs = (await headersOf(await collect(layerFromDirectory(dir)))).map((x) => x.h);
      const by = new Map(hs.map((h) => [h.name, h]));
      assert.deepEqual([...by.keys()], ['a', 'b', 'fifo', 'ping', 'sym', 'tty']);
      assert.equal(by.get('b')!.type, TarType.Link);
      assert.equal(by.get('b')!.linkname, 'a');
      assert.equal(by.get('b')!.size, 0);
      assert.equal(by.get('sym')!.linkname, '/target');
      assert.equal(by.get('fifo')!.type, TarType.Fifo);
      assert.deepEqual([by.get('tty')!.type, by.get('tty')!.devmajor, by.get('tty')!.devminor], [TarType.Char, 5, 0]);
      const cap = loadNative().lgetxattr(join(dir, 'ping'), 'security.capability');
      assert.deepEqual(by.get('ping')!.xattrs?.['security.capability'], cap);
      assert.equal(by.get('ping')!.format, 'pax');
      assert.equal(by.get('a')!.xattrs, undefined);
    } finally {
      server.close();
    }
    const v3 = Buffer.alloc(24);
    v3[3] = 3;
    v3[4] = 0x7f;
    const v2 = capabilityForArchive(v3);
    assert.equal(v2.length, 20);
    assert.equal(v2[3], 2);
    assert.equal(v2[4], 0x7f);
  });

  it('converts overlayfs whiteouts like Docker\'s overlay2 diff, and they apply back', async () => {
    const upper = join(base, 'upper');
    mkdirSync(join(upper, 'opq'), { recursive: true });
    writeFileSync(join(upper, 'opq/new'), 'new');
    const n = loadNative();
    n.mknod(join(upper, 'deleted'), 0o020000, 0, 0);
    n.lsetxattr(join(upper, 'opq'), 'trusted.overlay.opaque', Buffer.from('y'), 0);
    const tar = await collect(layerFromDirectory(upper, { overlayWhiteouts: true }));
    const hs = (await headersOf(tar)).map((x) => x.h);
    assert.deepEqual(
      hs.map((h) => [h.name, h.type, h.mode, h.size, h.mtime.sec === 0]),
      [
        ['.wh.deleted', TarType.File, 0o600, 0, false],
        ['opq/', TarType.Dir, 0o755, 0, false],
        ['opq/.wh..wh..opq', TarType.File, 0o755, 0, true],
        ['opq/new', TarType.File, 0o644, 3, false],
      ],
    );
    const lower = join(base, 'lower');
    await extractTar([await collect(layerFromEntries([
      { path: 'deleted', type: 'file', body: 'old' },
      { path: 'opq', type: 'dir' },
      { path: 'opq/old', type: 'file', body: 'old' },
    ]))], lower);
    await extractTar([tar], lower);
    const after2 = await headersOf(await collect(layerFromDirectory(lower)));
    assert.deepEqual(after2.map((x) => x.h.name), ['opq/', 'opq/new']);
    const ovl = join(base, 'ovl');
    await extractTar([tar], ovl, { whiteouts: 'overlay' });
    const again = await collect(layerFromDirectory(ovl, { overlayWhiteouts: true }));
    assert.deepEqual((await headersOf(again)).map((x) => x.h.name), hs.map((h) => h.name));
  });

  it('normalises mtimes and owners for reproducible digests', async () => {
    const make = (name: string, mtime: number, uid: number): string => {
      const d = join(base, name);
      mkdirSync(join(d, 'sub'), { recursive: true });
      writeFileSync(join(d, 'sub/file'), 'same content');
      chownSync(join(d, 'sub/file'), uid, uid);
      for (const p of ['sub/file', 'sub']) utimesSync(join(d, p), mtime, mtime);
      return d;
    };
    const a = make('repro-a', 1000000000, 1);
    const b = make('repro-b', 1900000000, 2);
    const opts = { setMtime: new Date(1234567890000), owner: { uid: 0, gid: 0 } };
    const ta = await collect(layerFromDirectory(a, opts));
    const tb = await collect(layerFromDirectory(b, opts));
    assert.ok(ta.equals(tb));
    const clamped = await headersOf(await collect(layerFromDirectory(b, { clampMtime: 1500000000 })));
    assert.ok(clamped.every((x) => x.h.mtime.sec === 1500000000));
    const notClamped = await headersOf(await collect(layerFromDirectory(a, { clampMtime: 1500000000 })));
    assert.ok(notClamped.every((x) => x.h.mtime.sec === 1000000000));
  });

  it('sorts in filepath.Walk order and refuses duplicate paths', async () => {
    const paths = ['a-b', 'a/x', 'a', 'B', 'a/x/y', 'é', 'z'];
    assert.deepEqual([...paths].sort(compareWalkOrder), ['B', 'a', 'a/x', 'a/x/y', 'a-b', 'z', 'é']);
    const tar = await collect(
      layerFromEntries(paths.map((p): LayerEntry => ({ path: p, type: p === 'a' || p === 'a/x' ? 'dir' : 'file', body: p }))),
    );
    assert.deepEqual((await headersOf(tar)).map((x) => x.h.name), ['B', 'a/', 'a/x/', 'a/x/y', 'a-b', 'z', 'é']);
    await assert.rejects(collect(layerFromEntries([{ path: 'd', type: 'dir' }, { path: 'd/', type: 'dir' }])), /two entries/);
  });
});
