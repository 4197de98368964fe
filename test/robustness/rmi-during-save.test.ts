import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { newStore, tempDir } from '../helpers/berth.js';
import { berthBin } from '../helpers/paths.js';
import { query, blobFiles } from '../helpers/store-state.js';

test('rmi while a save of the same image streams: both complete, the archive is whole, nothing dangles', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  writeFileSync(join(d.dir, 'big.bin'), randomBytes(64 << 20));
  const tarFile = join(d.dir, 'big.tar');
  execFileSync('tar', ['-C', d.dir, '-cf', tarFile, 'big.bin']);
  assert.equal((await s.berth('import', tarFile, 'big/image:1')).code, 0);
  const blobsWithImage = blobFiles(s.root).length;
  assert.ok(blobsWithImage >= 2);

  const save = spawn(process.execPath, [berthBin, '--root', s.root, 'save', 'big/image:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => save.kill('SIGKILL'));
  const archive = join(d.dir, 'saved.tar');
  const out = createWriteStream(archive);
  let stderr = '';
  save.stderr.on('data', (b) => (stderr += b));
  // Wait for the first bytes, then stop reading so the save is stuck mid-stream.
  const [first] = (await once(save.stdout, 'data')) as [Buffer];
  save.stdout.pause();
  out.write(first);

  const rmi = await s.berth('rmi', 'big/image:1');
  assert.equal(rmi.code, 0, rmi.stderr);
  // The image goes at once; its layer is still held by the save (as Docker's save holds a layer
  // reference), so it is released only when the save ends.
  assert.match(rmi.stdout, /^Untagged: big\/image:1\nDeleted: sha256:[0-9a-f]{64}\n$/);
  assert.deepEqual(query(s.root, 'SELECT * FROM images'), []);

  save.stdout.pipe(out);
  const [code] = (await once(save, 'close')) as [number];
  await new Promise<void>((r) => out.end(r));
  assert.equal(code, 0, stderr);

  const s2 = newStore();
  t.after(s2.cleanup);
  const l = await s2.berth('load', '-i', archive);
  assert.equal(l.code, 0, l.stderr);
  assert.equal(l.stdout, 'Loaded image: big/image:1\n');
  const c2 = await s2.berth('system', 'check');
  assert.equal(c2.code, 0, c2.stdout);

  // The save's lease is gone with it: its content was reclaimed, and no <none> image remains.
  assert.deepEqual(blobFiles(s.root), []);
  assert.deepEqual(query(s.root, 'SELECT * FROM images'), []);
  assert.deepEqual(query(s.root, 'SELECT * FROM leases'), []);
});
