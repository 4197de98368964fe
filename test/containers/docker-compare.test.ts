import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { haveDockerd, startDocker } from '../helpers/docker.js';
import { storeWithBusybox, ok, busyboxTar, tempDir } from './helpers.js';

/** name, type, mode, owner and size of each entry of a tar (what must agree; times differ). */
function tarListing(tar: string): string[] {
  return execFileSync('tar', ['--numeric-owner', '-tvf', tar], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(/\s+/);
      return [f[0], f[1], f[0]!.startsWith('d') ? '-' : f[2], f.slice(5).join(' ')].join(' ');
    });
}

/** The committed layer (the last one) and the config of an image saved in a docker-archive. */
function unpackSaved(tar: string, dir: string): { layer: string; config: Record<string, unknown> } {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-C', dir, '-xf', tar]);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
  return { layer: join(dir, manifest[0]!.Layers.at(-1)!), config: JSON.parse(readFileSync(join(dir, manifest[0]!.Config), 'utf8')) as Record<string, unknown> };
}

const CHANGES = 'echo changed > /changed.txt && rm /bin/true && mkdir -p /a/b && echo x > /a/b/c && echo >> /etc/passwd && rm -rf /tmp && mkdir /tmp && touch /tmp/new';

test('diff, commit and export agree with a real Docker engine', { skip: !haveDockerd() && 'dockerd is not installed (scripts/install.sh installs docker.io)' }, async (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const dk = await startDocker(join('/tmp', `berth-dockerd-c-${process.pid}`));
  t.after(() => dk.stop());
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  assert.equal(dk.docker(['import', busyboxTar(), 'busybox:latest']).code, 0);

  const r = dk.docker(['run', '--name', 'c1', '--network', 'none', 'busybox', 'sh', '-c', CHANGES]);
  assert.equal(r.code, 0, r.stderr);
  ok(await s.berth('run', '--name', 'c1', 'busybox', 'sh', '-c', CHANGES));

  // Docker's order within a directory is Go's map order (random); the lines themselves agree,
  // and a directory's line comes before its contents in both.
  const dockerDiff = dk.docker(['diff', 'c1']).stdout.split('\n').filter(Boolean);
  const berthDiff = (await s.berth('diff', 'c1')).stdout.split('\n').filter(Boolean);
  assert.deepEqual([...berthDiff].sort(), [...dockerDiff].sort());
  for (const lines of [dockerDiff, berthDiff]) {
    for (const [i, l] of lines.entries()) {
      const dir = l.slice(2).replace(/\/[^/]+$/, '');
      if (dir) assert.ok(lines.findIndex((x) => x.slice(2) === dir) < i, `${l} after its directory`);
    }
  }

  // commit: the same layer entries (whiteouts included) and the same config structure
  assert.equal(dk.docker(['commit', '-a', 'A <a@b>', '-m', 'msg', '-c', 'LABEL k=v', 'c1', 'lab/c:1']).code, 0);
  ok(await s.berth('commit', '-a', 'A <a@b>', '-m', 'msg', '-c', 'LABEL k=v', 'c1', 'lab/c:1'));
  assert.equal(dk.docker(['save', '-o', join(d.dir, 'docker.tar'), 'lab/c:1']).code, 0);
  ok(await s.berth('save', '-o', join(d.dir, 'berth.tar'), 'lab/c:1'));
  const dockerImg = unpackSaved(join(d.dir, 'docker.tar'), join(d.dir, 'docker'));
  const berthImg = unpackSaved(join(d.dir, 'berth.tar'), join(d.dir, 'berth'));
  assert.deepEqual(tarListing(berthImg.layer), tarListing(dockerImg.layer));
  assert.deepEqual(Object.keys(berthImg.config), Object.keys(dockerImg.config));
  const dc = dockerImg.config;
  const bc = berthImg.config;
  assert.deepEqual((bc.rootfs as { diff_ids: string[] }).diff_ids[0], (dc.rootfs as { diff_ids: string[] }).diff_ids[0], 'the same base layer');
  assert.deepEqual(Object.keys(bc.config as object), Object.keys(dc.config as object).filter((k) => k !== 'NetworkDisabled'));
  assert.deepEqual((bc.config as { Labels: unknown }).Labels, { k: 'v' });
  assert.deepEqual((bc.container_config as { Cmd: unknown }).Cmd, (dc.container_config as { Cmd: unknown }).Cmd);
  const last = (c: Record<string, unknown>) => {
    const h = (c.history as Record<string, unknown>[]).at(-1)!;
    return { ...h, created: 'T' };
  };
  assert.deepEqual(last(bc), last(dc));
  assert.equal(bc.author, 'A <a@b>');
  assert.equal(bc.container, (await s.berth('inspect', '-f', '{{.Id}}', 'c1')).stdout.trim());

  // export: the same files
  assert.equal(dk.docker(['export', '-o', join(d.dir, 'docker-export.tar'), 'c1']).code, 0);
  ok(await s.berth('export', '-o', join(d.dir, 'berth-export.tar'), 'c1'));
  const names = (tar: string) => tarListing(tar).map((l) => l.split(' ').slice(3).join(' ')).sort();
  assert.deepEqual(names(join(d.dir, 'berth-export.tar')), names(join(d.dir, 'docker-export.tar')));
  writeFileSync(join(d.dir, 'done'), '');
});

test('export | import round trip', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  ok(await s.berth('run', '--name', 'src', 'busybox', 'sh', '-c', 'echo payload > /payload; ln -s payload /link; mkdir /dir; chmod 700 /dir; rm /bin/true'));
  const exported = await s.run(['export', 'src']);
  assert.equal(exported.code, 0, exported.stderr);
  const imported = await s.run(['import', '-', 'lab/imported:1'], { input: exported.out });
  assert.equal(imported.code, 0, imported.stderr);
  const r = await s.berth('run', '--rm', 'lab/imported:1', 'sh', '-c', 'cat /link; stat -c %a /dir; test -e /bin/true || echo no-true; test -e /.dockerenv && echo env');
  assert.deepEqual([r.code, r.stdout], [0, 'payload\n700\nno-true\nenv\n']);
  // a running container exports too, and -o writes a file
  ok(await s.berth('run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'echo live > /live; sleep 600'));
  for (let i = 0; i < 50 && (await s.berth('exec', 'live', 'cat', '/live')).stdout !== 'live\n'; i++) await new Promise((res) => setTimeout(res, 50));
  ok(await s.berth('export', '-o', join(d.dir, 'live.tar'), 'live'));
  assert.ok(tarListing(join(d.dir, 'live.tar')).some((l) => l.endsWith(' live')));
  // Only a regular file is written (a pipe is not replaced), and a bad path leaves nothing behind.
  execFileSync('mkfifo', [join(d.dir, 'pipe')]);
  let r2 = await s.berth('export', '-o', join(d.dir, 'pipe'), 'live');
  assert.deepEqual([r2.code, r2.stderr], [1, 'failed to export container: cannot write to a named pipe (FIFO)\n']);
  assert.ok(statSync(join(d.dir, 'pipe')).isFIFO());
  r2 = await s.berth('export', '-o', join(d.dir, 'no', 'x.tar'), 'live');
  assert.deepEqual([r2.code, r2.stderr], [1, `failed to export container: invalid output path: stat ${join(d.dir, 'no')}: no such file or directory\n`]);
  assert.deepEqual(readdirSync(d.dir).sort(), ['live.tar', 'pipe']);
});
