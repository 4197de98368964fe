import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { storeWithBusybox, ok, layerTar, dockerArchive, busyboxLayer, tempDir } from './helpers.js';
import { fixturesDir } from '../helpers/paths.js';
import { query } from '../helpers/store-state.js';

const fx = (name: string, ext: 'stdout' | 'stderr' | 'rc') => readFileSync(join(fixturesDir(), 'cli-28.2.2', `${name}.${ext}`), 'utf8');

/** A fixture's text with Docker's short IDs replaced, in order of appearance, by ours. */
function withIds(text: string, ids: string[]): string {
  const seen = new Map<string, string>();
  return text.replace(/\b[0-9a-f]{12}\b/g, (m) => {
    if (!seen.has(m)) seen.set(m, ids[seen.size] ?? m);
    return seen.get(m)!;
  });
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** An image of its own (a second layer on busybox) so removing it frees something. */
async function ownImage(s: Awaited<ReturnType<typeof storeWithBusybox>>, dir: string, name: string, n: number): Promise<string> {
  const extra = await layerTar([{ path: `file-${n}`, type: 'file', body: `${name}\n` }]);
  const tar = dockerArchive(dir, name, [busyboxLayer(), extra]);
  ok(await s.berth('load', '-i', tar));
  return (await s.berth('images', '-q', '--no-trunc', name)).stdout.trim();
}

test("rmi with containers: Docker 28's conflicts and force semantics (fixtures rmi-used-by-*, rmi-force-*)", async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const other = await ownImage(s, tmp.dir, 'lab/other:1', 1);
  const running = await ownImage(s, tmp.dir, 'lab/running:1', 2);
  ok(await s.berth('run', 'lab/other:1', 'true'));
  const stoppedId = (await s.berth('ps', '-aq', '--no-trunc', '-f', 'ancestor=lab/other:1')).stdout.trim();
  const runId = ok(await s.berth('run', '-d', 'lab/running:1', 'sleep', '600')).trim();

  let r = await s.berth('rmi', 'lab/other:1');
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', withIds(fx('rmi-used-by-container', 'stderr'), [short(stoppedId), short(other)])]);
  r = await s.berth('rmi', 'lab/running:1');
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', withIds(fx('rmi-used-by-running', 'stderr'), [short(runId), short(running)])]);
  r = await s.berth('rmi', short(other));
  assert.deepEqual([r.code, r.stderr], [1, `Error response from daemon: conflict: unable to delete ${short(other)} (must be forced) - image is being used by stopped container ${short(stoppedId)}\n`]);
  r = await s.berth('rmi', '-f', short(running));
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', withIds(fx('rmi-force-running-id', 'stderr'), [short(running), short(runId)])]);
  r = await s.berth('rmi', '-f', 'lab/running:1');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, fx('rmi-force-running-tag', 'stdout'), '']);
  r = await s.berth('rmi', '-f', 'lab/other:1');
  assert.equal(r.code, 0, r.stderr);
  // As in fixture rmi-force-in-use; the layers stay while the stopped container uses them.
  assert.equal(r.stdout, `Untagged: lab/other:1\nDeleted: ${other}\n`);
  assert.deepEqual(fx('rmi-force-in-use', 'stdout').split('\n').slice(0, 2).map((l) => l.replace(/sha256:\w+/, 'ID')), ['Untagged: lab/other:1', 'Deleted: ID']);

  // The stopped container still has its file system: its layers outlived the image.
  r = await s.berth('start', '-a', stoppedId);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await s.berth('run', '--rm', 'busybox', 'true')).code, 0);
  ok(await s.berth('rm', stoppedId));
  // ...and went with the container
  assert.equal(query(s.root, 'SELECT count(*) AS n FROM layers')[0]!.n, 2);
});

test('image prune -a keeps images used by containers; system prune removes stopped containers first; system df counts them', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const usedRunning = await ownImage(s, tmp.dir, 'lab/used-running:1', 1);
  const usedStopped = await ownImage(s, tmp.dir, 'lab/used-stopped:1', 2);
  const unused = await ownImage(s, tmp.dir, 'lab/unused:1', 3);
  const runId = ok(await s.berth('run', '-d', 'lab/used-running:1', 'sleep', '600')).trim();
  ok(await s.berth('run', '--name', 'stopped1', 'lab/used-stopped:1', 'sh', '-c', 'echo 12345 > /data'));

  let r = await s.berth('system', 'df');
  const cells = r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s{2,}/));
  assert.deepEqual(cells.map((c) => c[0]), fx('system-df', 'stdout').split('\n').filter(Boolean).map((l) => l.split(/\s{2,}/)[0]));
  assert.deepEqual(cells[2], ['Containers', '2', '1', '6B', '6B (100%)']);
  assert.deepEqual(cells[1]!.slice(0, 3), ['Images', '4', '2']);

  r = await s.berth('image', 'prune', '-a', '-f');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`untagged: lab/unused:1\\ndeleted: ${unused}`));
  const left = (await s.berth('images', '--format', '{{.Repository}}')).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(left, ['lab/used-running', 'lab/used-stopped']);

  // The stopped container's image goes once the container is gone: containers first.
  ok(await s.berth('tag', 'lab/used-stopped:1', 'keep/me:1'));
  ok(await s.berth('rmi', 'keep/me:1'));
  r = await s.berth('system', 'prune', '-a', '-f');
  assert.equal(r.code, 0, r.stderr);
  const stoppedId = r.stdout.match(/^Deleted Containers:\n([0-9a-f]{64})\n\n/);
  assert.ok(stoppedId, r.stdout);
  assert.match(r.stdout, new RegExp(`Deleted Images:\\nuntagged: lab/used-stopped:1\\ndeleted: ${usedStopped}\\n`));
  assert.match(r.stdout, /Total reclaimed space: \d/);
  assert.deepEqual((await s.berth('ps', '-a', '-q', '--no-trunc')).stdout, `${runId}\n`);
  assert.deepEqual((await s.berth('images', '-q', '--no-trunc')).stdout, `${usedRunning}\n`);
  // the running container kept its image; its snapshots are the only ones left
  assert.equal(readdirSync(join(s.root, 'containers')).filter((n) => !n.startsWith('.')).length, 1);
  ok(await s.berth('rm', '-f', runId));
  ok(await s.berth('rmi', 'lab/used-running:1'));
  ok(await s.berth('system', 'gc'));
  assert.deepEqual(readdirSync(join(s.root, 'snapshots')), []);
  assert.deepEqual(readdirSync(join(s.root, 'containers')), []);
  assert.equal(query(s.root, 'SELECT count(*) AS n FROM snapshots')[0]!.n, 0);
});

test('container prune and its report', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const a = ok(await s.berth('create', 'busybox', 'true')).trim();
  ok(await s.berth('run', '-d', '--name', 'live', 'busybox', 'sleep', '600'));
  const b = (await s.berth('run', '-l', 'k=v', 'busybox', 'sh', '-c', 'echo data > /f')).code === 0 ? (await s.berth('ps', '-lq', '--no-trunc')).stdout.trim() : '';
  let r = await s.berth('container', 'prune', '-f', '--filter', 'label=k=v');
  assert.equal(r.stdout, `Deleted Containers:\n${b}\n\nTotal reclaimed space: 5B\n`);
  r = await s.run(['container', 'prune'], { input: 'y\n' });
  assert.equal(r.stdout, `WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\n${a}\n\nTotal reclaimed space: 0B\n`);
  assert.equal((await s.berth('ps', '-a', '--format', '{{.Names}}')).stdout, 'live\n');
  r = await s.berth('container', 'prune', '-f');
  assert.equal(r.stdout, 'Total reclaimed space: 0B\n');
});
