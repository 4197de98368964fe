// BlobFile writes whole aligned blocks with O_DIRECT (what a registry download's ring holds) and
// everything else through the page cache. The content must come out the same either way; which
// way the bytes went is read back with fincore (util-linux): O_DIRECT leaves no page cached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BlobFile } from '../../src/store/blob-file.js';
import { BufferRing } from '../../src/registry/buffer-ring.js';
import { tempDir } from '../helpers/berth.js';

const MiB = 1 << 20;

/** Bytes of the file that sit in the page cache. */
function cachedBytes(path: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' }).trim());
}

/** Writes `parts` as chunks, the aligned ones through ring slots; returns what was written. */
async function writeParts(path: string, parts: { len: number; aligned: boolean }[]): Promise<Buffer> {
  const ring = new BufferRing(2, 2 * MiB, { align: true });
  const f = await BlobFile.create(path);
  const all: Buffer[] = [];
  try {
    for (const p of parts) {
      const data = randomBytes(p.len);
      all.push(data);
      let chunk: Buffer;
      if (p.aligned) {
        chunk = ring.take()!.subarray(0, p.len);
        data.copy(chunk);
      } else {
        // Off by one byte from wherever the allocation starts: never block-aligned.
        chunk = Buffer.allocUnsafeSlow(p.len + 1).subarray(1);
        data.copy(chunk);
      }
      await f.write(chunk);
      if (p.aligned) ring.release(chunk);
    }
    await f.sync();
  } finally {
    await f.close();
  }
  return Buffer.concat(all);
}

test('whole blocks in aligned memory go to disk directly, the tail through the page cache', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'blob');
    const want = await writeParts(p, [
      { len: MiB, aligned: true },
      { len: MiB, aligned: true },
      { len: 2 * MiB, aligned: true },
      { len: 12_345, aligned: true },
    ]);
    assert.ok(cachedBytes(p) <= 2 * 4096, `only the unaligned tail is cached, got ${cachedBytes(p)} bytes`);
    assert.ok(readFileSync(p).equals(want));
  } finally {
    t.cleanup();
  }
});

test('unaligned memory, and everything after an unaligned chunk, goes through the page cache', async () => {
  const t = tempDir();
  try {
    const a = join(t.dir, 'unaligned');
    const wantA = await writeParts(a, [
      { len: MiB, aligned: false },
      { len: MiB, aligned: false },
    ]);
    assert.equal(cachedBytes(a), 2 * MiB);
    assert.ok(readFileSync(a).equals(wantA));

    const b = join(t.dir, 'mixed');
    const wantB = await writeParts(b, [
      { len: MiB, aligned: true },
      { len: 1000, aligned: false },
      { len: MiB, aligned: true },
      { len: 4096, aligned: true },
    ]);
    assert.ok(readFileSync(b).equals(wantB));
    assert.ok(cachedBytes(b) >= MiB, 'what follows the unaligned chunk is written through the page cache');
  } finally {
    t.cleanup();
  }
});

test('a filesystem without O_DIRECT (ramfs) gets the same bytes through the page cache', { skip: process.getuid?.() !== 0 && 'needs root to mount ramfs' }, async () => {
  const t = tempDir();
  const mnt = join(t.dir, 'ramfs');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'ramfs', 'ramfs', mnt]);
  assert.equal(m.status, 0, m.stderr?.toString());
  try {
    const p = join(mnt, 'blob');
    const want = await writeParts(p, [
      { len: MiB, aligned: true },
      { len: 2 * MiB, aligned: true },
      { len: 777, aligned: true },
    ]);
    assert.ok(readFileSync(p).equals(want));
  } finally {
    spawnSync('umount', [mnt]);
    t.cleanup();
  }
});

test('a blob file is created exclusively', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'blob');
    await writeParts(p, [{ len: 10, aligned: false }]);
    await assert.rejects(BlobFile.create(p), { code: 'EEXIST' });
  } finally {
    t.cleanup();
  }
});
