import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildStore, type BuildStore } from './helpers.js';
import { newStore } from '../helpers/berth.js';
import { haveRegistry, startRegistry } from '../helpers/registry.js';

/** A second store with the same base image (same ID: saved and loaded, not re-imported). */
async function sibling(s: BuildStore) {
  const other = newStore();
  const tar = join(s.dir, 'base.tar');
  assert.equal((await s.berth('save', '-o', tar, 'busybox:local')).code, 0);
  assert.equal((await other.berth('load', '-i', tar)).code, 0);
  return other;
}

test('build cache: --cache-to type=local on one store, --cache-from on another hits every step', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('share', { Dockerfile: 'FROM busybox:local\nENV A=1\nCOPY f /f\nWORKDIR /w\nCMD ["true"]\n', f: 'shared\n' });
  const cacheDir = join(s.dir, 'cache');
  const first = await s.berth('build', '-q', '--cache-to', `type=local,dest=${cacheDir}`, dir);
  assert.equal(first.code, 0, first.stderr);
  const other = await sibling(s);
  t.after(other.cleanup);
  const r = await other.berth('build', '--cache-from', `type=local,src=${cacheDir}`, '-t', 'shared:1', dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((r.stdout.match(/Using cache/g) ?? []).length, 4, r.stdout);
  assert.match(r.stdout, new RegExp(`Successfully built ${first.stdout.trim().slice(7, 19)}`));
  assert.equal((await other.berth('system', 'check')).code, 0);
});

test('build cache and results through a registry: --cache-to/--cache-from type=registry, --push', { skip: !haveRegistry() && 'docker-registry is not installed' }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const reg = await startRegistry(join(s.dir, 'registry'));
  t.after(() => reg.stop());
  const dir = s.ctx('regshare', { Dockerfile: 'FROM busybox:local\nCOPY f /f\nLABEL x=1\n', f: 'via registry\n' });
  const ref = `${reg.addr}/cache/app:buildcache`;
  const first = await s.berth('build', '-q', '--cache-to', `type=registry,ref=${ref}`, '--push', '-t', `${reg.addr}/app/built:1`, dir);
  assert.equal(first.code, 0, first.stderr);
  const other = await sibling(s);
  t.after(other.cleanup);
  const r = await other.berth('build', '--cache-from', ref, dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((r.stdout.match(/Using cache/g) ?? []).length, 2, r.stdout);
  const pulled = await other.berth('pull', `${reg.addr}/app/built:1`);
  assert.equal(pulled.code, 0, pulled.stderr);
  const id = (await other.berth('image', 'inspect', '-f', '{{.Id}}', `${reg.addr}/app/built:1`)).stdout.trim();
  assert.equal(id, first.stdout.trim());
});

test('build --platform a,b: an image index under the tag, pushed whole', { skip: !haveRegistry() && 'docker-registry is not installed' }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const reg = await startRegistry(join(s.dir, 'registry'));
  t.after(() => reg.stop());
  const dir = s.ctx('multi', { Dockerfile: 'FROM scratch\nARG TARGETARCH\nCOPY f /f\nLABEL arch=$TARGETARCH\n', f: 'x' });
  const tag = `${reg.addr}/multi/app:1`;
  const r = await s.berth('build', '--platform', 'linux/amd64,linux/arm64', '-t', tag, dir);
  assert.equal(r.code, 0, r.stderr);
  const host = process.arch === 'arm64' ? 'arm64' : 'amd64';
  assert.equal((await s.berth('image', 'inspect', '-f', '{{.Architecture}} {{index .Config.Labels "arch"}}', tag)).stdout.trim(), `${host} ${host}`);
  const push = await s.berth('push', tag);
  assert.equal(push.code, 0, push.stderr);
  const res = await fetch(`${reg.url}/v2/multi/app/manifests/1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json' } });
  const index = (await res.json()) as { manifests: { platform: { architecture: string } }[] };
  assert.deepEqual(index.manifests.map((m) => m.platform.architecture).sort(), ['amd64', 'arm64']);
  const other = newStore();
  t.after(other.cleanup);
  const pulled = await other.berth('pull', '--platform', 'linux/arm64', tag);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal((await other.berth('image', 'inspect', '-f', '{{.Architecture}} {{index .Config.Labels "arch"}}', tag)).stdout.trim(), 'arm64 arm64');
});

test('build: a base image missing from the store is pulled; --pull refreshes it', { skip: !haveRegistry() && 'docker-registry is not installed' }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const reg = await startRegistry(join(s.dir, 'registry'));
  t.after(() => reg.stop());
  const base = `${reg.addr}/lib/busybox:1`;
  assert.equal((await s.berth('tag', 'busybox:local', base)).code, 0);
  assert.equal((await s.berth('push', base)).code, 0);
  const other = newStore();
  t.after(other.cleanup);
  const dir = s.ctx('pullbase', { Dockerfile: `FROM ${base}\nLABEL pulled=yes\n` });
  const r = await other.berth('build', '-t', 'pulled:1', dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal((await other.berth('image', 'inspect', '-f', '{{index .Config.Labels "pulled"}}', 'pulled:1')).stdout.trim(), 'yes');
  const again = await other.berth('build', '--pull', '-t', 'pulled:1', dir);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Using cache/);
});
