import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../../src/image/errors.js';
import { loadNative } from '../../src/archive/native.js';
import { encodeRaw } from '../../src/archive/raw-string.js';
import { BLOCK, computeChecksum } from '../../src/archive/tar-fields.js';
import { TarType, type TarHeader } from '../../src/archive/tar-header.js';
import { readTar, type TarEntry } from '../../src/archive/tar-reader.js';
import { tarChunks, type TarInputEntry } from '../../src/archive/tar-writer.js';
import { cleanup, collect, ensureNative, run, sha256Hex, tempDir } from './helpers.js';

interface PyMember {
  name: string;
  linkname: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  devmajor: number;
  devminor: number;
  pax: Record<string, string>;
  sha256: string | null;
}

/** An independent reading of the archive by Python's tarfile. */
function pythonList(path: string): PyMember[] {
  const code = `
import tarfile, json, sys, hashlib
out = []
with tarfile.open(sys.argv[1], encoding='utf-8', errors='surrogateescape') as t:
    for m in t.getmembers():
        h = None
        if m.isreg():
            h = hashlib.sha256(t.extractfile(m).read()).hexdigest()
        out.append(dict(name=m.name, linkname=m.linkname, type=m.type.decode('latin1'), size=m.size, mode=m.mode,
            uid=m.uid, gid=m.gid, uname=m.uname, gname=m.gname, mtime=m.mtime, devmajor=m.devmajor,
            devminor=m.devminor, pax={k: v for k, v in m.pax_headers.items()}, sha256=h))
print(json.dumps(out, ensure_ascii=True, default=str))
`;
  const r = spawnSync('python3', ['-c', code, path], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as PyMember[];
}

async function readAll(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Array<{ h: TarHeader; data: Buffer }>> {
  const out: Array<{ h: TarHeader; data: Buffer }> = [];
  for await (const e of readTar(input)) out.push({ h: e.header, data: await e.body.readAll() });
  return out;
}

async function bytesOf(entries: TarInputEntry[]): Promise<Buffer> {
  return collect(tarChunks(entries));
}

/** A hand-made header block (for headers our writer would never produce) followed by its data. */
function rawEntry(type: string, name: string, data: Buffer, magic = 'ustar\0' + '00'): Buffer {
  const hdr = Buffer.alloc(BLOCK);
  hdr.write(name, 0, 'latin1');
  for (const off of [100, 108, 116]) hdr.write('0000000\0', off, 'latin1');
  hdr.write(data.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  hdr.write('00000000000\0', 136, 'latin1');
  hdr.write(type, 156, 'latin1');
  hdr.write(magic, 257, 'latin1');
  hdr.fill(0x20, 148, 156);
  const [sum] = computeChecksum(hdr);
  hdr.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return Buffer.concat([hdr, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]);
}

function assertCorrupt(err: unknown, pattern: RegExp): boolean {
  assert.ok(isKind(err, 'corrupt'), `expected a corrupt error, got ${String(err)}`);
  assert.match((err as Error).message, pattern);
  assert.ok(!(err as Error).message.includes('\n'), 'one-line message');
  return true;
}

describe('readTar against GNU tar and Python tarfile', () => {
  let dir: string;
  let src: string;
  const longDir = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60), 'd'.repeat(60), 'e'.repeat(60)];

  before(() => {
    ensureNative();
    dir = tempDir();
    src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'short.txt'), 'hello\n');
    for (const n of [0, 1, 511, 512, 513]) writeFileSync(join(src, `size-${n}`), Buffer.alloc(n, n % 251));
    mkdirSync(join(src, ...longDir), { recursive: true });
    writeFileSync(join(src, ...longDir, 'deep-file.txt'), 'deep');
    writeFileSync(join(src, 'héllo-日本.txt'), 'unicode');
    symlinkSync('t'.repeat(150), join(src, 'long-target-link'));
    symlinkSync('short.txt', join(src, 'link'));
    linkSync(join(src, 'short.txt'), join(src, 'hard'));
    run('mkfifo', [join(src, 'fifo')]);
    run('mknod', [join(src, 'null-dev'), 'c', '1', '3']);
    writeFileSync(join(src, 'big-ids'), 'ids');
    chownSync(join(src, 'big-ids'), 3_000_000, 4_000_000);
    writeFileSync(join(src, 'subsecond'), 'ns');
    utimesSync(join(src, 'subsecond'), 1700000000.25, 1700000000.123456);
    writeFileSync(join(src, 'old'), 'before 1970');
    run('touch', ['-h', '-d', '@-100000000', join(src, 'old')]);
    writeFileSync(join(src, 'future'), 'after 2242');
    utimesSync(join(src, 'future'), 10_000_000_000, 10_000_000_000);
    writeFileSync(join(src, 'xattr-file'), 'x');
    loadNative().lsetxattr(join(src, 'xattr-file'), 'user.comment', Buffer.from([0x00, 0x01, 0xfe, 0x0a]), 0);
  });
  after(() => cleanup(dir));

  for (const format of ['gnu', 'oldgnu', 'posix']) {
    it(`reads --format=${format} exactly as Python's tarfile does`, async () => {
      const tarPath = join(dir, `${format}.tar`);
      // GNU tar switches to PAX when asked for xattrs, so only the posix run records them.
      const xattrs = format === 'posix' ? ['--xattrs', '--xattrs-include=user.*'] : [];
      run('tar', ['--format', format, ...xattrs, '-C', src, '-cf', tarPath, '.']);
      const py = pythonList(tarPath);
      const ours = await readAll(createReadStream(tarPath));
      assert.equal(ours.length, py.length);
      for (let i = 0; i < py.length; i++) {
        const p = py[i]!;
        const { h, data } = ours[i]!;
        const name = h.name.replace(/\/$/, '');
        assert.equal(name, p.name === '.' ? '.' : p.name, `name #${i}`);
        assert.equal(h.type, p.type === '\u0000' ? '0' : p.type, `type of ${name}`);
        assert.equal(h.linkname, p.linkname, `linkname of ${name}`);
        assert.equal(h.mode & 0o7777, p.mode, `mode of ${name}`);
        assert.equal(h.uid, p.uid, `uid of ${name}`);
        assert.equal(h.gid, p.gid, `gid of ${name}`);
        assert.equal(h.uname, p.uname);
        assert.equal(h.gname, p.gname);
        assert.ok(Math.abs(h.mtime.sec + h.mtime.nsec / 1e9 - p.mtime) < 1e-6, `mtime of ${name}`);
        if (h.type === TarType.Char) assert.deepEqual([h.devmajor, h.devminor], [p.devmajor, p.devminor]);
        if (h.type === TarType.File) {
          assert.equal(h.size, p.size);
          assert.equal(sha256Hex(data), p.sha256, `content of ${name}`);
        }
        for (const [k, v] of Object.entries(p.pax)) {
          if (k.startsWith('SCHILY.xattr.')) continue;
          assert.equal(h.pax?.[k], v, `PAX ${k} of ${name}`);
        }
      }
      const byName = new Map(ours.map((e) => [e.h.name.replace(/^\.\//, ''), e.h]));
      assert.equal(byName.get('big-ids')!.uid, 3_000_000);
      assert.equal(byName.get('big-ids')!.gid, 4_000_000);
      assert.equal(byName.get('old')!.mtime.sec, -100000000);
      assert.equal(byName.get('future')!.mtime.sec, 10_000_000_000);
      assert.equal(byName.get([...longDir, 'deep-file.txt'].join('/'))!.size, 4);
      assert.equal(byName.get('long-target-link')!.linkname, 't'.repeat(150));
      assert.equal(byName.get('hard')!.type, TarType.Link);
      assert.ok(byName.has('héllo-日本.txt'));
      if (format === 'posix') {
        assert.deepEqual(byName.get('xattr-file')!.xattrs?.['user.comment'], Buffer.from([0x00, 0x01, 0xfe, 0x0a]));
        assert.equal(byName.get('subsecond')!.mtime.nsec, 123456000);
        assert.equal(byName.get('subsecond')!.format, 'pax');
      } else {
        assert.equal(byName.get('short.txt')!.format, 'gnu');
      }
    });
  }

  it('reads ustar and v7 archives', async () => {
    const small = join(dir, 'small');
    mkdirSync(join(small, 'd'), { recursive: true });
    writeFileSync(join(small, 'd', 'f'), 'content');
    symlinkSync('d/f', join(small, 'l'));
    for (const format of ['ustar', 'v7']) {
      const tarPath = join(dir, `${format}.tar`);
      run('tar', ['--format', format, '-C', small, '-cf', tarPath, 'd', 'l']);
      const ours = await readAll(createReadStream(tarPath));
      assert.deepEqual(
        ours.map((e) => [e.h.name, e.h.type, e.h.linkname, e.data.toString()]),
        [
          ['d/', '5', '', ''],
          ['d/f', '0', '', 'content'],
          ['l', '2', 'd/f', ''],
        ],
      );
      assert.equal(ours[1]!.h.format, format === 'ustar' ? 'ustar' : undefined);
      if (format === 'v7') assert.equal(ours[1]!.h.uname, '');
      else assert.equal(ours[1]!.h.uname, 'root');
    }
  });

  it('expands sparse files in every GNU encoding (old GNU, PAX 0.0, 0.1, 1.0)', async () => {
    const sp = join(dir, 'sparse-src');
    mkdirSync(sp);
    const holes = join(sp, 'holes');
    run('truncate', ['-s', '3M', holes]);
    writeFileSync(holes, 'middle', { flag: 'r+', encoding: 'utf8' });
    run('dd', ['if=/dev/urandom', `of=${holes}`, 'bs=4096', 'count=3', 'seek=300', 'conv=notrunc'], {});
    run('truncate', ['-s', '8M', holes]);
    writeFileSync(holes, 'end', { flag: 'a' });
    writeFileSync(join(sp, 'after'), 'next entry');
    const want = readFileSync(holes);
    const variants: Array<[string, string[]]> = [
      ['gnu', ['--format=gnu']],
      ['pax-0.0', ['--format=posix', '--sparse-version=0.0']],
      ['pax-0.1', ['--format=posix', '--sparse-version=0.1']],
      ['pax-1.0', ['--format=posix', '--sparse-version=1.0']],
    ];
    for (const [label, args] of variants) {
      const tarPath = join(dir, `sparse-${label}.tar`);
      run('tar', ['--sparse', ...args, '-C', sp, '-cf', tarPath, 'holes', 'after']);
      const stored = readFileSync(tarPath).length;
      assert.ok(stored < want.length / 4, `${label} is stored sparsely`);
      const entries = await readAll(createReadStream(tarPath));
      assert.deepEqual(entries.map((e) => e.h.name), ['holes', 'after'], label);
      assert.equal(entries[0]!.h.size, want.length, label);
      assert.ok(entries[0]!.data.equals(want), `${label} content`);
      assert.equal(entries[1]!.data.toString(), 'next entry');
      // skipping an unread sparse body lands on the next entry too
      const names: string[] = [];
      for await (const e of readTar(createReadStream(tarPath))) names.push(e.header.name);
      assert.deepEqual(names, ['holes', 'after']);
    }
  });

  it('reads PAX global headers and LIBARCHIVE xattrs written by Python', async () => {
    const tarPath = join(dir, 'py.tar');
    const code = `
import tarfile, io, sys, base64
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT, pax_headers={'comment': 'global note'}) as t:
    data = b'abc'
    ti = tarfile.TarInfo('f.txt'); ti.size = 3
    ti.pax_headers = {'LIBARCHIVE.xattr.user.a%3Db': base64.b64encode(b'\\x00v').decode()}
    t.addfile(ti, io.BytesIO(data))
`;
    const r = spawnSync('python3', ['-c', code, tarPath], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const entries = await readAll(createReadStream(tarPath));
    assert.equal(entries[0]!.h.type, TarType.PaxGlobal);
    assert.equal(entries[0]!.h.pax?.comment, 'global note');
    assert.equal(entries[1]!.h.name, 'f.txt');
    assert.deepEqual(entries[1]!.h.xattrs?.['user.a=b'], Buffer.from([0, 0x76]));
    assert.equal(entries[1]!.data.toString(), 'abc');
  });
});

describe('readTar on damaged and hostile input', () => {
  const sample = async (): Promise<Buffer> =>
    bytesOf([
      { header: { name: 'a.txt', size: 700, mode: 0o644 }, body: Buffer.alloc(700, 0x61) },
      { header: { name: 'b/', type: TarType.Dir, mode: 0o755 } },
      { header: { name: 'c.txt', size: 5 }, body: 'hello' },
    ]);

  it('accepts two zero blocks, one zero block then EOF, and ignores trailing garbage', async () => {
    const full = await sample();
    const names = async (b: Buffer): Promise<string[]> => (await readAll([b])).map((e) => e.h.name);
    assert.deepEqual(await names(full), ['a.txt', 'b/', 'c.txt']);
    assert.deepEqual(await names(full.subarray(0, full.length - BLOCK)), ['a.txt', 'b/', 'c.txt']);
    const garbage = Buffer.concat([full, Buffer.from('this is not tar data at all'.repeat(100))]);
    assert.deepEqual(await names(garbage), ['a.txt', 'b/', 'c.txt']);
    assert.deepEqual(await names(Buffer.alloc(0)), []);
  });

  it('reports truncation anywhere as one-line "unexpected EOF" errors', async () => {
    const full = await sample();
    const endOfData = full.length - 2 * BLOCK;
    // a cut inside a header, inside a body, inside padding, at an entry boundary (no end marker)
    for (const cut of [100, BLOCK + 300, BLOCK + 700 + 10, endOfData, BLOCK * 2 + 1024 + 5]) {
      await assert.rejects(readAll([full.subarray(0, cut)]), (err) => assertCorrupt(err, /unexpected EOF/));
    }
    // Go's leniency about a missing end marker is available explicitly
    const lenient = [];
    for await (const e of readTar([full.subarray(0, endOfData)], { requireEndMarker: false })) lenient.push(e.header.name);
    assert.deepEqual(lenient, ['a.txt', 'b/', 'c.txt']);
  });

  it('rejects bad checksums, garbage, and a zero block followed by data', async () => {
    const full = await sample();
    const bad = Buffer.from(full);
    bad[10] = 0x41;
    await assert.rejects(readAll([bad]), (err) => assertCorrupt(err, /checksum mismatch/));
    await assert.rejects(readAll([Buffer.alloc(2048, 0x42)]), (err) => assertCorrupt(err, /not a tar header/));
    const zeroThenData = Buffer.concat([Buffer.alloc(BLOCK), full]);
    await assert.rejects(readAll([zeroThenData]), (err) => assertCorrupt(err, /after an end-of-archive block/));
  });

  it('rejects absurd and negative sizes', async () => {
    const full = await sample();
    const withSize = (field: Buffer): Buffer => {
      const b = Buffer.from(full);
      field.copy(b, 124);
      b.fill(0x20, 148, 156);
      const [sum] = computeChecksum(b);
      b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
      return b;
    };
    const huge = Buffer.alloc(12);
    huge[0] = 0x80;
    huge.fill(0xff, 4);
    await assert.rejects(readAll([withSize(huge)]), (err) => assertCorrupt(err, /bad size field/));
    const negative = Buffer.alloc(12, 0xff);
    await assert.rejects(readAll([withSize(negative)]), (err) => assertCorrupt(err, /negative size/));
    const file = await bytesOf([{ header: { name: 'x', size: 0 } }]);
    const big = Buffer.concat([rawEntry('x', 'PaxHeaders.0/x', Buffer.from('29 size=99999999999999999999\n')), file]);
    await assert.rejects(readAll([big]), (err) => assertCorrupt(err, /bad size/));
    // a plausible but enormous size is read lazily: truncation, not allocation
    const lying = Buffer.concat([rawEntry('x', 'PaxHeaders.0/x', Buffer.from('25 size=1125899906842624\n')), file]);
    const skipAll = async (b: Buffer): Promise<void> => {
      for await (const e of readTar([b])) assert.equal(e.body.size, 2 ** 50);
    };
    await assert.rejects(skipAll(lying), (err) => assertCorrupt(err, /unexpected EOF/));
    await assert.rejects(readAll([lying]), /more than the 67108864 allowed in memory/);
  });

  it('limits extension headers to 1 MiB', async () => {
    const name = Buffer.alloc((1 << 20) + 10, 'n');
    const longName = rawEntry('L', '././@LongLink', name, 'ustar  \0');
    const pax = rawEntry('x', 'PaxHeaders.0/x', Buffer.alloc((1 << 20) + 1, 'p'));
    await assert.rejects(readAll([longName]), (err) => assertCorrupt(err, /more than the 1048576 allowed/));
    await assert.rejects(readAll([pax]), (err) => assertCorrupt(err, /more than the 1048576 allowed/));
  });

  it('skips unread bodies, including partially read ones, and refuses stale body reads', async () => {
    const full = await sample();
    const seen: string[] = [];
    let stale: TarEntry | undefined;
    for await (const e of readTar([full.subarray(0, 1000), full.subarray(1000)])) {
      seen.push(e.header.name);
      if (e.header.name === 'a.txt') {
        for await (const chunk of e.body) {
          assert.ok(chunk.length > 0);
          break;
        }
        stale = e;
      }
    }
    assert.deepEqual(seen, ['a.txt', 'b/', 'c.txt']);
    await assert.rejects(stale!.body.readAll(), /after moving to the next entry/);
  });

  it('closes the input when the consumer stops early', async () => {
    let returned = false;
    const full = await sample();
    const input = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          next: async () => (i < full.length ? { done: false, value: full.subarray(i, (i += BLOCK)) } : { done: true, value: undefined }),
          return: async () => {
            returned = true;
            return { done: true, value: undefined };
          },
        };
      },
    } as AsyncIterable<Uint8Array>;
    for await (const e of readTar(input)) {
      assert.equal(e.header.name, 'a.txt');
      break;
    }
    assert.equal(returned, true);
  });

  it('reports entry offsets and raw header bytes', async () => {
    const full = await sample();
    const offsets: number[] = [];
    for await (const e of readTar([full])) {
      offsets.push(e.offset);
      assert.deepEqual(e.rawHeader, full.subarray(e.offset, e.offset + e.rawHeader.length));
    }
    assert.deepEqual(offsets, [0, BLOCK * 3, BLOCK * 4]);
  });

  it('streams a 1 GiB entry without buffering it', async () => {
    const GiB = 1 << 30;
    const chunk = Buffer.alloc(1 << 20);
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < GiB / chunk.length; i++) yield chunk;
    }
    const before = process.memoryUsage().rss;
    let total = 0;
    let peak = before;
    for await (const e of readTar(tarChunks([{ header: { name: 'big', size: GiB }, body: body() }]))) {
      for await (const c of e.body) {
        total += c.length;
        if ((total & ((64 << 20) - 1)) === 0) peak = Math.max(peak, process.memoryUsage().rss);
      }
    }
    assert.equal(total, GiB);
    assert.ok(peak - before < 128 << 20, `rss grew by ${(peak - before) >> 20} MiB`);
  });

  it('decodes names that are not valid UTF-8 losslessly', async () => {
    const raw = Buffer.from([0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "fé.txt" in Latin-1
    const tarPath = tempDir();
    writeFileSync(Buffer.concat([Buffer.from(`${tarPath}/`), raw]), 'x');
    run('tar', ['-C', tarPath, '--format=gnu', '-cf', join(tarPath, 't.tar'), '--null', '-T', '-'], {
      input: Buffer.concat([raw, Buffer.from([0])]),
    });
    const tarBytes = readFileSync(join(tarPath, 't.tar'));
    for await (const e of readTar([tarBytes])) assert.deepEqual(encodeRaw(e.header.name), raw);
    cleanup(tarPath);
  });
});
