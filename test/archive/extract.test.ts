import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../../src/image/errors.js';
import { extractTar } from '../../src/archive/extract.js';
import { loadNative } from '../../src/archive/native.js';
import { TarType } from '../../src/archive/tar-header.js';
import { readTar } from '../../src/archive/tar-reader.js';
import { tarChunks, type TarInputEntry } from '../../src/archive/tar-writer.js';
import { ARCHIVES, cleanup, collect, ensureNative, run, sha256Hex, snapshotTree, tempDir } from './helpers.js';

const T = (sec: number, nsec = 0): { sec: number; nsec: number } => ({ sec, nsec });

async function tarOf(entries: TarInputEntry[]): Promise<Buffer> {
  return collect(tarChunks(entries));
}

const file = (name: string, body: string, extra: Record<string, unknown> = {}): TarInputEntry => ({
  header: { name, type: TarType.File, mode: 0o644, size: Buffer.byteLength(body), mtime: T(1600000000), ...extra },
  body,
});
const dir = (name: string, extra: Record<string, unknown> = {}): TarInputEntry => ({
  header: { name, type: TarType.Dir, mode: 0o755, mtime: T(1600000000), ...extra },
});
const symlink = (name: string, target: string): TarInputEntry => ({
  header: { name, type: TarType.Symlink, linkname: target, mode: 0o777, mtime: T(1600000000) },
});
const hardlink = (name: string, target: string): TarInputEntry => ({
  header: { name, type: TarType.Link, linkname: target, mode: 0o644, mtime: T(1600000000) },
});

/** Busybox layer (GNU tar made) from the docker save fixture. */
async function busyboxLayer(): Promise<Buffer> {
  for await (const e of readTar(createReadStream(join(ARCHIVES, 'two-images.tar')))) {
    if (e.header.name === '0b3862d8e43423536e47a5cd262197a0206e3ed3e40ac3082a060d2299b7d6e1/layer.tar') {
      return await e.body.readAll();
    }
  }
  throw new Error('layer not found');
}

before(() => ensureNative());

describe('extractTar', () => {
  let base: string;
  before(() => (base = tempDir()));
  after(() => cleanup(base));

  it('extracts a real layer exactly as GNU tar does', async () => {
    const layer = await busyboxLayer();
    const gnu = join(base, 'gnu');
    const ours = join(base, 'ours');
    mkdirSync(gnu);
    writeFileSync(join(base, 'layer.tar'), layer);
    run('tar', ['--numeric-owner', '-p', '-C', gnu, '-xf', join(base, 'layer.tar')]);
    const r = await extractTar([layer], ours);
    assert.equal(r.entries, 283);
    assert.equal(r.size, 1982256 + 40);
    assert.deepEqual(snapshotTree(ours).slice(1), snapshotTree(gnu).slice(1));
  });

  it('applies owners, modes (setuid after chown), nanosecond times, xattrs, devices, fifos and links', async () => {
    const dest = join(base, 'meta');
    const tar = await tarOf([
      dir('ro/', { mode: 0o555, mtime: T(1500000000, 5) , format: 'pax' }),
      file('ro/suid', '#!/bin/sh\n', { mode: 0o4755, uid: 1234, gid: 5678, mtime: T(1600000000, 123456789), format: 'pax' }),
      file('ro/attrs', 'a', { xattrs: { 'user.note': Buffer.from([0, 1, 2]), 'trusted.t': Buffer.from('yes') } }),
      // a hardlink header carries the inode's metadata again (Docker applies it to the shared inode)
      { header: { name: 'ro/hard', type: TarType.Link, linkname: 'ro/suid', mode: 0o4755, uid: 1234, gid: 5678, mtime: T(1600000000, 123456789), format: 'pax' } },
      symlink('ro/sym', '/does/not/matter'),
      { header: { name: 'ro/fifo', type: TarType.Fifo, mode: 0o640, mtime: T(1600000001) } },
      { header: { name: 'ro/null', type: TarType.Char, mode: 0o666, devmajor: 1, devminor: 3, mtime: T(1600000002) } },
      { header: { name: 'ro/loop', type: TarType.Block, mode: 0o660, devmajor: 7, devminor: 200, mtime: T(1600000003) } },
    ]);
    const r = await extractTar([tar], dest);
    assert.deepEqual(r.warnings, []);
    const st = (p: string): ReturnType<typeof lstatSync> & { mtimeNs: bigint } =>
      lstatSync(join(dest, p), { bigint: true }) as unknown as ReturnType<typeof lstatSync> & { mtimeNs: bigint };
    const ro = lstatSync(join(dest, 'ro'), { bigint: true });
    assert.equal(Number(ro.mode) & 0o7777, 0o555);
    assert.equal(ro.mtimeNs, 1500000000_000000005n);
    const suid = lstatSync(join(dest, 'ro/suid'), { bigint: true });
    assert.equal(Number(suid.mode) & 0o7777, 0o4755);
    assert.equal([suid.uid, suid.gid].join(':'), '1234:5678');
    assert.equal(suid.mtimeNs, 1600000000_123456789n);
    assert.equal(suid.nlink, 2n);
    assert.equal(lstatSync(join(dest, 'ro/hard')).ino, lstatSync(join(dest, 'ro/suid')).ino);
    assert.equal(readlinkSync(join(dest, 'ro/sym')), '/does/not/matter');
    assert.equal(lstatSync(join(dest, 'ro/sym'), { bigint: true }).mtimeNs, 1600000000_000000000n);
    assert.ok(lstatSync(join(dest, 'ro/fifo')).isFIFO());
    assert.equal(lstatSync(join(dest, 'ro/fifo')).mode & 0o7777, 0o640);
    const nul = lstatSync(join(dest, 'ro/null'), { bigint: true });
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, 0x103n);
    assert.ok(st('ro/loop').isBlockDevice());
    const n = loadNative();
    assert.deepEqual(n.lgetxattr(join(dest, 'ro/attrs'), 'user.note'), Buffer.from([0, 1, 2]));
    assert.deepEqual(n.lgetxattr(join(dest, 'ro/attrs'), 'trusted.t'), Buffer.from('yes'));
  });

  it('replaces non-directories, merges directories, and keeps the root untouched', async () => {
    const dest = join(base, 'replace');
    await extractTar([await tarOf([dir('d/'), file('d/keep', 'k'), file('f', 'file'), dir('g/'), file('g/x', 'x')])], dest);
    await extractTar(
      [await tarOf([dir('./', { mode: 0o700 }), dir('d/', { mode: 0o711 }), dir('f/'), file('g', 'now a file'), file('d/new', 'n')])],
      dest,
    );
    assert.equal(readFileSync(join(dest, 'd/keep'), 'utf8'), 'k');
    assert.equal(lstatSync(join(dest, 'd')).mode & 0o777, 0o711);
    assert.ok(lstatSync(join(dest, 'f')).isDirectory());
    assert.equal(readFileSync(join(dest, 'g'), 'utf8'), 'now a file');
    assert.notEqual(lstatSync(dest).mode & 0o777, 0o700);
  });

  it('creates missing parent directories like Docker (0755)', async () => {
    const dest = join(base, 'implied');
    await extractTar([await tarOf([file('a/b/c/f', 'deep')])], dest);
    assert.equal(readFileSync(join(dest, 'a/b/c/f'), 'utf8'), 'deep');
    assert.equal(lstatSync(join(dest, 'a/b')).mode & 0o777, 0o755);
  });

  it('applies whiteouts and opaque directories onto lower content', async () => {
    const dest = join(base, 'whiteouts');
    await extractTar(
      [await tarOf([dir('d/'), file('d/old1', '1'), dir('d/sub/'), file('d/sub/old2', '2'), file('gone', 'g'), dir('keep/'), file('keep/x', 'x')])],
      dest,
    );
    const r = await extractTar(
      [await tarOf([file('.wh.gone', ''), dir('d/'), file('d/early', 'e'), file('d/.wh..wh..opq', ''), file('d/late', 'l'), file('keep/.wh.nothing', '')])],
      dest,
    );
    assert.equal(r.entries, 6);
    assert.equal(existsSync(join(dest, 'gone')), false);
    assert.deepEqual(readdirSync(join(dest, 'd')).sort(), ['early', 'late']);
    assert.deepEqual(readdirSync(join(dest, 'keep')), ['x']);
    assert.equal(existsSync(join(dest, '.wh.gone')), false);
  });

  it('turns whiteouts into overlayfs whiteouts in overlay mode', async () => {
    const dest = join(base, 'overlay');
    await extractTar(
      [await tarOf([file('a/.wh.deleted', '', { uid: 7, gid: 8 }), dir('b/'), file('b/.wh..wh..opq', ''), file('b/x', 'x'), file('.wh..wh.plnk', '')])],
      dest,
      { whiteouts: 'overlay' },
    );
    const wo = lstatSync(join(dest, 'a/deleted'), { bigint: true });
    assert.ok(wo.isCharacterDevice());
    assert.equal(wo.rdev, 0n);
    assert.equal(`${wo.uid}:${wo.gid}`, '7:8');
    assert.deepEqual(loadNative().lgetxattr(join(dest, 'b'), 'trusted.overlay.opaque'), Buffer.from('y'));
    assert.equal(readFileSync(join(dest, 'b/x'), 'utf8'), 'x');
    assert.deepEqual(readdirSync(dest).sort(), ['a', 'b']);
  });

  it('works unprivileged: no chown, read-only directories, refused xattrs and devices become warnings', async (t) => {
    if (spawnSync('setpriv', ['--version']).status !== 0 || process.getuid?.() !== 0) {
      t.skip('needs root and setpriv to drop privileges');
      return;
    }
    const work = tempDir('berth-unpriv-');
    chmodSync(work, 0o777);
    const tar = await tarOf([
      dir('ro/', { mode: 0o555 }),
      file('ro/f', 'x', { mode: 0o444, uid: 5, gid: 5, xattrs: { 'trusted.x': Buffer.from('1') } }),
      { header: { name: 'ro/dev', type: TarType.Char, devmajor: 1, devminor: 3, mode: 0o666 } },
    ]);
    writeFileSync(join(work, 'layer.tar'), tar);
    const script = `
      import { createReadStream } from 'node:fs';
      import { extractTar } from ${JSON.stringify(new URL('../../src/archive/extract.js', import.meta.url).href)};
      const r = await extractTar(createReadStream(process.argv[2]), process.argv[3]);
      console.log(JSON.stringify(r));`;
    writeFileSync(join(work, 'run.mjs'), script);
    const out = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(work, 'run.mjs'), join(work, 'layer.tar'), join(work, 'out')], {
      encoding: 'utf8',
    });
    try {
      assert.equal(out.status, 0, out.stderr);
      const r = JSON.parse(out.stdout) as { warnings: string[] };
      assert.equal(r.warnings.length, 2);
      assert.equal(lstatSync(join(work, 'out/ro')).mode & 0o777, 0o555);
      assert.equal(lstatSync(join(work, 'out/ro/f')).uid, 65534);
      assert.equal(readFileSync(join(work, 'out/ro/f'), 'utf8'), 'x');
    } finally {
      cleanup(work);
    }
  });

  it('extracts sparse files with their holes', async () => {
    const src = join(base, 'sparse-src');
    mkdirSync(src);
    run('truncate', ['-s', '16M', join(src, 'disk.img')]);
    writeFileSync(join(src, 'disk.img'), 'data at the end', { flag: 'a' });
    run('tar', ['--sparse', '--format=posix', '-C', src, '-cf', join(base, 'sparse.tar'), 'disk.img']);
    const dest = join(base, 'sparse-out');
    await extractTar(createReadStream(join(base, 'sparse.tar')), dest);
    const st = lstatSync(join(dest, 'disk.img'));
    assert.equal(st.size, 16 * 1024 * 1024 + 15);
    assert.ok(st.blocks * 512 < 1024 * 1024, `allocated ${st.blocks * 512} bytes`);
    assert.equal(sha256Hex(readFileSync(join(dest, 'disk.img'))), sha256Hex(readFileSync(join(src, 'disk.img'))));
  });

  it('rejects truncated layers with "unexpected EOF"', async () => {
    const tar = await tarOf([file('a', 'x'.repeat(5000))]);
    await assert.rejects(extractTar([tar.subarray(0, 3000)], join(base, 'trunc')), /unexpected EOF/);
  });

  it('rejects invalid whiteouts and unsupported entry types', async () => {
    await assert.rejects(extractTar([await tarOf([file('d/.wh...', '')])], join(base, 'badwo')), /invalid whiteout/);
    const weird = await tarOf([{ header: { name: 'v', type: 'V', size: 0 } }]);
    await assert.rejects(extractTar([weird], join(base, 'weird')), /unsupported type/);
  });
});

describe('extraction never writes outside its root', () => {
  let base: string;
  let outside: string;
  let before1: string[];
  let passwd: string;

  before(() => {
    base = tempDir('berth-breakout-');
    outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret'), 'keep me');
    before1 = snapshotTree(outside);
    passwd = sha256Hex(readFileSync('/etc/passwd'));
  });
  after(() => {
    loadNative().setResolveMode(false);
    cleanup(base);
  });

  const assertOutsideUntouched = (): void => {
    assert.deepEqual(snapshotTree(outside), before1, 'outside directory changed');
    assert.equal(sha256Hex(readFileSync('/etc/passwd')), passwd, '/etc/passwd changed');
    assert.equal(lstatSync('/etc/passwd').nlink, 1);
    assert.equal(existsSync('/pwned'), false);
  };

  const cases: Array<{ name: string; entries: () => TarInputEntry[]; prepare?: (root: string) => void; expect: 'reject' | 'contained'; check?: (root: string) => void }> = [
    { name: '../ in the name', entries: () => [file('../outside/pwned', 'x')], expect: 'reject' },
    { name: 'a/../../ in the name', entries: () => [file('a/../../outside/pwned', 'x')], expect: 'reject' },
    { name: '.. through a PAX path record', entries: () => [file(`../${'x'.repeat(120)}/../outside/pwned`, 'x')], expect: 'reject' },
    {
      name: 'absolute name stays inside',
      entries: () => [file(`${outside}/pwned`, 'x'), file('/pwned', 'x')],
      expect: 'contained',
      check: (root) => {
        assert.equal(readFileSync(join(root, outside, 'pwned'), 'utf8'), 'x');
        assert.equal(readFileSync(join(root, 'pwned'), 'utf8'), 'x');
      },
    },
    { name: 'absolute symlink then write through it', entries: () => [symlink('evil', outside), file('evil/pwned', 'x')], expect: 'reject' },
    {
      name: 'relative symlink climbing out then write through it',
      entries: () => [symlink('rel', `../../../../../../../..${outside}`), file('rel/pwned', 'x')],
      expect: 'reject',
    },
    {
      name: 'symlink to a directory made inside, absolute target',
      entries: () => [dir('real/'), symlink('abs', '/real'), file('abs/f', 'inside')],
      expect: 'contained',
      check: (root) => assert.equal(readFileSync(join(root, 'real/f'), 'utf8'), 'inside'),
    },
    {
      name: 'symlink chain climbing past the root',
      entries: () => [symlink('c1', 'c2'), symlink('c2', '../../..'), file('c1/pwned', 'x'), symlink('c3', 'c1/../../..'), file('c3/pwned2', 'y')],
      expect: 'contained',
      check: (root) => {
        assert.equal(readFileSync(join(root, 'pwned'), 'utf8'), 'x');
        assert.equal(readFileSync(join(root, 'pwned2'), 'utf8'), 'y');
      },
    },
    { name: 'hardlink to /etc/passwd', entries: () => [hardlink('hl', '/etc/passwd')], expect: 'reject' },
    { name: 'hardlink to ../../etc/passwd', entries: () => [hardlink('hl', '../../../../../../etc/passwd')], expect: 'reject' },
    { name: 'hardlink through a symlink', entries: () => [symlink('up', '/'), hardlink('hl', 'up/../etc/passwd')], expect: 'reject' },
    {
      name: 'hardlink to a symlink pointing outside, then overwrite',
      entries: () => [symlink('sym', `${outside}/secret`), hardlink('hl', 'sym'), file('hl', 'pwned'), file('sym', 'pwned')],
      expect: 'contained',
      check: (root) => assert.equal(readFileSync(join(root, 'sym'), 'utf8'), 'pwned'),
    },
    {
      name: 'directory replaced by a symlink, then written through',
      entries: () => [dir('x/'), symlink('x', outside), file('x/pwned', 'x')],
      expect: 'reject',
    },
    {
      name: 'symlink planted by an earlier layer',
      prepare: (root) => symlinkSync(outside, join(root, 'etc')),
      entries: () => [file('etc/passwd', 'root::0:0::/:/bin/sh\n'), file('etc/secret', 'x')],
      expect: 'reject',
    },
    {
      name: 'relative symlink planted by an earlier layer',
      prepare: (root) => symlinkSync('../outside', join(root, 'lib')),
      entries: () => [file('lib/secret', 'x')],
      expect: 'reject',
    },
    { name: 'whiteout through a symlink', entries: () => [symlink('evil', outside), file('evil/.wh.secret', '')], expect: 'reject' },
    {
      name: 'whiteout of a symlink removes only the symlink',
      entries: () => [symlink('evil', outside), file('.wh.evil', '')],
      expect: 'contained',
      check: (root) => assert.equal(existsSync(join(root, 'evil')), false),
    },
    { name: 'opaque marker through a symlink', entries: () => [symlink('evil', outside), file('evil/.wh..wh..opq', '')], expect: 'reject' },
    { name: 'whiteout with ..', entries: () => [file('../.wh.outside', '')], expect: 'reject' },
    {
      name: 'symlink loop',
      entries: () => [symlink('l1', 'l2'), symlink('l2', 'l1'), file('l1/x', 'x')],
      expect: 'reject',
    },
  ];

  for (const mode of ['openat2', 'userspace'] as const) {
    describe(`with ${mode} resolution`, () => {
      before(() => {
        if (mode === 'openat2') assert.ok(loadNative().openat2Available(), 'kernel has openat2');
        loadNative().setResolveMode(mode === 'userspace');
      });

      for (const [i, c] of cases.entries()) {
        it(c.name, async () => {
          const root = join(base, `${mode}-${i}`);
          mkdirSync(root);
          c.prepare?.(root);
          const tar = await tarOf(c.entries());
          if (c.expect === 'reject') {
            await assert.rejects(extractTar([tar], root), (err) => {
              assert.ok(isKind(err, 'corrupt'), String(err));
              return true;
            });
          } else {
            await extractTar([tar], root);
            c.check?.(root);
          }
          assertOutsideUntouched();
        });
      }
    });
  }
});
