import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { haveRegistry, startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { skopeo } from '../helpers/registry-images.js';
import { dockerTranscript, layerStatuses } from '../helpers/registry-fixtures.js';

const skip = (!haveRegistry() && 'docker-registry is not installed') || (!existsSync('/usr/bin/skopeo') && 'skopeo is not installed');

let reg: RunningRegistry;
let work: { dir: string; cleanup: () => void };
const MULTI = () => join(fixturesDir(), 'oci', 'multi-arch');
const AMD64_ID = 'sha256:4295fa63f9d3649e8bb483d642a2c6948d32f24f21ff732e6c53d644c7d193ac';
const ARM64_ID = 'sha256:30819cd9d132e2f39a59e5d4c4a44ed21529578a607502ea089e5faa13824c90';

before(async () => {
  if (skip) return;
  work = tempDir('berth-interop-');
  reg = await startRegistry(join(work.dir, 'registry'));
  skopeo(['copy', '--quiet', '--multi-arch', 'all', '--dest-tls-verify=false', `oci:${MULTI()}:1`, `docker://${reg.addr}/lab/multi:1`]);
});

after(async () => {
  if (skip) return;
  await reg.stop();
  work.cleanup();
});

test('berth pulls a multi-platform index pushed by skopeo: host platform, then --platform linux/arm64', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const ref = `${reg.addr}/lab/multi:1`;
  const indexDigest = 'sha256:' + JSON.parse(readFileSync(join(MULTI(), 'index.json'), 'utf8')).manifests[0].digest.slice(7);
  let r = await s.berth('pull', ref);
  assert.equal(r.code, 0, r.stderr);
  const want = dockerTranscript('pull-index-default', 'registry');
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], want.stdout.split('\n')[0]);
  assert.deepEqual(lines.slice(-4), [`Digest: ${indexDigest}`, `Status: Downloaded newer image for ${ref}`, ref, '']);
  assert.deepEqual([...layerStatuses(r.stdout).keys()], ['a172140c993a']);
  assert.equal((await s.berth('images', '-q', '--no-trunc', ref)).stdout.trim(), AMD64_ID);

  r = await s.berth('pull', '--platform', 'linux/arm64', ref);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([...layerStatuses(r.stdout).keys()], ['f58f0813ae96']);
  assert.ok(r.stdout.endsWith(`Digest: ${indexDigest}\nStatus: Downloaded newer image for ${ref}\n${ref}\n`));
  assert.equal((await s.berth('images', '-q', '--no-trunc', ref)).stdout.trim(), ARM64_ID);

  // As in Docker: the tag moved to the arm64 image, the digest reference stayed with amd64.
  r = await s.berth('images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}} {{.ID}}');
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [
    `${reg.addr}/lab/multi 1 <none> ${ARM64_ID.slice(7, 19)}`,
    `${reg.addr}/lab/multi <none> ${indexDigest} ${AMD64_ID.slice(7, 19)}`,
  ]);
  const fixtureRows = dockerTranscript('images-digests-index', 'registry').stdout.split('\n').filter((l) => l.includes('lab/multi'));
  assert.ok(fixtureRows.some((l) => /lab\/multi\s+<none>\s+sha256:d362/.test(l)));
  assert.ok(fixtureRows.some((l) => /lab\/multi\s+1\s+<none>\s+30819cd9d132/.test(l)));

  r = await s.berth('pull', '--platform', 'linux/s390x', ref);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error response from daemon: no matching manifest for linux/s390x in the manifest list entries\n');

  // Both platforms are now stored with the index: berth pushes the index whole, unchanged.
  assert.equal((await s.berth('tag', ref, `${reg.addr}/lab/multi-copy:1`)).code, 0);
  r = await s.berth('push', `${reg.addr}/lab/multi-copy:1`);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.endsWith(`1: digest: ${indexDigest} size: 491\n`), r.stdout);
  const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.addr}/lab/multi-copy:1`]));
  assert.equal(raw.manifests.length, 2);
  r = await s.berth('system', 'check');
  assert.equal(r.code, 0, r.stdout);
});

test('skopeo reads what berth pushes: inspect and copy back to an OCI layout', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const ref = `${reg.addr}/lab/from-berth:2`;
  let r = await s.berth('import', '-c', 'CMD ["/bin/sh"]', makeRootfsTar(d.dir), ref);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  r = await s.berth('push', ref);
  assert.equal(r.code, 0, r.stderr);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1];
  const info = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${ref}`]));
  assert.equal(info.Digest, digest);
  assert.equal(info.Architecture, 'amd64');
  assert.equal(info.Layers.length, 1);
  const cfg = JSON.parse(skopeo(['inspect', '--config', '--tls-verify=false', `docker://${ref}`]));
  assert.deepEqual(cfg.config.Cmd, ['/bin/sh']);
  const out = join(d.dir, 'layout');
  skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}:x`]);
  const blobs = readdirSync(join(out, 'blobs', 'sha256'));
  assert.ok(blobs.includes(id.slice(7)) || blobs.length === 3);
  // skopeo copies between registries too; berth pulls the copy and gets the same image.
  skopeo(['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${ref}`, `docker://${reg.addr}/lab/copied:2`]);
  const s2 = newStore();
  t.after(s2.cleanup);
  r = await s2.berth('pull', `${reg.addr}/lab/copied:2`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await s2.berth('images', '-q', '--no-trunc')).stdout.trim(), id);
});

test('berth pulls an OCI image skopeo pushed from a layout', { skip }, async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const ref = `${reg.addr}/lab/oci-small:1.0`;
  skopeo(['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(fixturesDir(), 'oci', 'small-from-archive')}:1.0`, `docker://${ref}`]);
  const r = await s.berth('pull', ref);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(layerStatuses(r.stdout).size, 3);
  const inspect = JSON.parse((await s.berth('inspect', ref)).stdout)[0];
  assert.deepEqual(inspect.RepoDigests, [`${reg.addr}/lab/oci-small@${/Digest: (\S+)/.exec(r.stdout)![1]}`]);
  assert.deepEqual(inspect.Config.Cmd, ['cat', '/app/greeting.txt']);
});
