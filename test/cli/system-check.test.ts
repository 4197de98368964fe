import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newStore } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';

test('system check finds corruption and dangling references; --repair fixes what it can without losing data', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  assert.equal((await s.berth('load', '-i', join(fixturesDir(), 'archives', 'two-images.tar'))).code, 0);
  let r = await s.berth('system', 'check');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^checked 2 images, 4 layers, 6 blobs, 2 references: consistent\n$/);

  // Leftovers are reported as reclaimable, not as inconsistencies, and --repair removes them.
  const orphan = join(s.root, 'blobs', 'sha256', 'f'.repeat(64));
  writeFileSync(orphan, 'stray');
  r = await s.berth('system', 'check');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^reclaimable: orphan-file sha256:f{64}: blob file with no metadata\n/);
  r = await s.berth('system', 'check', '--repair');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^repaired: orphan-file/);
  assert.equal(existsSync(orphan), false);

  // A flipped byte in a layer is found by its digest; nothing can restore it, so it stays a problem.
  const layer = join(s.root, 'blobs', 'sha256', '0c677d96f1edddc6adb8967941dc600cf030e10aef211f73fcd42b27fec0b263');
  appendFileSync(layer, 'x');
  r = await s.berth('system', 'check', '--repair');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /problem: corrupt-blob sha256:0c677d96f1ed\w+: blob content does not match its digest/);
  assert.match(r.stdout, /problem: missing-layer sha256:\w+: no intact blob for layer sha256:0c677d96f1ed\w+ of image sha256:27b9b192/);
  assert.ok(existsSync(layer), 'repair never deletes the only copy of data');

  // A reference to an image that is gone (a damaged database) is repaired by dropping the reference.
  const db = new Database(join(s.root, 'berth.db'));
  db.prepare("INSERT INTO refs (name, repo, tag, digest, image_id, created) VALUES ('docker.io/lab/ghost:1', 'docker.io/lab/ghost', '1', NULL, 'sha256:' || hex(randomblob(32)), 0)").run();
  db.close();
  r = await s.berth('system', 'check');
  assert.match(r.stdout, /problem: dangling-ref docker.io\/lab\/ghost:1: points to missing image/);
  r = await s.berth('system', 'check', '--repair');
  assert.match(r.stdout, /repaired: dangling-ref docker.io\/lab\/ghost:1/);
});
