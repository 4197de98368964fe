import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';

const archives = () => join(fixturesDir(), 'archives');
const cli = (name: string, ext: string) => readFileSync(join(fixturesDir(), 'cli-28.2.2', `${name}.${ext}`), 'utf8');

test('load of docker 20.10 archives prints what Docker prints', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  let r = await s.berth('load', '-i', join(archives(), 'small-multitag.tar'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, cli('load-multitag', 'stdout'));
  r = await s.berth('load', '-i', join(archives(), 'small-multitag.tar'));
  assert.equal(r.stdout, cli('load-again-exists', 'stdout'));
  r = await s.run(['load'], { input: readFileSync(join(archives(), 'untagged-by-id.tar')) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image ID: sha256:27b9b19224119532042b3e705019069449ad71e45b43d3876df8e0a0cedb9a16\n');
  // lab/other:1 now moves from the untagged-by-id image to the one in two-images.tar? Both hold
  // the same image here, so the tag is simply added.
  r = await s.run(['load'], { input: readFileSync(join(archives(), 'two-images.tar')) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: 127.0.0.1:5000/lab/small:1.0\nLoaded image: lab/other:1\n');
});

test('load says when a tag moves away from an older image', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const rootfs = join(d.dir, 'r.tar');
  execFileSync('tar', ['-C', '/etc', '-cf', rootfs, 'hostname']);
  const imp = await s.berth('import', rootfs, 'lab/other:1');
  assert.equal(imp.code, 0, imp.stderr);
  const old = imp.stdout.trim();
  const r = await s.berth('load', '-i', join(archives(), 'two-images.tar'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    'Loaded image: 127.0.0.1:5000/lab/small:1.0\n' +
      `The image lab/other:1 already exists, renaming the old one with ID ${old} to empty string\n` +
      'Loaded image: lab/other:1\n',
  );
});

test('save writes an archive that loads back, that skopeo reads, with shared layers once', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  assert.equal((await s.berth('load', '-i', join(archives(), 'two-images.tar'))).code, 0);
  const out = join(d.dir, 'out.tar');
  const r = await s.berth('save', '-o', out, '127.0.0.1:5000/lab/small:1.0', 'lab/other:1');
  assert.equal(r.code, 0, r.stderr);
  const names = execFileSync('tar', ['tf', out], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(names.includes('index.json') && names.includes('manifest.json') && names.includes('oci-layout'));
  const base = 'blobs/sha256/d6c2b8d15042c821b9b96bb84950f3cd1ade5f703c0a2ecc92dc3a285ba292e4';
  assert.equal(names.filter((n) => n === base).length, 1, 'shared base layer stored once');
  // repositories carries the same v1 IDs Docker wrote in the original archive
  const repos = JSON.parse(execFileSync('tar', ['xOf', out, 'repositories'], { encoding: 'utf8' }));
  assert.deepEqual(repos, JSON.parse(execFileSync('tar', ['xOf', join(archives(), 'two-images.tar'), 'repositories'], { encoding: 'utf8' })));

  const s2 = newStore();
  t.after(s2.cleanup);
  const l = await s2.berth('load', '-i', out);
  assert.equal(l.code, 0, l.stderr);
  assert.equal(l.stdout, 'Loaded image: 127.0.0.1:5000/lab/small:1.0\nLoaded image: lab/other:1\n');

  const insp = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${out}:lab/other:1`], { encoding: 'utf8' }));
  assert.equal(insp.Layers.length, 2);
  const oci = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${out}:1`], { encoding: 'utf8' }).toString());
  assert.equal(oci.Architecture, 'amd64');
});

test('save by ID writes no tag; save of a bare repository saves all its tags', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  assert.equal((await s.berth('load', '-i', join(archives(), 'small-multitag.tar'))).code, 0);
  const byId = join(d.dir, 'id.tar');
  assert.equal((await s.berth('save', '-o', byId, '41b461136cf1')).code, 0);
  const m = JSON.parse(execFileSync('tar', ['xOf', byId, 'manifest.json'], { encoding: 'utf8' }));
  assert.equal(m[0].RepoTags, null);
  assert.ok(!execFileSync('tar', ['tf', byId], { encoding: 'utf8' }).includes('repositories'));
  const all = await s.run(['save', '127.0.0.1:5000/lab/small'], { raw: true });
  assert.equal(all.code, 0, all.stderr);
  writeFileSync(join(d.dir, 'all.tar'), all.out);
  const m2 = JSON.parse(execFileSync('tar', ['xOf', join(d.dir, 'all.tar'), 'manifest.json'], { encoding: 'utf8' }));
  assert.deepEqual(m2[0].RepoTags, ['127.0.0.1:5000/lab/small:1.0', '127.0.0.1:5000/lab/small:extra']);
});

test('save of a missing image fails and leaves no file behind', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const out = join(d.dir, 'x.tar');
  const r = await s.berth('save', '-o', out, 'lab/nope:1');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, cli('save-missing', 'stderr'));
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(d.dir), []);
});

test('save -o and export -o write regular files only: a device, pipe, socket or directory is refused and left as it was', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  assert.equal((await s.berth('load', '-i', join(archives(), 'two-images.tar'))).code, 0);
  const at = (n: string) => join(d.dir, n);
  execFileSync('mknod', [at('null'), 'c', '1', '3']);
  execFileSync('mkfifo', [at('fifo')]);
  execFileSync('mkdir', [at('dir')]);
  writeFileSync(at('file'), 'x');
  const cases: [string, string][] = [
    [at('null'), 'cannot write to a character device file'],
    [at('fifo'), 'cannot write to a named pipe (FIFO)'],
    [at('dir'), 'cannot write to a directory'],
    [join(at('missing'), 'x.tar'), `invalid output path: stat ${at('missing')}: no such file or directory`],
    [join(at('file'), 'x.tar'), `invalid output path: stat ${at('file')}: not a directory`],
  ];
  for (const [path, why] of cases) {
    const r = await s.berth('save', '-o', path, 'lab/other:1');
    assert.deepEqual([r.code, r.stderr], [1, `failed to save image: ${why}\n`], path);
  }
  assert.ok(statSync(at('null')).isCharacterDevice());
  assert.ok(statSync(at('fifo')).isFIFO());
  assert.deepEqual(readdirSync(d.dir).sort(), ['dir', 'fifo', 'file', 'null']);
});

test('load accepts gzip, bzip2, xz and zstd compressed archives', async (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const src = join(archives(), 'two-images.tar');
  for (const [tool, ext] of [['gzip', 'gz'], ['bzip2', 'bz2'], ['xz', 'xz'], ['zstd', 'zst']] as const) {
    const s = newStore();
    t.after(s.cleanup);
    const file = join(d.dir, `a.tar.${ext}`);
    writeFileSync(file, execFileSync(tool, ['-c', src], { maxBuffer: 64 << 20 }));
    const r = await s.berth('load', '-i', file);
    assert.equal(r.code, 0, `${tool}: ${r.stderr}`);
    assert.equal(r.stdout, 'Loaded image: 127.0.0.1:5000/lab/small:1.0\nLoaded image: lab/other:1\n');
  }
});

test('load of garbage, truncated or inconsistent archives fails cleanly and changes nothing', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const du = () => readdirSync(join(s.root, 'blobs', 'sha256')).length;
  // establish the store
  assert.equal((await s.berth('load', '-i', join(archives(), 'untagged-by-id.tar'))).code, 0);
  const before = du();
  const garbage = join(d.dir, 'payload.txt');
  writeFileSync(garbage, 'hello fixture\n'.repeat(10));
  let r = await s.berth('load', '-i', garbage);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error processing tar file\(exit status 1\): /);
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 1);

  const full = readFileSync(join(archives(), 'two-images.tar'));
  const truncated = join(d.dir, 'trunc.tar');
  writeFileSync(truncated, full.subarray(0, Math.floor(full.length / 2) + 100));
  r = await s.berth('load', '-i', truncated);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error processing tar file(exit status 1): unexpected EOF\n');

  // a manifest naming a layer whose content does not match the config's diff IDs
  const x = join(d.dir, 'x');
  execFileSync('mkdir', ['-p', x]);
  execFileSync('tar', ['-C', x, '-xf', join(archives(), 'untagged-by-id.tar')]);
  const layerDir = readdirSync(x).find((n) => existsSync(join(x, n, 'layer.tar')) && statSync(join(x, n, 'layer.tar')).size < 10000)!;
  writeFileSync(join(x, layerDir, 'layer.tar'), execFileSync('tar', ['-C', '/etc', '-cf', '-', 'hostname']));
  const bad = join(d.dir, 'bad.tar');
  execFileSync('tar', ['-C', x, '-cf', bad, '.']);
  r = await s.berth('load', '-i', bad);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^invalid diffID for layer 1: expected "sha256:[0-9a-f]{64}", got "sha256:[0-9a-f]{64}"\n$/);

  r = await s.berth('load', '-i', '/nonexistent.tar');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, cli('load-missing-file', 'stderr'));
  assert.equal(du(), before, 'no blob left behind by failed loads');
  assert.deepEqual(readdirSync(join(s.root, 'ingest')), []);
  r = await s.berth('system', 'check');
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
