import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';
import { haveRegistry, startRegistry } from '../helpers/registry.js';

test('copy to and from a registry (docker://), directly and between archives', { skip: !haveRegistry() && 'docker-registry is not installed' }, async (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const reg = await startRegistry(join(d.dir, 'registry'));
  t.after(() => reg.stop());
  const s = newStore();
  t.after(s.cleanup);
  assert.equal((await s.berth('load', '-i', join(fixturesDir(), 'archives', 'two-images.tar'))).code, 0);

  let r = await s.berth('copy', 'berth:lab/other:1', `docker://${reg.addr}/copied/other:1`);
  assert.equal(r.code, 0, r.stderr);
  r = await s.berth('images', '--format', '{{.Repository}}:{{.Tag}}');
  assert.doesNotMatch(r.stdout, /copied\/other/, 'the push name is not left in the store');
  assert.match(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.addr}/copied/other:1`], { encoding: 'utf8' }), /"Layers"/);

  const s2 = newStore();
  t.after(s2.cleanup);
  r = await s2.berth('copy', `docker://${reg.addr}/copied/other:1`, 'berth:local/other:2');
  assert.equal(r.code, 0, r.stderr);
  r = await s2.berth('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}');
  assert.equal(r.stdout, 'local/other:2 27b9b1922411\n');

  // registry → archive and archive → registry pass through a private store
  const out = join(d.dir, 'from-registry.tar');
  r = await s2.berth('copy', `docker://${reg.addr}/copied/other:1`, `docker-archive:${out}:x/y:1`);
  assert.equal(r.code, 0, r.stderr);
  r = await s2.berth('copy', `docker-archive:${out}`, `docker://${reg.addr}/again/other:3`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.addr}/again/other:3`], { encoding: 'utf8' }), /"Layers"/);
  assert.equal((await s2.berth('system', 'check')).code, 0);
});
