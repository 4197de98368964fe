import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { newStore, tempDir } from '../helpers/berth.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { haveDockerd, startDocker } from '../helpers/docker.js';

test('archives move both ways between berth and a real Docker engine', { skip: !haveDockerd() && 'dockerd is not installed (scripts/install.sh installs docker.io)' }, async (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const dk = await startDocker(join('/tmp', `berth-dockerd-${process.pid}`));
  t.after(() => dk.stop());
  const s = newStore();
  t.after(s.cleanup);

  // berth → Docker: an imported image with changes, saved by berth, loaded and run by Docker.
  const rootfs = makeRootfsTar(d.dir, 'rootfs.tar', { 'hello.txt': 'hello from berth\n' });
  assert.equal((await s.berth('import', '-c', 'CMD ["/bin/cat", "/hello.txt"]', '-c', 'LABEL made.by=berth', rootfs, 'berth/hello:1')).code, 0);
  const id = JSON.parse((await s.berth('image', 'inspect', 'berth/hello:1')).stdout)[0].Id;
  const out = join(d.dir, 'from-berth.tar');
  assert.equal((await s.berth('save', '-o', out, 'berth/hello:1')).code, 0);
  let r = dk.docker(['load', '-i', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: berth/hello:1\n');
  r = dk.docker(['image', 'inspect', '-f', '{{.Id}} {{index .Config.Labels "made.by"}}', 'berth/hello:1']);
  assert.equal(r.stdout, `${id} berth\n`);
  r = dk.docker(['run', '--rm', '--network', 'none', 'berth/hello:1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from berth\n');

  // Docker → berth: an image Docker built (a RUN layer on top), saved by Docker, loaded by berth.
  writeFileSync(join(d.dir, 'Dockerfile'), 'FROM berth/hello:1\nRUN echo built-by-docker > /built.txt\nLABEL stage=docker\n');
  r = dk.docker(['build', '--network', 'none', '-t', 'docker/built:2', d.dir]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const dockerId = dk.docker(['image', 'inspect', '-f', '{{.Id}}', 'docker/built:2']).stdout.trim();
  const saved = join(d.dir, 'from-docker.tar');
  assert.equal(dk.docker(['save', '-o', saved, 'docker/built:2', 'berth/hello:1']).code, 0);
  const s2 = newStore();
  t.after(s2.cleanup);
  r = await s2.run(['load'], { input: readFileSync(saved) });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['Loaded image: berth/hello:1', 'Loaded image: docker/built:2']);
  const mine = JSON.parse((await s2.berth('image', 'inspect', 'docker/built:2')).stdout)[0];
  assert.equal(mine.Id, dockerId);
  assert.equal(mine.RootFS.Layers.length, 2);
  const dockerSize = Number(dk.docker(['image', 'inspect', '-f', '{{.Size}}', 'docker/built:2']).stdout.trim());
  assert.equal(mine.Size, dockerSize, 'image size counted as Docker counts it');
  // And round-trips through berth's own save back into Docker unchanged.
  const again = join(d.dir, 'again.tar');
  assert.equal((await s2.berth('save', '-o', again, 'docker/built:2')).code, 0);
  assert.equal(dk.docker(['rmi', 'docker/built:2']).code, 0);
  r = dk.docker(['load', '-i', again]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dk.docker(['image', 'inspect', '-f', '{{.Id}}', 'docker/built:2']).stdout.trim(), dockerId);
  r = dk.docker(['run', '--rm', '--network', 'none', 'docker/built:2', 'cat', '/built.txt']);
  assert.equal(r.stdout, 'built-by-docker\n');
});
