import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';

const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/**
 * Builds a docker-archive holding a parent image (one layer, untagged) and a child image (the
 * parent's layer plus one) whose manifest entry names the parent, as `docker save` does when
 * both are saved; berth records the parent link on load.
 */
function parentChildArchive(dir: string): { archive: string; parent: string; child: string } {
  const x = join(dir, 'x');
  mkdirSync(x, { recursive: true });
  execFileSync('tar', ['-C', x, '-xf', join(fixturesDir(), 'archives', 'two-images.tar')]);
  const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
  const other = manifest[1]!;
  const otherCfg = JSON.parse(readFileSync(join(x, other.Config), 'utf8'));
  const baseDiff = otherCfg.rootfs.diff_ids[0];
  const created = '2026-11-25T20:41:19.716779014Z';
  const parentCfg = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      config: { Cmd: ['/bin/sh'] },
      created,
      history: [{ created, comment: 'base' }],
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [baseDiff] },
    }),
  );
  const parent = sha(parentCfg);
  writeFileSync(join(x, parent.slice(7) + '.json'), parentCfg);
  const childCfg = Buffer.from(
    JSON.stringify({
      ...otherCfg,
      history: [{ created, comment: 'base' }, { created: otherCfg.created, created_by: '/bin/sh -c echo other > /other.txt' }],
    }),
  );
  const child = sha(childCfg);
  writeFileSync(join(x, child.slice(7) + '.json'), childCfg);
  writeFileSync(
    join(x, 'manifest.json'),
    JSON.stringify([
      { Config: parent.slice(7) + '.json', RepoTags: null, Layers: [other.Layers[0]] },
      { Config: child.slice(7) + '.json', RepoTags: ['lab/child:1'], Layers: other.Layers, Parent: parent },
    ]),
  );
  const archive = join(dir, 'chain.tar');
  execFileSync('tar', ['-C', x, '-cf', archive, '.']);
  return { archive, parent, child };
}

test('parent chains: intermediate images are hidden, protected from rmi, and pruned top-down', async (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const { archive, parent, child } = parentChildArchive(d.dir);
  const s = newStore();
  t.after(s.cleanup);
  let r = await s.berth('load', '-i', archive);
  assert.deepEqual([r.code, r.stdout], [0, 'Loaded image: lab/child:1\n']);

  r = await s.berth('images', '-q');
  assert.equal(r.stdout, `${child.slice(7, 19)}\n`, 'the untagged parent is an intermediate image');
  r = await s.berth('images', '-a', '--format', '{{.ID}} {{.Repository}}');
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [`${child.slice(7, 19)} lab/child`, `${parent.slice(7, 19)} <none>`].sort());
  r = await s.berth('images', '--filter', 'dangling=true', '-q');
  assert.equal(r.stdout, '', 'a parent with children is not dangling');
  r = await s.berth('image', 'inspect', '-f', '{{.Parent}}', 'lab/child:1');
  assert.equal(r.stdout, `${parent}\n`);
  r = await s.berth('history', '--format', '{{.ID}} {{.Comment}}', 'lab/child:1');
  assert.equal(r.stdout, `${child.slice(7, 19)} \n${parent.slice(7, 19)} base\n`, 'IDs follow the parent chain');

  r = await s.berth('rmi', parent.slice(7, 19));
  assert.deepEqual([r.code, r.stderr], [1, `Error response from daemon: conflict: unable to delete ${parent.slice(7, 19)} (cannot be forced) - image has dependent child images\n`]);
  r = await s.berth('rmi', '-f', parent.slice(7, 19));
  assert.equal(r.code, 1, 'a dependent child is a hard conflict, even with -f');
  r = await s.berth('image', 'prune', '-f');
  assert.equal(r.stdout, 'Total reclaimed space: 0B\n', 'prune leaves intermediate images alone');

  // --no-prune keeps the parent, which then becomes dangling and is pruned on demand.
  const s2 = newStore();
  t.after(s2.cleanup);
  assert.equal((await s2.berth('load', '-i', archive)).code, 0);
  r = await s2.berth('rmi', '--no-prune', 'lab/child:1');
  assert.match(r.stdout, new RegExp(`^Untagged: lab/child:1\\nDeleted: ${child}\\nDeleted: sha256:[0-9a-f]{64}\\n$`));
  r = await s2.berth('images', '--filter', 'dangling=true', '-q');
  assert.equal(r.stdout, `${parent.slice(7, 19)}\n`);

  // Without it, removing the child deletes the untagged parent chain, top-down, with its layers.
  r = await s.berth('rmi', 'lab/child:1');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'Untagged: lab/child:1');
  assert.equal(lines[1], `Deleted: ${child}`);
  assert.equal(lines.indexOf(`Deleted: ${parent}`) > 1, true);
  assert.equal(lines.length, 5, 'child, its top layer, parent, base layer');
  r = await s.berth('images', '-a', '-q');
  assert.equal(r.stdout, '');
  assert.equal((await s.berth('system', 'check')).code, 0);
});
