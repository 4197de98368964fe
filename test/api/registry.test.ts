// pull and push through berth serve with the docker CLI, against a real registry (with and
// without authentication).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { archive, haveDockerCli, startServe, type Served } from './helpers.js';
import { tempDir } from '../helpers/berth.js';
import { haveRegistry, htpasswdFile, startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { dockerTranscript, layerStatuses, normalize, sortedLines } from '../helpers/registry-fixtures.js';

const skip = (!haveDockerCli() && 'the docker CLI is not installed') || (!haveRegistry() && 'docker-registry is not installed');
const FIXTURE_REG = '127.0.0.1:5000';

let reg: RunningRegistry;
let work: { dir: string; cleanup: () => void };
let REG = '';

function expected(name: string): { stdout: string; stderr: string; rc: number } {
  const t = dockerTranscript(name);
  return { stdout: normalize(t.stdout, FIXTURE_REG), stderr: normalize(t.stderr, FIXTURE_REG), rc: t.rc };
}

before(async () => {
  if (skip) return;
  work = tempDir('berth-api-reg-');
  reg = await startRegistry(join(work.dir, 'registry'));
  REG = reg.addr;
});

after(async () => {
  if (skip) return;
  await reg.stop();
  work.cleanup();
});

async function pusher(): Promise<Served> {
  const s = await startServe();
  const r = await s.docker(['load', '-i', archive('small-multitag.tar')]);
  assert.equal(r.code, 0, r.stderr);
  for (const tag of ['1.0', 'extra']) assert.equal((await s.docker(['tag', `${FIXTURE_REG}/lab/small:1.0`, `${REG}/lab/small:${tag}`])).code, 0);
  return s;
}

test('docker push through berth serve: first, again, mounted, all tags, missing — as Docker prints them', { skip }, async (t) => {
  const s = await pusher();
  t.after(s.cleanup);
  let r = await s.docker(['push', `${REG}/lab/small:1.0`]);
  assert.equal(r.code, 0, r.stderr);
  const got = normalize(r.stdout, REG);
  assert.deepEqual(sortedLines(got), sortedLines(expected('push-first').stdout));
  assert.equal(got.split('\n')[0], expected('push-first').stdout.split('\n')[0]);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1]!;

  r = await s.docker(['push', `${REG}/lab/small:1.0`]);
  assert.deepEqual(sortedLines(normalize(r.stdout, REG)), sortedLines(expected('push-again').stdout));

  assert.equal((await s.docker(['tag', `${REG}/lab/small:1.0`, `${REG}/lab/mounted:1.0`])).code, 0);
  r = await s.docker(['push', `${REG}/lab/mounted:1.0`]);
  assert.deepEqual(sortedLines(normalize(r.stdout, REG)), sortedLines(expected('push-cross-repo-mount').stdout));

  r = await s.docker(['push', '--all-tags', `${REG}/lab/small`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(sortedLines(normalize(r.stdout, REG)), sortedLines(expected('push-all-tags').stdout));

  r = await s.docker(['push', `${REG}/lab/nope:1`]);
  const want = expected('push-missing');
  assert.deepEqual([r.code, normalize(r.stdout, REG), normalize(r.stderr, REG)], [want.rc, want.stdout, want.stderr]);

  // what the push recorded shows as in the berth CLI
  r = await s.docker(['images', '--digests', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}', `${REG}/lab/small`]);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [`${REG}/lab/small:1.0 ${digest}`, `${REG}/lab/small:extra ${digest}`]);
  const events = await s.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=push', '--format', '{{.Actor.ID}}']);
  assert.equal(events.stdout, [`${REG}/lab/small:1.0`, `${REG}/lab/small:1.0`, `${REG}/lab/mounted:1.0`, `${REG}/lab/small:1.0`, `${REG}/lab/small:extra`, ''].join('\n'));
});

test('docker pull through berth serve: full, up to date, by digest, all tags, quiet, errors; docker run pulls what is missing', { skip }, async (t) => {
  const p = await pusher();
  t.after(p.cleanup);
  assert.equal((await p.docker(['push', '-a', `${REG}/lab/small`])).code, 0);
  const s = await startServe();
  t.after(s.cleanup);
  let r = await s.docker(['pull', `${REG}/lab/small:1.0`]);
  assert.equal(r.code, 0, r.stderr);
  const lines = normalize(r.stdout, REG).split('\n');
  assert.equal(lines[0], '1.0: Pulling from lab/small');
  assert.deepEqual(lines.slice(-4), ['Digest: sha256:<DIGEST>', 'Status: Downloaded newer image for <REG>/lab/small:1.0', '<REG>/lab/small:1.0', '']);
  const statuses = layerStatuses(r.stdout);
  assert.equal(statuses.size, 3);
  for (const st of statuses.values()) assert.deepEqual(st.filter((x) => x !== 'Verifying Checksum' && x !== 'Waiting'), ['Pulling fs layer', 'Download complete', 'Pull complete']);
  const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1]!;

  r = await s.docker(['pull', `${REG}/lab/small:1.0`]);
  assert.equal(normalize(r.stdout, REG), expected('pull-up-to-date').stdout);
  r = await s.docker(['pull', `${REG}/lab/small@${digest}`]);
  assert.equal(normalize(r.stdout, REG), expected('pull-by-digest').stdout);
  r = await s.docker(['pull', '--all-tags', `${REG}/lab/small`]);
  assert.deepEqual(sortedLines(normalize(r.stdout, REG)), sortedLines(expected('pull-all-tags').stdout));
  r = await s.docker(['pull', '-q', `${REG}/lab/small:extra`]);
  assert.equal(normalize(r.stdout, REG), expected('pull-quiet').stdout);
  for (const name of ['pull-missing-tag', 'pull-missing-repo']) {
    const ref = name === 'pull-missing-tag' ? `${REG}/lab/small:nope` : `${REG}/lab/nope:1`;
    r = await s.docker(['pull', ref]);
    const want = expected(name);
    assert.deepEqual([r.code, normalize(r.stdout, REG), normalize(r.stderr, REG)], [want.rc, want.stdout, want.stderr]);
  }
  r = await s.docker(['images', '--digests', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}']);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [`${REG}/lab/small:1.0 ${digest}`, `${REG}/lab/small:extra ${digest}`]);
  const bCli = await s.berth('images', '--digests', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}');
  assert.deepEqual(bCli.stdout.trim().split('\n').sort(), r.stdout.trim().split('\n').sort());

  // docker run: the image is missing, so the CLI pulls it through /images/create, then runs it
  const fresh = await startServe();
  t.after(fresh.cleanup);
  r = await fresh.docker(['run', '--rm', '--entrypoint', 'cat', `${REG}/lab/small:1.0`, '/app/payload.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^Unable to find image '${REG.replace(/\./g, '\\.')}/lab/small:1.0' locally\\n1\\.0: Pulling from lab/small\\n`));
  assert.ok(r.stdout.length > 0);
});

test('registry credentials: docker login through berth serve, then X-Registry-Auth on push and pull', { skip }, async (t) => {
  const d = tempDir('berth-api-auth-');
  t.after(d.cleanup);
  const secured = await startRegistry(join(d.dir, 'registry'), { htpasswd: htpasswdFile(d.dir, { alice: 's3cret' }) });
  t.after(() => secured.stop());
  const s = await pusher();
  t.after(s.cleanup);
  const ref = `${secured.addr}/lab/small:1.0`;
  assert.equal((await s.docker(['tag', `${FIXTURE_REG}/lab/small:1.0`, ref])).code, 0);
  // the server has no credentials of its own: without a login the registry refuses
  let r = await s.docker(['push', ref]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no basic auth credentials|unauthorized/);
  r = await s.docker(['login', '-u', 'alice', '--password-stdin', secured.addr], { input: 'wrong\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /401 Unauthorized/);
  r = await s.docker(['login', '-u', 'alice', '--password-stdin', secured.addr], { input: 's3cret\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Login Succeeded/);
  r = await s.docker(['push', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1\.0: digest: sha256:[0-9a-f]{64} size: \d+/);
  const other = await startServe();
  t.after(other.cleanup);
  r = await other.docker(['pull', ref], { env: { DOCKER_CONFIG: join(s.dir, 'docker-config') } });
  assert.equal(r.code, 0, r.stderr);
});
