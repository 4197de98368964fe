import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { haveDockerd, startDocker } from '../helpers/docker.js';
import { haveRegistry, startRegistry } from '../helpers/registry.js';

const skip = (!haveRegistry() && 'docker-registry is not installed') || (!haveDockerd() && 'dockerd is not installed (scripts/install.sh installs docker.io)');

test('images go both ways through a registry between berth and a real Docker engine', { skip }, async (t) => {
  const d = tempDir('berth-dreg-');
  t.after(d.cleanup);
  const reg = await startRegistry(join(d.dir, 'registry'));
  t.after(() => reg.stop());
  const dk = await startDocker(join('/tmp', `berth-dockerd-reg-${process.pid}`));
  t.after(() => dk.stop());
  const s = newStore();
  t.after(s.cleanup);

  // berth → registry → Docker: pushed by berth, pulled and run by Docker, same image ID.
  const ref = `${reg.addr}/lab/hello:1`;
  const rootfs = makeRootfsTar(d.dir, 'rootfs.tar', { 'hello.txt': 'hello from berth\n' });
  let r = await s.berth('import', '-c', 'CMD ["/bin/cat", "/hello.txt"]', rootfs, ref);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  r = await s.berth('push', ref);
  assert.equal(r.code, 0, r.stderr);
  const pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1];
  let dr = dk.docker(['pull', ref]);
  assert.equal(dr.code, 0, dr.stderr);
  assert.ok(dr.stdout.includes(`Digest: ${pushedDigest}\n`), dr.stdout);
  assert.equal(dk.docker(['image', 'inspect', '-f', '{{.Id}}', ref]).stdout.trim(), id);
  dr = dk.docker(['run', '--rm', '--network', 'none', ref]);
  assert.equal(dr.code, 0, dr.stderr);
  assert.equal(dr.stdout, 'hello from berth\n');

  // Docker → registry → berth: built and pushed by Docker, pulled by berth with the same ID,
  // the base layer found in the store ("Already exists").
  writeFileSync(join(d.dir, 'Dockerfile'), `FROM ${ref}\nRUN echo built-by-docker > /built.txt\nCMD ["/bin/cat", "/built.txt"]\n`);
  const built = `${reg.addr}/lab/built:2`;
  dr = dk.docker(['build', '--network', 'none', '-t', built, d.dir]);
  assert.equal(dr.code, 0, dr.stderr + dr.stdout);
  dr = dk.docker(['push', built]);
  assert.equal(dr.code, 0, dr.stderr);
  const dockerDigest = /digest: (sha256:[0-9a-f]{64})/.exec(dr.stdout)![1];
  const dockerId = dk.docker(['image', 'inspect', '-f', '{{.Id}}', built]).stdout.trim();
  r = await s.berth('pull', built);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: Already exists\n/);
  assert.ok(r.stdout.includes(`Digest: ${dockerDigest}\n`));
  assert.equal((await s.berth('images', '-q', '--no-trunc', built)).stdout.trim(), dockerId);
  r = await s.berth('inspect', '-f', '{{json .RepoDigests}}', built);
  assert.equal(r.stdout.trim(), JSON.stringify([`${reg.addr}/lab/built@${dockerDigest}`]));

  // And back: berth pushes Docker's image elsewhere unchanged; Docker pulls it and runs it.
  const again = `${reg.addr}/lab/built-again:2`;
  assert.equal((await s.berth('tag', built, again)).code, 0);
  r = await s.berth('push', again);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.endsWith(`2: digest: ${dockerDigest} size: ${/size: (\d+)/.exec(dr.stdout)![1]}\n`), r.stdout);
  assert.equal(dk.docker(['rmi', built]).code, 0);
  dr = dk.docker(['run', '--rm', '--network', 'none', again]);
  assert.equal(dr.code, 0, dr.stderr);
  assert.match(dr.stderr + dr.stdout, /built-by-docker/);
  r = await s.berth('system', 'check');
  assert.equal(r.code, 0, r.stdout);
});
