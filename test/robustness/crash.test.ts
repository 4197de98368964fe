import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { newStore, tempDir } from '../helpers/berth.js';
import { berthBin, fixturesDir } from '../helpers/paths.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { query, blobFiles } from '../helpers/store-state.js';

function runAndKill(root: string, args: string[], afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [berthBin, '--root', root, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test('SIGKILL at random points of load, import, rmi and prune leaves a consistent store; GC reclaims the rest', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  // A 48 MiB layer so that the kill lands in the middle of streaming as well as elsewhere.
  const big = join(d.dir, 'big.bin');
  writeFileSync(big, randomBytes(48 << 20));
  const rootfs = makeRootfsTar(d.dir, 'rootfs.tar');
  const bigTar = join(d.dir, 'big.tar');
  execFileSync('tar', ['-C', d.dir, '-cf', bigTar, 'big.bin']);
  const archive = join(fixturesDir(), 'archives', 'two-images.tar');
  assert.equal((await s.berth('import', '-c', 'LABEL keep=1', rootfs, 'keep/base:1')).code, 0);
  const keep = query<{ id: string }>(s.root, 'SELECT image_id AS id FROM refs')[0]!.id;

  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  for (let i = 0; i < 14; i++) {
    const ops = [
      ['import', bigTar, `crash/big:${i}`],
      ['load', '-i', archive],
      ['rmi', '127.0.0.1:5000/lab/small:1.0'],
      ['image', 'prune', '-a', '-f', '--filter', 'label!=keep'],
      ['import', rootfs, `crash/small:${i}`],
    ];
    await runAndKill(s.root, ops[rand(ops.length)]!, 20 + rand(400));
    const check = await s.berth('system', 'check');
    assert.equal(check.code, 0, `after kill ${i}: ${check.stdout}${check.stderr}`);
    // Every visible image is whole: its config and all its layers are present (system check
    // verified blobs); and the image that was never touched is still there.
    assert.equal(query(s.root, 'SELECT 1 FROM images WHERE id = ?', keep).length, 1);
  }
  const gc = await s.berth('system', 'gc');
  assert.equal(gc.code, 0, gc.stderr);
  const check = await s.berth('system', 'check');
  assert.equal(check.code, 0);
  assert.doesNotMatch(check.stdout, /reclaimable|leftover/);
  assert.deepEqual(readdirSync(join(s.root, 'ingest')), []);
  assert.deepEqual(query(s.root, 'SELECT * FROM leases'), []);
  // Every blob file left belongs to a recorded blob used by an image.
  const used = new Set(
    query<{ d: string }>(
      s.root,
      `SELECT id AS d FROM images UNION SELECT blob FROM layer_blobs UNION SELECT digest FROM image_manifests`,
    ).map((r) => r.d.slice(7)),
  );
  for (const f of blobFiles(s.root)) assert.ok(used.has(f), `unreferenced blob ${f} survived GC`);
});
