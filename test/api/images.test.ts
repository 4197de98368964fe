// The real docker CLI (28.2) against `berth serve`: every image command prints what the Docker
// fixtures recorded (where the store holds the same images) and exactly what the berth CLI prints
// on the same store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archive, fixture, haveDockerCli, noAge, run, startServe, type Served } from './helpers.js';
import { makeRootfsTar } from '../helpers/rootfs.js';

const skip = !haveDockerCli() && 'the docker CLI (/usr/local/bin/docker) is not installed';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fx = (name: string) => ({ code: Number(fixture(name, 'rc').trim()), stdout: fixture(name, 'stdout'), stderr: fixture(name, 'stderr') });
const outcome = (r: { code: number; stdout: string; stderr: string }) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

async function loaded(): Promise<Served> {
  const s = await startServe();
  for (const a of ['small-multitag.tar', 'two-images.tar']) {
    const r = await s.docker(['load', '-i', archive(a)]);
    assert.equal(r.code, 0, r.stderr);
  }
  return s;
}

/** The same command through the docker CLI and the berth CLI: same output, same exit code. */
async function same(s: Served, args: string[], opts: { env?: NodeJS.ProcessEnv; age?: boolean; sortRows?: boolean } = {}): Promise<string> {
  const d = await s.docker(args, { env: opts.env });
  const b = await s.berth(...args);
  // Ages differ between the two runs, and with them the width of the CREATED column. The docker
  // CLI prints the repositories of one image in Go map order (random): rows are compared sorted.
  const rows = (x: string) => (opts.sortRows ? [...x.split('\n').slice(0, 1), ...x.split('\n').slice(1).sort()].join('\n') : x);
  const norm = opts.age === false ? (x: string) => x : (x: string) => rows(noAge(x).replace(/ {2,}/g, '  '));
  assert.deepEqual({ code: d.code, stdout: norm(d.stdout), stderr: d.stderr }, { code: b.code, stdout: norm(b.stdout), stderr: b.stderr }, `docker ${args.join(' ')}`);
  return d.stdout;
}

test('load: archives, again, quiet, stdin, untagged, compressed, garbage, as Docker prints them', { skip }, async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  assert.deepEqual(outcome(await s.docker(['load', '-i', archive('small-multitag.tar')])), fx('load-multitag'));
  assert.deepEqual(outcome(await s.docker(['load', '-i', archive('small-multitag.tar')])), fx('load-again-exists'));
  assert.deepEqual(outcome(await s.docker(['load', '-q', '-i', archive('small-multitag.tar')])), fx('load-quiet'));
  assert.deepEqual(outcome(await s.docker(['load'], { input: readFileSync(archive('two-images.tar')) })), fx('load-stdin'));
  // the vendored archive is the save by ID of another run's image: same message, its own ID
  const untagged = await s.docker(['load', '-i', archive('untagged-by-id.tar')]);
  assert.deepEqual([untagged.code, untagged.stdout.replace(/[0-9a-f]{64}/, 'ID')], [0, fx('load-untagged-by-id').stdout.replace(/[0-9a-f]{64}/, 'ID')]);
  assert.deepEqual(outcome(await s.docker(['load', '-i', '/nonexistent.tar'])), fx('load-missing-file'));
  const garbage = join(s.dir, 'payload.txt');
  writeFileSync(garbage, 'a payload that is certainly no tar\n');
  assert.deepEqual(outcome(await s.docker(['load', '-i', garbage])), fx('load-garbage'));
  // compressed archives, as the request body of POST /images/load
  for (const [tool, args] of [
    ['gzip', ['-c']],
    ['bzip2', ['-c']],
    ['xz', ['-c', '-T1']],
    ['zstd', ['-c', '-q']],
  ] as const) {
    const packed = join(s.dir, `two.tar.${tool}`);
    writeFileSync(packed, execFileSync(tool, [...args, archive('two-images.tar')], { maxBuffer: 64 << 20 }));
    const r = await s.docker(['load', '-i', packed]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Loaded image: 127.0.0.1:5000/lab/small:1.0\nLoaded image: lab/other:1\n', ''], tool);
  }
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('images: every listing form prints as the berth CLI prints it', { skip }, async (t) => {
  const s = await loaded();
  t.after(s.cleanup);
  assert.deepEqual(outcome(await s.docker(['tag', '127.0.0.1:5000/lab/small:1.0', 'lab/small:1.0'])), fx('tag-1'));
  assert.equal((await s.docker(['load', '-i', archive('untagged-by-id.tar')])).code, 0);
  const d = join(s.dir, 'rootfs');
  execFileSync('mkdir', ['-p', d]);
  assert.equal((await s.docker(['import', makeRootfsTar(d)])).code, 0);
  const variants: string[][] = [
    ['images'],
    ['image', 'ls'],
    ['images', '-a'],
    ['images', '-q'],
    ['images', '-a', '-q'],
    ['images', '--no-trunc'],
    ['images', '--digests'],
    ['images', 'lab/small'],
    ['images', 'lab/small:1.0'],
    ['images', 'does/not-exist'],
    ['images', '--filter', 'dangling=true'],
    ['images', '--filter', 'dangling=false', '-q'],
    ['images', '--filter', 'label=com.example.fixture=small'],
    ['images', '--filter', 'reference=lab/*'],
    ['images', '--filter', 'before=lab/other:1'],
    ['images', '--filter', 'since=127.0.0.1:5000/lab/small:1.0'],
    ['images', '--filter', 'until=2026-11-25T20:47:50Z', '-q'],
    ['images', '--format', '{{json .}}'],
    ['images', '--format', 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}'],
    ['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}} {{.Digest}} {{.CreatedAt}}'],
  ];
  for (const v of variants) await same(s, v, { sortRows: true });
  assert.deepEqual(outcome(await s.docker(['images', 'does/not-exist'])), fx('images-nomatch'));
  const bad = await s.docker(['images', '--filter', 'bogus=1']);
  assert.deepEqual([bad.code, bad.stderr], [1, "Error response from daemon: Invalid filter 'bogus'\n"]);
});

test('tag, inspect, history and their errors', { skip }, async (t) => {
  const s = await loaded();
  t.after(s.cleanup);
  assert.deepEqual(outcome(await s.docker(['tag', '127.0.0.1:5000/lab/small:1.0', 'lab/small:1.0'])), fx('tag-1'));
  assert.deepEqual(outcome(await s.docker(['tag', 'lab/small:1.0', 'lab/small:latest'])), fx('tag-latest'));
  assert.deepEqual(outcome(await s.docker(['tag', 'lab/small:1.0', 'Bad/UPPER:x'])), fx('tag-invalid'));
  assert.deepEqual(outcome(await s.docker(['tag', 'lab/nope:1', 'lab/nope:2'])), fx('tag-missing'));
  // API 1.41 is what the fixtures and the berth CLI show (VirtualSize, Container, the full Config)
  const v41 = { DOCKER_API_VERSION: '1.41' };
  await same(s, ['image', 'inspect', 'lab/other:1'], { env: v41 });
  await same(s, ['image', 'inspect', '127.0.0.1:5000/lab/small:1.0', 'lab/small:latest'], { env: v41 });
  await same(s, ['image', 'inspect', '-f', '{{.Id}} {{.RepoTags}} {{len .RootFS.Layers}}', 'lab/small:1.0']);
  assert.deepEqual(outcome(await s.docker(['image', 'inspect', 'lab/nope:1'])), fx('inspect-missing'));
  // the negotiated API (1.50) leaves out what Docker 28 leaves out
  const cur = JSON.parse((await s.docker(['image', 'inspect', 'lab/other:1'])).stdout)[0];
  assert.deepEqual(Object.keys(cur), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'DockerVersion', 'Author', 'Config', 'Architecture', 'Os', 'Size', 'GraphDriver', 'RootFS', 'Metadata']);
  assert.deepEqual(cur.Config, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['cat', '/other.txt'] });
  for (const h of [['lab/small:1.0'], ['-H=false', 'lab/small:1.0'], ['--no-trunc', 'lab/small:1.0'], ['-q', 'lab/other:1'], ['--format', '{{json .}}', 'lab/small:1.0']]) {
    await same(s, ['history', ...h]);
  }
  assert.deepEqual(outcome(await s.docker(['history', 'lab/nope:1'])), fx('history-missing'));
});

test('save, import, rmi, image prune and system df', { skip }, async (t) => {
  const s = await loaded();
  t.after(s.cleanup);
  // save: -o and stdout give the bytes the berth CLI writes
  const o = join(s.dir, 'o.tar');
  let r = await s.docker(['save', '-o', o, '127.0.0.1:5000/lab/small:1.0', 'lab/other:1']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  const viaCli = await s.berthRun(['save', '127.0.0.1:5000/lab/small:1.0', 'lab/other:1']);
  assert.equal(sha(readFileSync(o)), sha(viaCli.out));
  const stdout = await run('/bin/sh', ['-c', `${'/usr/local/bin/docker'} save lab/other:1 | sha256sum`], { env: { DOCKER_HOST: `unix://${s.sock}`, DOCKER_CONFIG: join(s.dir, 'docker-config') } });
  assert.equal(stdout.stdout.split(' ')[0], sha((await s.berthRun(['save', 'lab/other:1'])).out));
  assert.deepEqual(outcome(await s.docker(['save', '-o', join(s.dir, 'x.tar'), 'lab/nope:1'])), fx('save-missing'));

  // import: from a file, from stdin with changes and a message, untagged, from a URL
  const d = join(s.dir, 'rootfs');
  execFileSync('mkdir', ['-p', d]);
  const rootfs = makeRootfsTar(d);
  r = await s.docker(['import', rootfs, 'lab/imported:1']);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  r = await s.docker(['import', '-c', 'ENV FOO=bar', '-m', 'imported from stdin', '-', 'lab/imported:stdin'], { input: readFileSync(rootfs) });
  assert.equal(r.code, 0, r.stderr);
  const insp = JSON.parse((await s.berth('image', 'inspect', 'lab/imported:stdin')).stdout)[0];
  assert.deepEqual([insp.Comment, insp.Config.Env], ['imported from stdin', ['FOO=bar']]);
  await same(s, ['history', 'lab/imported:stdin']);
  r = await s.docker(['import', rootfs]);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const { createServer } = await import('node:http');
  const files = createServer((_req, res) => res.end(readFileSync(rootfs)));
  await new Promise<void>((res) => files.listen(0, '127.0.0.1', res));
  t.after(() => files.close());
  const url = `http://127.0.0.1:${(files.address() as { port: number }).port}/rootfs.tar`;
  r = await s.docker(['import', url, 'lab/from-url:1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Downloading from ${url}\\nsha256:[0-9a-f]{64}\\n$`));
  assert.equal((await s.berth('history', '--format', '{{.Comment}}', 'lab/from-url:1')).stdout, `Imported from ${url}\n`);

  // rmi
  assert.equal((await s.docker(['tag', 'lab/other:1', 'lab/other:2'])).code, 0);
  r = await s.docker(['rmi', 'lab/other:2']);
  assert.deepEqual([r.code, r.stdout], [0, 'Untagged: lab/other:2\n']);
  r = await s.docker(['rmi', '41b461136cf1']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error response from daemon: conflict: unable to delete 41b461136cf1 (must be forced) - image is referenced in multiple repositories\n']);
  assert.deepEqual(outcome(await s.docker(['rmi', 'lab/nope:1'])), fx('rmi-missing'));
  assert.deepEqual(outcome(await s.docker(['rmi', '-f', 'lab/nope:1'])), fx('rmi-force-missing'));
  r = await s.docker(['rmi', 'lab/imported:1', 'lab/nope:2']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^Untagged: lab\/imported:1\nDeleted: sha256:[0-9a-f]{64}\n/);
  assert.equal(r.stderr, 'Error response from daemon: No such image: lab/nope:2\n');

  // prune
  r = await s.docker(['image', 'prune'], { input: 'n\n' });
  assert.deepEqual(outcome(r), fx('prune-prompt-no'));
  r = await s.docker(['image', 'prune', '-f']);
  assert.match(r.stdout, /^Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n(deleted: sha256:[0-9a-f]{64}\n)*\nTotal reclaimed space: .*\n$/);
  assert.deepEqual(outcome(await s.docker(['image', 'prune', '-f'])), fx('prune-nothing'));
  await same(s, ['system', 'df']);
  r = await s.docker(['image', 'prune', '-a', '-f', '--filter', 'label!=keep']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /untagged: lab\/other:1\n/);
  assert.equal((await s.docker(['images', '-a', '-q'])).stdout, '');
  r = await s.docker(['system', 'prune', '-f']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Total reclaimed space: 0B\n', '']);
  assert.equal((await s.berth('system', 'check')).code, 0);
});
