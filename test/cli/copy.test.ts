import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';

test('copy between the store, docker-archive, oci-archive and OCI layout directories', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  assert.equal((await s.berth('load', '-i', join(fixturesDir(), 'archives', 'two-images.tar'))).code, 0);

  // store → OCI layout directory, read by skopeo
  const layout = join(d.dir, 'layout');
  let r = await s.berth('copy', 'berth:lab/other:1', `oci:${layout}:v1`);
  assert.equal(r.code, 0, r.stderr);
  const insp = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${layout}:v1`], { encoding: 'utf8' }));
  assert.equal(insp.Layers.length, 2);
  // a second image into the same layout merges the index
  r = await s.berth('copy', 'berth:127.0.0.1:5000/lab/small:1.0', `oci:${layout}:v2`);
  assert.equal(r.code, 0, r.stderr);
  execFileSync('skopeo', ['inspect', `oci:${layout}:v1`]);
  execFileSync('skopeo', ['inspect', `oci:${layout}:v2`]);

  // store → docker-archive under another name, loaded into a fresh store
  const archive = join(d.dir, 'a.tar');
  r = await s.berth('copy', 'berth:lab/other:1', `docker-archive:${archive}:renamed/other:7`);
  assert.equal(r.code, 0, r.stderr);
  const s2 = newStore();
  t.after(s2.cleanup);
  assert.equal((await s2.berth('load', '-i', archive)).stdout, 'Loaded image: renamed/other:7\n');

  // OCI layout directory → store, by ref name; docker-archive → oci-archive without the store
  r = await s2.berth('copy', `oci:${layout}:v2`, 'berth:from/layout:2');
  assert.equal(r.code, 0, r.stderr);
  r = await s2.berth('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}');
  assert.equal(r.stdout, 'renamed/other:7 27b9b1922411\nfrom/layout:2 41b461136cf1\n');
  const ociArchive = join(d.dir, 'b.tar');
  r = await s2.berth('copy', `docker-archive:${archive}`, `oci-archive:${ociArchive}:mytag`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(execFileSync('skopeo', ['inspect', `oci-archive:${ociArchive}:mytag`], { encoding: 'utf8' }), /"Digest"/);

  // a multi-platform OCI layout: the default platform is picked
  r = await s2.berth('copy', `oci:${join(fixturesDir(), 'oci', 'multi-arch')}:1`, 'berth:multi/arch:1');
  assert.equal(r.code, 0, r.stderr);
  const arch = JSON.parse((await s2.berth('image', 'inspect', 'multi/arch:1')).stdout)[0].Architecture;
  assert.equal(arch, 'amd64');

  // errors: unknown transport, missing name in an archive, missing file; nothing left behind
  r = await s2.berth('copy', 'lab/other:1', 'berth:x');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error response from daemon: invalid image location "lab\/other:1"/);
  r = await s2.berth('copy', `docker-archive:${archive}:nope/none:1`, 'berth:x');
  assert.deepEqual([r.code, r.stderr], [1, 'Error response from daemon: no image named "nope/none:1" in the archive\n']);
  r = await s2.berth('copy', 'berth:nope/none:1', `docker-archive:${join(d.dir, 'c.tar')}`);
  assert.equal(r.code, 1);
  assert.equal(existsSync(join(d.dir, 'c.tar')), false);
  assert.ok(readdirSync(d.dir).every((n) => !n.includes('berth-tmp')));
  assert.equal((await s2.berth('system', 'check')).code, 0);
});
