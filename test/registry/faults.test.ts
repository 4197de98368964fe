import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newStore, runBerth, tempDir } from '../helpers/berth.js';
import { berthBin } from '../helpers/paths.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { haveRegistry, startFaultProxy, startRegistry, type FaultProxy, type RunningRegistry } from '../helpers/registry.js';
import { tarOf, writeOciLayout, skopeo } from '../helpers/registry-images.js';
import { blobFiles, query } from '../helpers/store-state.js';

const skip = !haveRegistry() && 'docker-registry is not installed';

let reg: RunningRegistry;
let proxy: FaultProxy;
let work: { dir: string; cleanup: () => void };
let pusher: ReturnType<typeof newStore>;
let layers: string[] = [];
let imageId = '';
const REPO = 'lab/big';
/** Fast retries for the tests. */
const ENV = { BERTH_REGISTRY_RETRY_DELAY_MS: '20' };

before(async () => {
  if (skip) return;
  work = tempDir('berth-faults-');
  reg = await startRegistry(join(work.dir, 'registry'));
  proxy = await startFaultProxy(reg.addr);
  pusher = newStore();
  // Incompressible layers of a few MB, so faults land in the middle of a transfer.
  const random = (name: string) => tarOf(work.dir, name, { [`data/${name}.bin`]: randomBytes(3 << 20) });
  const layout = writeOciLayout(join(work.dir, 'big'), `${reg.addr}/${REPO}:1`, {
    layers: [readFileSync(makeRootfsTar(work.dir)), random('a'), random('b')],
  });
  layers = layout.layerDigests;
  imageId = layout.configDigest;
  execFileSync('tar', ['-C', layout.dir, '-cf', layout.dir + '.tar', '.']);
  let r = await pusher.berth('load', '-i', layout.dir + '.tar');
  assert.equal(r.code, 0, r.stderr);
  r = await pusher.berth('push', `${reg.addr}/${REPO}:1`);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (skip) return;
  await proxy.stop();
  await reg.stop();
  pusher.cleanup();
  work.cleanup();
});

function snapshot(root: string): unknown {
  return {
    blobs: blobFiles(root),
    images: query(root, 'SELECT id FROM images ORDER BY id'),
    refs: query(root, 'SELECT name, image_id FROM refs ORDER BY name'),
    layers: query(root, 'SELECT chain_id FROM layers ORDER BY chain_id'),
    layerBlobs: query(root, 'SELECT diff_id, blob FROM layer_blobs ORDER BY blob'),
    manifests: query(root, 'SELECT image_id, digest FROM image_manifests ORDER BY digest'),
    leases: query(root, 'SELECT id FROM leases'),
    ingest: readdirSync(join(root, 'ingest')),
  };
}

const blobPath = (d: string) => (_m: string, p: string) => p === `/v2/${REPO}/blobs/${d}`;

async function pullThroughProxy(s: ReturnType<typeof newStore>, extraEnv: NodeJS.ProcessEnv = {}) {
  return runBerth(s.root, ['pull', `${proxy.addr}/${REPO}:1`], { env: { ...ENV, ...extraEnv } });
}

async function assertConsistent(root: string): Promise<void> {
  const r = await runBerth(root, ['system', 'check']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /consistent/);
}

test('a connection dropped in the middle of a layer is resumed with a Range request', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  proxy.seen.length = 0;
  proxy.rules.push({ match: blobPath(layers[1]!), dropAfter: 1_000_000, times: 1 });
  proxy.rules.push({ match: blobPath(layers[2]!), dropAfter: 500_000, times: 2 });
  const r = await pullThroughProxy(s);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: Retrying in 1 second\n/);
  // Resumed from what arrived: at most what the proxy sent before cutting, and more each time.
  const offsets = (d: string) =>
    proxy.seen.filter((x) => x.method === 'GET' && x.path.endsWith(d)).map((x) => (x.range ? Number(/^bytes=(\d+)-$/.exec(x.range)![1]) : 0));
  const a = offsets(layers[1]!);
  assert.equal(a.length, 2);
  assert.ok(a[0] === 0 && a[1]! > 0 && a[1]! <= 1_000_000, String(a));
  const b = offsets(layers[2]!);
  assert.equal(b.length, 3);
  assert.ok(b[0] === 0 && b[1]! > 0 && b[1]! <= 500_000 && b[2]! > b[1]! && b[2]! <= b[1]! + 500_000, String(b));
  assert.equal((await s.berth('images', '-q', '--no-trunc')).stdout.trim(), imageId);
  await assertConsistent(s.root);
});

test('a transfer that stalls times out and resumes', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  proxy.seen.length = 0;
  proxy.rules.push({ match: blobPath(layers[1]!), stallAfter: 700_000, times: 1 });
  const r = await pullThroughProxy(s, { BERTH_REGISTRY_TIMEOUT_MS: '1000' });
  assert.equal(r.code, 0, r.stderr);
  const gets = proxy.seen.filter((x) => x.method === 'GET' && x.path.endsWith(layers[1]!));
  assert.equal(gets.length, 2);
  assert.match(gets[1]!.range!, /^bytes=\d+-$/);
  await assertConsistent(s.root);
});

test('5xx answers are retried with backoff', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  proxy.seen.length = 0;
  proxy.rules.push({ match: (m, p) => m === 'GET' && p.includes('/manifests/'), status: 503, times: 2 });
  proxy.rules.push({ match: blobPath(layers[0]!), status: 502, times: 2 });
  proxy.rules.push({ match: blobPath(imageId), status: 500, times: 1 });
  const r = await pullThroughProxy(s);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(proxy.seen.filter((x) => x.fault).length, 5);
  assert.equal((await s.berth('images', '-q', '--no-trunc')).stdout.trim(), imageId);
  await assertConsistent(s.root);
});

test('corrupt bytes are never stored: the pull fails cleanly and leaves the store as it was', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  // Something already in the store, which the failed pull must leave untouched.
  let r = await s.berth('import', makeRootfsTar(work.dir, 'other.tar', { 'etc/other': 'x' }), 'lab/other:1');
  assert.equal(r.code, 0, r.stderr);
  const before = snapshot(s.root);
  proxy.rules.push({ match: blobPath(layers[2]!), corruptAt: 2_000_000, times: 1 });
  r = await pullThroughProxy(s);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `filesystem layer verification failed for digest ${layers[2]}\n`);
  assert.deepEqual(snapshot(s.root), before);
  await assertConsistent(s.root);

  // A corrupt piece after a resume: the layer is fetched again from the start, and it works.
  proxy.seen.length = 0;
  proxy.rules.push({ match: blobPath(layers[2]!), dropAfter: 1_000_000, times: 1 });
  proxy.rules.push({ match: blobPath(layers[2]!), corruptAt: 10, times: 1 });
  r = await pullThroughProxy(s);
  assert.equal(r.code, 0, r.stderr);
  const gets = proxy.seen.filter((x) => x.method === 'GET' && x.path.endsWith(layers[2]!)).map((x) => x.range);
  assert.equal(gets.length, 3);
  assert.equal(gets[0], undefined);
  assert.match(gets[1]!, /^bytes=\d+-$/);
  assert.equal(gets[2], undefined);
  await assertConsistent(s.root);
});

test('a registry that keeps failing: the pull gives up with the cause, the store is unchanged', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  assert.equal((await s.berth('images')).code, 0);
  const before = snapshot(s.root);
  const rule = { match: blobPath(layers[1]!), status: 503, times: 1000 };
  proxy.rules.push(rule);
  const r = await pullThroughProxy(s, { BERTH_REGISTRY_RETRIES: '3' });
  rule.times = 0;
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'unavailable: injected failure\n');
  assert.match(r.stdout, /^1: Pulling from lab\/big\n/);
  assert.deepEqual(snapshot(s.root), before);
  await assertConsistent(s.root);
});

test('uploads: 5xx and cut connections are retried, chunked uploads resume where the registry stopped', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  let r = await runBerth(s.root, ['pull', `${reg.addr}/${REPO}:1`]);
  assert.equal(r.code, 0, r.stderr);
  const target = `${proxy.addr}/lab/uploaded:1`;
  assert.equal((await s.berth('tag', `${reg.addr}/${REPO}:1`, target)).code, 0);
  proxy.seen.length = 0;
  proxy.rules.push({ match: (m, p) => m === 'POST' && p.startsWith('/v2/lab/uploaded/blobs/uploads/'), status: 503, times: 1 });
  const patch = (m: string, p: string) => m === 'PATCH' && p.startsWith('/v2/lab/uploaded/blobs/uploads/');
  // Cut before any byte of a later chunk reached the registry: the session goes on from there.
  proxy.rules.push({ match: (m, p, h) => patch(m, p) && !String(h['content-range']).startsWith('0-'), dropRequestAfter: 0, times: 1 });
  // Cut in the middle of a first chunk: distribution refuses to resume such a session; start over.
  proxy.rules.push({ match: (m, p, h) => patch(m, p) && String(h['content-range']).startsWith('0-'), dropRequestAfter: 600_000, times: 1 });
  proxy.rules.push({ match: (m, p) => m === 'PUT' && p.includes('/manifests/'), status: 500, times: 1 });
  r = await runBerth(s.root, ['push', target], { env: { ...ENV, BERTH_UPLOAD_CHUNK_SIZE: String(1 << 20) } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(proxy.seen.filter((x) => x.fault).length, 4);
  const patches = proxy.seen.filter((x) => x.method === 'PATCH');
  assert.ok(patches.length >= 8, `chunked: ${patches.length} PATCH requests`);
  // After the cut PATCH: the upload's status is asked, and the upload goes on in the same session.
  const session = (p: string) => new URL(p, 'http://x').pathname;
  const after = (fault: string) => {
    const cut = proxy.seen.findIndex((x) => x.fault === fault);
    assert.ok(cut >= 0, fault);
    return proxy.seen.slice(cut + 1).filter((x) => session(x.path) === session(proxy.seen[cut]!.path)).map((x) => x.method);
  };
  assert.deepEqual(after('request drop after 0').slice(0, 2), ['GET', 'PATCH']);
  assert.deepEqual(after('request drop after 600000'), ['GET', 'DELETE']);
  // The image the registry now holds is whole: skopeo and a fresh berth store agree.
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1]!;
  assert.equal(JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${reg.addr}/lab/uploaded:1`])).Digest, digest);
  const s2 = newStore();
  t.after(s2.cleanup);
  r = await runBerth(s2.root, ['pull', `${reg.addr}/lab/uploaded:1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await s2.berth('images', '-q', '--no-trunc')).stdout.trim(), imageId);
});

test('a pull killed mid-layer leaves a consistent store; the next collection reclaims its leftovers', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const rule = { match: blobPath(layers[2]!), dropAfter: 2_000_000, times: 1000 };
  proxy.rules.push(rule);
  const child = spawn(process.execPath, [berthBin, '--root', s.root, 'pull', `${proxy.addr}/${REPO}:1`], {
    env: { ...process.env, BERTH_REGISTRY_RETRY_DELAY_MS: '2000' },
    stdio: 'ignore',
  });
  // Wait until the other layers are in and the third is being retried, then kill.
  for (let i = 0; i < 200 && proxy.seen.filter((x) => x.fault && x.path.endsWith(layers[2]!)).length === 0; i++) await sleep(25);
  await sleep(200);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  rule.times = 0;
  assert.deepEqual(query(s.root, 'SELECT id FROM images'), []);
  const gc = await s.berth('system', 'gc');
  assert.equal(gc.code, 0, gc.stderr);
  assert.deepEqual(blobFiles(s.root), []);
  assert.deepEqual(readdirSync(join(s.root, 'ingest')), []);
  await assertConsistent(s.root);
  const r = await pullThroughProxy(s);
  assert.equal(r.code, 0, r.stderr);
});

test('a push that fails leaves the store as it was, even after compressing a layer', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const ref = `${proxy.addr}/lab/failing:1`;
  let r = await s.berth('import', makeRootfsTar(work.dir, 'failing.tar', { 'etc/failing': 'x' }), ref);
  assert.equal(r.code, 0, r.stderr);
  const before = snapshot(s.root);
  const rule = { match: (m: string, p: string) => m === 'PUT' && p.startsWith('/v2/lab/failing/blobs/uploads/'), status: 503, times: 1000 };
  proxy.rules.push(rule);
  r = await runBerth(s.root, ['push', ref], { env: { ...ENV, BERTH_REGISTRY_RETRIES: '2' } });
  rule.times = 0;
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'unavailable: injected failure\n');
  assert.match(r.stdout, /^The push refers to repository \[/);
  assert.deepEqual(snapshot(s.root), before);
  await assertConsistent(s.root);
});
