// berth serve and the berth CLI working on one store at the same time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Docker from 'dockerode';
import { archive, haveDockerCli, startServe } from './helpers.js';

const skip = !haveDockerCli() && 'the docker CLI is not installed';

test('the server and the CLI on one store: concurrent tag, rmi, load, save, prune, all whole, store consistent', { skip }, async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  for (const a of ['small-multitag.tar', 'two-images.tar']) assert.equal((await s.berth('load', '-i', archive(a))).code, 0);
  const docker = new Docker({ socketPath: s.sock });
  const failures: string[] = [];
  const check = (what: string, r: { code: number; stderr: string }) => {
    // Only clear conflicts (and images another worker removed first) may fail.
    if (r.code !== 0 && !/conflict|No such image|reference does not exist/.test(r.stderr)) failures.push(`${what}: ${r.stderr}`);
  };
  const rounds = 6;
  const viaServer = (async () => {
    for (let i = 0; i < rounds; i++) {
      check('docker tag', await s.docker(['tag', 'lab/other:1', `lab/srv:${i}`]));
      check('docker load', await s.docker(['load', '-q', '-i', archive('small-multitag.tar')]));
      check('docker rmi', await s.docker(['rmi', `lab/srv:${i}`]));
      check('docker images', await s.docker(['images', '-a']));
    }
  })();
  const viaCli = (async () => {
    for (let i = 0; i < rounds; i++) {
      check('berth tag', await s.berth('tag', '127.0.0.1:5000/lab/small:1.0', `lab/cli:${i}`));
      check('berth load', await s.berth('load', '-q', '-i', archive('two-images.tar')));
      check('berth rmi', await s.berth('rmi', `lab/cli:${i}`));
      check('berth prune', await s.berth('image', 'prune', '-f'));
    }
  })();
  const viaSdk = (async () => {
    for (let i = 0; i < rounds * 4; i++) {
      const list = await docker.listImages({ all: true });
      for (const img of list) {
        try {
          await docker.getImage(img.Id).inspect();
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode !== 404) failures.push(`sdk inspect: ${String(err)}`);
        }
      }
    }
  })();
  await Promise.all([viaServer, viaCli, viaSdk]);
  assert.deepEqual(failures, []);
  const final = await s.berth('images', '--format', '{{.Repository}}:{{.Tag}}');
  assert.deepEqual(final.stdout.trim().split('\n').sort(), ['127.0.0.1:5000/lab/small:1.0', '127.0.0.1:5000/lab/small:extra', 'lab/other:1']);
  // no <none> image appeared that the operations did not make
  assert.equal((await s.docker(['images', '--filter', 'dangling=true', '-q'])).stdout, '');
  const checked = await s.berth('system', 'check');
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  // both sides' work is in the event log the server streams
  const ev = await s.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=tag', '--format', '{{.Actor.Attributes.name}}']);
  const names = ev.stdout.trim().split('\n');
  for (let i = 0; i < rounds; i++) {
    assert.ok(names.includes(`lab/srv:${i}`), `lab/srv:${i}`);
    assert.ok(names.includes(`lab/cli:${i}`), `lab/cli:${i}`);
  }
});

test('racing removals: the server and the CLI delete the same image, one wins; a save during rmi stays whole', { skip }, async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  for (let round = 0; round < 4; round++) {
    assert.equal((await s.berth('load', '-q', '-i', archive('two-images.tar'))).code, 0);
    const [a, b] = await Promise.all([s.docker(['rmi', 'lab/other:1']), s.berth('rmi', 'lab/other:1')]);
    const ok = [a, b].filter((r) => r.code === 0);
    assert.equal(ok.length, 1, `${a.stderr}${b.stderr}`);
    const loser = a.code === 0 ? b : a;
    assert.match(loser.stderr, /No such image: lab\/other:1/);
  }
  // save through the server while the CLI removes the image: the archive is complete
  assert.equal((await s.berth('load', '-q', '-i', archive('two-images.tar'))).code, 0);
  const out = join(s.dir, 'saved.tar');
  const [saved, removed] = await Promise.all([s.docker(['save', '-o', out, 'lab/other:1']), (async () => {
    await new Promise((r) => setTimeout(r, 20));
    return s.berth('rmi', 'lab/other:1');
  })()]);
  assert.equal(removed.code, 0, removed.stderr);
  if (saved.code === 0) {
    execFileSync('tar', ['-tf', out]);
    const again = await s.docker(['load', '-i', out]);
    assert.deepEqual([again.code, again.stdout], [0, 'Loaded image: lab/other:1\n']);
  } else {
    assert.match(saved.stderr, /No such image|reference does not exist/);
  }
  assert.equal((await s.berth('system', 'check')).code, 0);
});
