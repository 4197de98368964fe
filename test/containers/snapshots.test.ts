import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storeWithBusybox, ok, layerTar, dockerArchive, busyboxLayer, tempDir, containerStore, busyboxTar } from './helpers.js';
import { query } from '../helpers/store-state.js';

test('a 500-layer image runs (short snapshot names keep the overlay lowerdir option within a page)', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const layers = [busyboxLayer()];
  for (let i = 1; i < 500; i++) layers.push(await layerTar([{ path: 'layers', type: 'dir' }, { path: `layers/${i}`, type: 'file', body: `${i}\n` }]));
  ok(await s.berth('load', '-i', dockerArchive(tmp.dir, 'lab/many:500', layers)));
  let r = await s.berth('run', '--name', 'many', 'lab/many:500', 'sh', '-c', 'ls /layers | wc -l; cat /layers/1 /layers/499; echo new > /layers/500');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '499\n1\n499\n', '']);
  assert.equal(query(s.root, 'SELECT count(*) AS n FROM snapshots')[0]!.n, 500);
  assert.equal((await s.berth('diff', 'many')).stdout, 'C /layers\nA /layers/500\n');
  // snapshots are shared: a second container unpacks nothing
  r = await s.berth('run', '--rm', 'lab/many:500', 'cat', '/layers/250');
  assert.equal(r.stdout, '250\n');
  assert.equal(readdirSync(join(s.root, 'snapshots')).length, 500);
  const img = ok(await s.berth('commit', 'many', 'lab/many:501')).trim();
  assert.equal((await s.berth('inspect', '-f', '{{len .RootFS.Layers}}', img)).stdout, '501\n');
  r = await s.berth('run', '--rm', 'lab/many:501', 'cat', '/layers/500');
  assert.equal(r.stdout, 'new\n');
});

test('whiteouts and opaque directories of image layers are applied; ownership, modes and devices kept', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const l1 = await layerTar([
    { path: 'data', type: 'dir', mode: 0o755 },
    { path: 'data/keep', type: 'file', body: 'keep\n' },
    { path: 'data/gone', type: 'file', body: 'gone\n' },
    { path: 'opaque', type: 'dir' },
    { path: 'opaque/old', type: 'file', body: 'old\n' },
    { path: 'owned', type: 'file', body: 'x', uid: 1234, gid: 5678, mode: 0o640 },
    { path: 'null2', type: 'char', devmajor: 1, devminor: 3 },
  ]);
  const l2 = await layerTar([
    { path: 'data/.wh.gone', type: 'file', size: 0 },
    { path: 'opaque', type: 'dir' },
    { path: 'opaque/.wh..wh..opq', type: 'file', size: 0 },
    { path: 'opaque/new', type: 'file', body: 'new\n' },
  ]);
  ok(await s.berth('load', '-i', dockerArchive(tmp.dir, 'lab/wh:1', [busyboxLayer(), l1, l2])));
  const r = await s.berth('run', '--name', 'wh', 'lab/wh:1', 'sh', '-c', 'ls /data /opaque; stat -c "%u:%g %a" /owned; stat -c "%F %t,%T" /null2; rm /opaque/new /data/keep');
  assert.deepEqual([r.code, r.stdout], [0, '/data:\nkeep\n\n/opaque:\nnew\n1234:5678 640\ncharacter special file 1,3\n']);
  assert.equal((await s.berth('diff', 'wh')).stdout, 'C /data\nD /data/keep\nC /opaque\nD /opaque/new\n');
  // the snapshots hold overlay whiteouts, not .wh. files
  const names = query<{ name: string }>(s.root, 'SELECT name FROM snapshots ORDER BY length(name), name').map((x) => x.name);
  assert.equal(names.length, 3);
  assert.equal(existsSync(join(s.root, 'snapshots', names[2]!, 'data', '.wh.gone')), false);
  // commit turns the deletions back into whiteout entries
  ok(await s.berth('commit', 'wh', 'lab/wh:2'));
  const again = await s.berth('run', '--rm', 'lab/wh:2', 'sh', '-c', 'ls -A /data /opaque');
  assert.equal(again.stdout, '/data:\n\n/opaque:\n');
});

test('hostile layers in a real image cannot write outside the snapshot: symlinks, absolute and dot-dot paths, hardlinks', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const tmp = tempDir('berth-hostile-');
  t.after(tmp.cleanup);
  const victim = join(tmp.dir, 'victim');
  mkdirSync(victim);
  // symlink to a host directory, then a file through it (in the same and in a later layer)
  const l1 = await layerTar([
    { path: 'escape', type: 'symlink', linkname: victim },
    { path: 'escape/pwned-same-layer', type: 'file', body: 'x' },
    { path: 'up', type: 'symlink', linkname: '../../../../../../../..' + victim },
    { path: 'up/pwned-relative', type: 'file', body: 'x' },
  ]);
  const l2 = await layerTar([{ path: 'escape/pwned-next-layer', type: 'file', body: 'x' }, { path: 'hard', type: 'hardlink', linkname: '/etc/hostname' }]);
  ok(await s.berth('load', '-i', dockerArchive(tmp.dir, 'lab/hostile:1', [busyboxLayer(), l1, l2])));
  const r = await s.berth('run', '--rm', 'lab/hostile:1', 'sh', '-c', 'ls -la / >/dev/null; echo ran');
  assert.deepEqual(readdirSync(victim), [], r.stderr);
  assert.equal(readFileSync('/etc/hostname', 'utf8').includes('x'), false);
  // an entry naming a parent of the root is refused: the run fails, nothing is written
  const l3 = await layerTar([{ path: '../../../escape-dotdot', type: 'file', body: 'x' }]);
  ok(await s.berth('load', '-i', dockerArchive(tmp.dir, 'lab/dotdot:1', [busyboxLayer(), l3])));
  const bad = await s.berth('run', '--rm', 'lab/dotdot:1', 'true');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /outside of the extraction root/);
  assert.equal(existsSync(join(s.root, '..', 'escape-dotdot')), false);
  assert.equal(existsSync(join(s.root, 'escape-dotdot')), false);
  // the failed unpack left nothing behind once collected
  ok(await s.berth('system', 'gc'));
  assert.deepEqual(readdirSync(join(s.root, 'snapshots')).filter((n) => n.startsWith('.')), []);
});

test('the copy snapshotter (no overlayfs): run, diff, commit, export work the same; berth info shows it', async (t) => {
  const s = containerStore();
  t.after(s.cleanup);
  const env = { BERTH_SNAPSHOTTER: 'copy' };
  const b = (...args: string[]) => s.run(args, { env });
  ok(await b('import', busyboxTar(), 'busybox'));
  assert.match((await b('info')).stdout, /Storage Driver: copy\n/);
  assert.match((await s.berth('info')).stdout, /Storage Driver: overlay\n/);
  let r = await b('run', '--name', 'cp', 'busybox', 'sh', '-c', 'echo changed > /changed.txt; rm /bin/true; mkdir -p /a/b; echo x > /a/b/c; echo >> /etc/passwd');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await b('diff', 'cp')).stdout, ['A /a', 'A /a/b', 'A /a/b/c', 'C /bin', 'D /bin/true', 'A /changed.txt', 'C /etc', 'C /etc/passwd', ''].join('\n'));
  assert.equal((await b('inspect', '-f', '{{.Driver}}', 'cp')).stdout, 'copy\n');
  ok(await b('commit', '-m', 'copied', 'cp', 'lab/cp:1'));
  r = await b('run', '--rm', 'lab/cp:1', 'sh', '-c', 'cat /changed.txt /a/b/c; test -e /bin/true || echo gone');
  assert.equal(r.stdout, 'changed\nx\ngone\n');
  assert.match((await b('ps', '-a', '-s', '--format', '{{.Size}}')).stdout, /^\d+B \(virtual/);
  ok(await b('rm', 'cp'));
  assert.deepEqual(readdirSync(join(s.root, 'containers')), []);
});
