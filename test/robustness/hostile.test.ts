import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, symlinkSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';
import { blobFiles } from '../helpers/store-state.js';

function tarOf(dir: string, out: string, extra: string[] = []): string {
  execFileSync('tar', ['-C', dir, '-cf', out, ...extra, '.']);
  return out;
}

test('hostile archives: escaping paths, link loops, absurd sizes, wrong digests — one error line, nothing kept', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const cases: { name: string; build: (dir: string) => void; expect: RegExp }[] = [
    {
      name: 'config path escaping the archive',
      build: (x) => writeFileSync(join(x, 'manifest.json'), JSON.stringify([{ Config: '../../../../etc/passwd', RepoTags: ['x/y:1'], Layers: [] }])),
      expect: /^invalid archive: config \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd is missing$/,
    },
    {
      name: 'layer symlinked outside the archive',
      build: (x) => {
        writeFileSync(join(x, 'c.json'), JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:' + '0'.repeat(64)] } }));
        mkdirSync(join(x, 'l'));
        symlinkSync('/etc/passwd', join(x, 'l', 'layer.tar'));
        writeFileSync(join(x, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['x/y:1'], Layers: ['l/layer.tar'] }]));
      },
      expect: /^invalid archive: layer l\/layer\.tar is missing$/,
    },
    {
      name: 'symlink loop',
      build: (x) => {
        symlinkSync('b', join(x, 'a'));
        symlinkSync('a', join(x, 'b'));
        writeFileSync(join(x, 'manifest.json'), JSON.stringify([{ Config: 'a', RepoTags: null, Layers: [] }]));
      },
      expect: /^invalid archive: too many levels of links at a$/,
    },
    {
      name: 'malformed manifest.json',
      build: (x) => writeFileSync(join(x, 'manifest.json'), '[{"Config": '),
      expect: /^invalid archive: manifest\.json is not valid JSON: /,
    },
    {
      name: 'config that is not an image config',
      build: (x) => {
        writeFileSync(join(x, 'c.json'), '{"hello": "world"}');
        writeFileSync(join(x, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: null, Layers: [] }]));
      },
      expect: /^invalid image JSON, no RootFS key$/,
    },
    {
      name: 'invalid tag',
      build: (x) => {
        writeFileSync(join(x, 'c.json'), JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
        writeFileSync(join(x, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['lab/UPPER:1'], Layers: [] }]));
      },
      expect: /^invalid tag "lab\/UPPER:1"$/,
    },
    {
      name: 'OCI layout whose blob does not match its name',
      build: (x) => {
        mkdirSync(join(x, 'blobs', 'sha256'), { recursive: true });
        const fake = 'a'.repeat(64);
        writeFileSync(join(x, 'blobs', 'sha256', fake), '{}');
        writeFileSync(join(x, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
        writeFileSync(
          join(x, 'index.json'),
          JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + fake, size: 2 }] }),
        );
      },
      expect: /^invalid archive: blob sha256:a{64} has digest sha256:[0-9a-f]{64}$/,
    },
  ];
  for (const [i, c] of cases.entries()) {
    const x = join(d.dir, `case${i}`);
    mkdirSync(x);
    c.build(x);
    const r = await s.berth('load', '-i', tarOf(x, join(d.dir, `case${i}.tar`)));
    assert.equal(r.code, 1, c.name);
    assert.match(r.stderr.replace(/\n$/, ''), c.expect, c.name);
    assert.equal(r.stderr.trim().split('\n').length, 1, c.name);
  }
  // A header claiming a huge entry, then EOF: a truncation error, no allocation, nothing kept.
  const src = readFileSync(join(fixturesDir(), 'archives', 'untagged-by-id.tar'));
  // The archive starts with a directory entry, then the regular file <id>/VERSION.
  const hdr = Buffer.from(src.subarray(512, 1024));
  assert.equal(String.fromCharCode(hdr[156]!), '0');
  hdr.write('77777777777\0', 124, 'latin1');
  hdr.fill(' ', 148, 156);
  let sum = 0;
  for (const b of hdr) sum += b;
  hdr.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  writeFileSync(join(d.dir, 'huge.tar'), Buffer.concat([src.subarray(0, 512), hdr, Buffer.alloc(4096)]));
  const r = await s.berth('load', '-i', join(d.dir, 'huge.tar'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^invalid archive: [0-9a-f]{64}\/VERSION is too large \(8589934591 bytes\)\n$/);

  assert.deepEqual(blobFiles(s.root), [], 'nothing from the failed loads stayed in the store');
  assert.deepEqual(readdirSync(join(s.root, 'ingest')), []);
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('a full disk fails the operation with one clear line and leaves the store consistent', { skip: process.getuid?.() !== 0 && 'needs root to mount a small tmpfs' }, async (t) => {
  const d = tempDir();
  const mnt = join(d.dir, 'small');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
  t.after(() => {
    execFileSync('umount', ['-l', mnt]);
    d.cleanup();
  });
  const root = join(mnt, 'store');
  const { runBerth } = await import('../helpers/berth.js');
  // Fits: the 2.1 MB busybox layer of untagged-by-id.tar; a 4 MiB layer does not.
  let r = await runBerth(root, ['load', '-i', join(fixturesDir(), 'archives', 'untagged-by-id.tar')]);
  assert.equal(r.code, 0, r.stderr);
  const big = join(d.dir, 'big.tar');
  execFileSync('dd', ['if=/dev/urandom', `of=${join(d.dir, 'blob.bin')}`, 'bs=1M', 'count=4'], { stdio: 'ignore' });
  execFileSync('tar', ['-C', d.dir, '-cf', big, 'blob.bin']);
  r = await runBerth(root, ['import', big, 'too/big:1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no space left on device\n$/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
  r = await runBerth(root, ['system', 'check']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  r = await runBerth(root, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.doesNotMatch(r.stdout, /too\/big/);
});
