import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { statSync, writeFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { duBytes } from '../helpers/store-state.js';

test('space comes back: after rmi and prune the store is as small as before the images came', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  assert.equal((await s.berth('system', 'check')).code, 0); // creates the empty store
  const blobsBefore = duBytes(join(s.root, 'blobs'));
  const dbBefore = statSync(join(s.root, 'berth.db')).size;

  writeFileSync(join(d.dir, 'data.bin'), randomBytes(16 << 20));
  const dataTar = join(d.dir, 'data.tar');
  execFileSync('tar', ['-C', d.dir, '-cf', dataTar, 'data.bin']);
  const rootfs = makeRootfsTar(d.dir);
  for (let i = 0; i < 3; i++) {
    assert.equal((await s.berth('import', dataTar, `space/data:${i}`)).code, 0);
    assert.equal((await s.berth('import', rootfs)).code, 0);
  }
  assert.equal((await s.berth('load', '-i', join(fixturesDir(), 'archives', 'two-images.tar'))).code, 0);
  assert.ok(duBytes(join(s.root, 'blobs')) > 16 << 20);

  for (let i = 0; i < 3; i++) assert.equal((await s.berth('rmi', `space/data:${i}`)).code, 0);
  const pr = await s.berth('image', 'prune', '-a', '-f');
  assert.equal(pr.code, 0, pr.stderr);

  assert.equal(duBytes(join(s.root, 'blobs')), blobsBefore);
  assert.deepEqual(readdirSync(join(s.root, 'ingest')), []);
  // The database gives its pages back (incremental vacuum); the WAL is bounded.
  assert.ok(statSync(join(s.root, 'berth.db')).size <= dbBefore + 64 * 1024, 'database shrank back');
  assert.ok(duBytes(s.root) < blobsBefore + dbBefore + (4 << 20) + 64 * 1024);
});
