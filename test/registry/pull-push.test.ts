import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';
import { berthBin } from '../helpers/paths.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { freePort, haveRegistry, startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { tarOf, writeOciLayout } from '../helpers/registry-images.js';
import { dockerTranscript, layerStatuses, normalize, sortedLines } from '../helpers/registry-fixtures.js';
import { blobFiles, query } from '../helpers/store-state.js';

const skip = !haveRegistry() && 'docker-registry is not installed';

let reg: RunningRegistry;
let work: { dir: string; cleanup: () => void };
/** The store that pushes (images loaded from OCI layouts built here). */
let pusher: ReturnType<typeof newStore>;
let REG = '';
let smallDigest = '';

const FIXTURE_REG = '127.0.0.1:5000';

/** Docker's transcript, normalised, with its registry address replaced by ours. */
function expected(name: string): { stdout: string; stderr: string; rc: number } {
  const t = dockerTranscript(name);
  return { stdout: normalize(t.stdout, FIXTURE_REG), stderr: normalize(t.stderr, FIXTURE_REG), rc: t.rc };
}

before(async () => {
  if (skip) return;
  work = tempDir('berth-reg-');
  reg = await startRegistry(join(work.dir, 'registry'));
  REG = reg.addr;
  pusher = newStore();
  const rootfs = readFileSync(makeRootfsTar(work.dir));
  const base = writeOciLayout(join(work.dir, 'base'), `${REG}/lab/base:1`, { layers: [rootfs] });
  const small = writeOciLayout(join(work.dir, 'small'), `${REG}/lab/small:1.0`, {
    layers: [rootfs, tarOf(work.dir, 'l1', { 'app/greeting.txt': 'hello fixture\n' }), tarOf(work.dir, 'l2', { 'app/payload.txt': 'payload\n' })],
    cmd: ['cat', '/app/greeting.txt'],
  });
  for (const l of [base, small]) {
    const archive = l.dir + '.tar';
    execFileSync('tar', ['-C', l.dir, '-cf', archive, '.']);
    const r = await pusher.berth('load', '-i', archive);
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await pusher.berth('tag', `${REG}/lab/small:1.0`, `${REG}/lab/small:extra`);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (skip) return;
  await reg.stop();
  pusher.cleanup();
  work.cleanup();
});

test('push: first push, again, cross-repository mount, all tags — as Docker prints them', { skip }, async () => {
  let r = await pusher.berth('push', `${REG}/lab/small:1.0`);
  assert.equal(r.code, 0, r.stderr);
  let want = expected('push-first');
  const got = normalize(r.stdout, REG);
  assert.deepEqual(sortedLines(got), sortedLines(want.stdout));
  assert.equal(got.split('\n')[0], want.stdout.split('\n')[0]);
  // Preparing lines come first, top layer first, as Docker lists them.
  assert.deepEqual(got.split('\n').slice(1, 4), want.stdout.split('\n').slice(1, 4));
  smallDigest = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1]!;

  r = await pusher.berth('push', `${REG}/lab/small:1.0`);
  assert.equal(r.code, 0, r.stderr);
  want = expected('push-again');
  assert.deepEqual(sortedLines(normalize(r.stdout, REG)), sortedLines(want.stdout));
  assert.ok(r.stdout.includes(`1.0: digest: ${smallDigest} size: `));

  assert.equal((await pusher.berth('tag', `${REG}/lab/small:1.0`, `${REG}/lab/mounted:1.0`)).code, 0);
  r = await pusher.berth('push', `${REG}/lab/mounted:1.0`);
  assert.equal(r.code, 0, r.stderr);
  want = expected('push-cross-repo-mount');
  assert.deepEqual(sortedLines(normalize(r.stdout, REG)), sortedLines(want.stdout));

  r = await pusher.berth('push', '--all-tags', `${REG}/lab/small`);
  assert.equal(r.code, 0, r.stderr);
  want = expected('push-all-tags');
  assert.deepEqual(sortedLines(normalize(r.stdout, REG)), sortedLines(want.stdout));
  const tagLines = r.stdout.split('\n').filter((l) => l.includes(': digest: '));
  assert.deepEqual(tagLines.map((l) => l.split(':')[0]), ['1.0', 'extra']);

  // The registry serves what was pushed, byte for byte the manifest berth printed.
  const m = await fetch(`http://${REG}/v2/lab/small/manifests/1.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(m.headers.get('docker-content-digest'), smallDigest);

  // images --digests shows the digest references a push records, as after docker push.
  r = await pusher.berth('images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}');
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').sort();
  assert.ok(rows.includes(`${REG}/lab/small 1.0 ${smallDigest}`), r.stdout);
  assert.ok(rows.includes(`${REG}/lab/small extra ${smallDigest}`), r.stdout);
  assert.ok(rows.includes(`${REG}/lab/mounted 1.0 ${smallDigest}`), r.stdout);
  assert.ok(rows.includes(`${REG}/lab/base 1 <none>`), r.stdout);

  r = await pusher.berth('push', `${REG}/lab/base:1`);
  assert.equal(r.code, 0, r.stderr);
});

test('push errors: no such local image, unreachable registry', { skip }, async () => {
  let r = await pusher.berth('push', `${REG}/lab/nope:1`);
  let want = expected('push-missing');
  assert.equal(r.code, want.rc);
  assert.equal(normalize(r.stdout, REG), want.stdout);
  assert.equal(normalize(r.stderr, REG), want.stderr);

  const port = await freePort();
  assert.equal((await pusher.berth('tag', `${REG}/lab/small:1.0`, `127.0.0.1:${port}/lab/small:1.0`)).code, 0);
  r = await pusher.berth('push', `127.0.0.1:${port}/lab/small:1.0`);
  want = expected('push-unreachable');
  assert.equal(r.code, want.rc);
  assert.equal(r.stdout.split(String(port)).join('5999'), dockerTranscript('push-unreachable').stdout);
  assert.equal(r.stderr.split(String(port)).join('5999'), dockerTranscript('push-unreachable').stderr);
});

test('pull: full, up to date, by digest, all tags, quiet — as Docker prints them', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  let r = await s.berth('pull', `${REG}/lab/small:1.0`);
  assert.equal(r.code, 0, r.stderr);
  const out = normalize(r.stdout, REG);
  const lines = out.split('\n');
  assert.equal(lines[0], '1.0: Pulling from lab/small');
  assert.deepEqual(lines.slice(-4), [
    'Digest: sha256:<DIGEST>',
    `Status: Downloaded newer image for <REG>/lab/small:1.0`,
    `<REG>/lab/small:1.0`,
    '',
  ]);
  const statuses = layerStatuses(r.stdout);
  assert.equal(statuses.size, 3);
  for (const st of statuses.values()) {
    assert.deepEqual(st.filter((x) => x !== 'Verifying Checksum' && x !== 'Waiting'), ['Pulling fs layer', 'Download complete', 'Pull complete']);
  }
  // "Pull complete" comes bottom layer first, as Docker registers layers.
  const completes = r.stdout.split('\n').filter((l) => l.endsWith(': Pull complete')).map((l) => l.slice(0, 12));
  const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${REG}/lab/small:1.0`], { encoding: 'utf8' }));
  assert.deepEqual(completes, manifest.layers.map((l: { digest: string }) => l.digest.slice(7, 19)));
  assert.ok(r.stdout.includes(`Digest: ${smallDigest}\n`));

  r = await s.berth('pull', `${REG}/lab/small:1.0`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(normalize(r.stdout, REG), expected('pull-up-to-date').stdout);

  r = await s.berth('pull', `${REG}/lab/small@${smallDigest}`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(normalize(r.stdout, REG), expected('pull-by-digest').stdout);

  r = await s.berth('pull', '--all-tags', `${REG}/lab/small`);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(sortedLines(normalize(r.stdout, REG)), sortedLines(expected('pull-all-tags').stdout));

  r = await s.berth('pull', '-q', `${REG}/lab/small:extra`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(normalize(r.stdout, REG), expected('pull-quiet').stdout);

  r = await s.berth('pull', '-a', `${REG}/lab/small:1.0`);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "tag can't be used with --all-tags/-a\n");

  // The pulled image is the pushed one: same ID, same digest reference, same content.
  r = await s.berth('images', '--digests', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}} {{.ID}}');
  const pushedId = (await pusher.berth('images', '--no-trunc', '-q', `${REG}/lab/small:1.0`)).stdout.trim();
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [
    `${REG}/lab/small:1.0 ${smallDigest} ${pushedId}`,
    `${REG}/lab/small:extra ${smallDigest} ${pushedId}`,
  ]);
  r = await s.berth('system', 'check');
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('parallel downloads: max-concurrent-downloads of daemon.json, overridden by the environment', { skip }, async (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const cfg = join(d.dir, 'daemon.json');
  writeFileSync(cfg, JSON.stringify({ 'max-concurrent-downloads': 1 }));
  const waiting = async (env: NodeJS.ProcessEnv) => {
    const s = newStore();
    t.after(s.cleanup);
    const r = await s.run(['pull', `${REG}/lab/small:1.0`], { env: { BERTH_DOCKER_DAEMON_CONFIG: cfg, ...env } });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => l.endsWith(': Waiting')).length;
  };
  // Three layers, one at a time: two wait (Docker prints Waiting for them).
  assert.equal(await waiting({}), 2);
  assert.equal(await waiting({ BERTH_MAX_CONCURRENT_DOWNLOADS: '3' }), 0);
});

test('pull: base layer already in the store is not downloaded again', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  let r = await s.berth('pull', `${REG}/lab/base:1`);
  assert.equal(r.code, 0, r.stderr);
  const before = blobFiles(s.root).length;
  r = await s.berth('pull', `${REG}/lab/small:1.0`);
  assert.equal(r.code, 0, r.stderr);
  const want = expected('pull-partial-base-exists');
  const drop = [/Verifying Checksum/, /Waiting/];
  assert.deepEqual(sortedLines(normalize(r.stdout, REG), drop), sortedLines(want.stdout, drop));
  assert.match(r.stdout.split('\n')[1]!, /^[0-9a-f]{12}: Already exists$/);
  // two new layers, the config and the manifest
  assert.equal(blobFiles(s.root).length, before + 4);
});

test('pull errors: missing tag, missing repository, unreachable registry, bad reference', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  let r = await s.berth('pull', `${REG}/lab/small:nope`);
  let want = expected('pull-missing-tag');
  assert.equal(r.code, want.rc);
  assert.equal(r.stdout, '');
  assert.equal(normalize(r.stderr, REG), want.stderr);

  r = await s.berth('pull', `${REG}/lab/nope:1`);
  want = expected('pull-missing-repo');
  assert.equal(r.code, want.rc);
  assert.equal(normalize(r.stderr, REG), want.stderr);

  const port = await freePort();
  r = await s.berth('pull', `127.0.0.1:${port}/lab/small:1.0`);
  want = dockerTranscript('pull-unreachable');
  assert.equal(r.code, want.rc);
  assert.equal(r.stderr.split(String(port)).join('5999'), want.stderr);

  r = await s.berth('pull', 'Lab/Small');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'invalid reference format: repository name (Small) must be lowercase\n');

  r = await s.berth('pull', `${REG}/lab/nope`);
  assert.equal(r.stdout, 'Using default tag: latest\n');
  r = await s.berth('system', 'check');
  assert.equal(r.code, 0);
  assert.deepEqual(query(s.root, 'SELECT * FROM images'), []);
});

test('push of an imported image compresses its layer once, and the registry holds what berth pulls back', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  let r = await s.berth('import', makeRootfsTar(d.dir, 'imp.tar', { 'etc/motd': 'imported\n' }), `${REG}/lab/imported:1`);
  assert.equal(r.code, 0, r.stderr);
  const blobsBefore = blobFiles(s.root).length;
  r = await s.berth('push', `${REG}/lab/imported:1`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: Pushed\n/);
  // The gzip blob joined the layer's representations: one more blob, and the pushed manifest.
  assert.equal(blobFiles(s.root).length, blobsBefore + 2);
  const reps = query<{ media_type: string }>(s.root, 'SELECT media_type FROM layer_blobs ORDER BY media_type');
  assert.deepEqual(reps.map((x) => x.media_type), ['application/vnd.docker.image.rootfs.diff.tar', 'application/vnd.docker.image.rootfs.diff.tar.gzip']);
  assert.equal((await s.berth('tag', `${REG}/lab/imported:1`, `${REG}/lab/imported-copy:1`)).code, 0);
  r = await s.berth('push', `${REG}/lab/imported-copy:1`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: Mounted from lab\/imported\n/);
  assert.equal(blobFiles(s.root).length, blobsBefore + 2);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1]!;
  // What the registry holds is a Docker schema 2 manifest, as docker push makes.
  const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${REG}/lab/imported:1`], { encoding: 'utf8' }));
  assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(raw.layers[0].mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');

  const s2 = newStore();
  t.after(s2.cleanup);
  r = await s2.berth('pull', `${REG}/lab/imported-copy:1`);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`Digest: ${digest}`));
  const idA = (await s.berth('images', '-q', '--no-trunc', `${REG}/lab/imported:1`)).stdout;
  const idB = (await s2.berth('images', '-q', '--no-trunc', `${REG}/lab/imported-copy:1`)).stdout;
  assert.equal(idA, idB);
  // and pushing the pulled image back sends the stored manifest unchanged
  r = await s2.berth('push', `${REG}/lab/imported-copy:1`);
  assert.ok(r.stdout.includes(`1: digest: ${digest} `), r.stdout);
});

test('two pulls of the same image at once both succeed, and the store stays consistent', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const [a, b] = await Promise.all([s.berth('pull', `${REG}/lab/small:1.0`), s.berth('pull', `${REG}/lab/small:extra`)]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const r = await s.berth('system', 'check');
  assert.equal(r.code, 0, r.stdout);
  assert.equal(query(s.root, 'SELECT id FROM images').length, 1);
  assert.equal(query(s.root, 'SELECT id FROM leases').length, 0);
});

test('--platform that the image does not have is refused before anything is stored', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const r = await s.berth('pull', '--platform', 'linux/arm64', `${REG}/lab/small:1.0`);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `image with reference ${REG}/lab/small:1.0 was found but its platform (linux/amd64) does not match the specified platform (linux/arm64)\n`,
  );
  assert.deepEqual(blobFiles(s.root), []);
});

test('on a terminal, layers get progress lines rewritten in place', { skip: skip || (!existsSync('/usr/bin/script') && 'no script(1)') }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  // script(1) gives berth a pseudo-terminal as stdout.
  const cmd = `${process.execPath} ${berthBin} --root ${s.root} pull ${REG}/lab/small:1.0`;
  const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '120' } });
  assert.match(out, /^1\.0: Pulling from lab\/small\r\n/);
  assert.match(out, /\x1b\[\d+A\x1b\[2K\r[0-9a-f]{12}: Pulling fs layer \r\x1b\[\d+B/);
  assert.match(out, /\x1b\[\d+A\x1b\[2K\r[0-9a-f]{12}: Downloading .*\d+(\.\d+)?[kM]?B\/\d+(\.\d+)?[kM]?B\r/);
  assert.match(out, /\x1b\[\d+A\x1b\[2K\r[0-9a-f]{12}: Pull complete \r\x1b\[\d+B/);
  assert.ok(out.endsWith(`Status: Downloaded newer image for ${REG}/lab/small:1.0\r\n${REG}/lab/small:1.0\r\n`), JSON.stringify(out.slice(-200)));
});

test('library: Engine.pull and Engine.push, with typed progress events', { skip }, async (t) => {
  const { Engine } = await import('../../src/index.js');
  const d = tempDir();
  t.after(d.cleanup);
  const engine = new Engine({ root: join(d.dir, 'store') });
  t.after(() => engine.close());
  const events: string[] = [];
  const ids = await engine.pull(`${REG}/lab/small:1.0`, { progress: (e) => events.push(e.kind === 'message' ? e.text : e.kind) });
  assert.equal(ids.length, 1);
  assert.equal(events[0], '1.0: Pulling from lab/small');
  assert.ok(events.includes(`Status: Downloaded newer image for ${REG}/lab/small:1.0`));
  await engine.tag(`${REG}/lab/small:1.0`, `${REG}/lab/library:1`);
  const pushed = await engine.push(`${REG}/lab/library:1`);
  assert.deepEqual(pushed, [{ tag: '1', digest: smallDigest, size: pushed[0]!.size }]);
});
