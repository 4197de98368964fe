import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { newStore, tempDir, type RunResult } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { query } from '../helpers/store-state.js';

const EXPECTED_FAILURE = [
  /^Error response from daemon: No such image: \S+$/,
  /^Error response from daemon: reference does not exist$/,
  /^Error response from daemon: conflict: unable to (delete|remove) .*$/,
];

function acceptable(r: RunResult): boolean {
  if (r.code === 0) return true;
  const lines = r.stderr.trim().split('\n');
  return r.code === 1 && lines.length === 1 && EXPECTED_FAILURE.some((re) => re.test(lines[0]!));
}

test('many processes loading, tagging, removing, importing, saving and pruning the same images at once', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const archive = join(fixturesDir(), 'archives', 'small-multitag.tar');
  const rootfs = makeRootfsTar(d.dir);
  assert.equal((await s.berth('load', '-i', archive)).code, 0);

  const base = '127.0.0.1:5000/lab/small';
  const workers = 6;
  const rounds = 12;
  const failures: string[] = [];
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);

  const worker = async (w: number) => {
    for (let k = 0; k < rounds; k++) {
      const ops: string[][] = [
        ['load', '-q', '-i', archive],
        ['tag', `${base}:1.0`, `w${w}/t:${k}`],
        ['rmi', `w${w}/t:${k}`],
        ['import', rootfs, `w${w}/imp:${k}`],
        ['rmi', `w${w}/imp:${k}`],
        ['image', 'prune', '-f'],
        ['save', '-o', join(d.dir, `save-${w}.tar`), `${base}:1.0`],
        ['rmi', `${base}:extra`],
        ['rmi', '-f', `${base}:1.0`],
        ['tag', `${base}:1.0`, `${base}:extra`],
      ];
      const op = ops[rand(ops.length)]!;
      const r = await s.run(op);
      if (!acceptable(r)) failures.push(`${op.join(' ')} → rc=${r.code} ${r.stderr.trim()}`);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  assert.deepEqual(failures, []);

  // Remove every tag the workers may have left; what remains must be consistent and complete.
  const tags = query<{ name: string }>(s.root, "SELECT name FROM refs WHERE repo LIKE 'docker.io/w%'");
  for (const { name } of tags) {
    const r = await s.berth('rmi', name.replace(/^docker\.io\//, ''));
    assert.equal(r.code, 0, r.stderr);
  }
  const check = await s.berth('system', 'check');
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /consistent/);
  // Nothing the workload did creates an untagged image: none may be left.
  const dangling = query(s.root, 'SELECT id FROM images WHERE id NOT IN (SELECT image_id FROM refs)');
  assert.deepEqual(dangling, []);
  assert.deepEqual(query(s.root, 'SELECT * FROM leases'), []);
});
