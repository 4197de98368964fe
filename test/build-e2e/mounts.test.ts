import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStore, mountsUnder, scratchLeft, type BuildStore } from './helpers.js';

const canRun = existsSync('/usr/sbin/runc') || existsSync('/usr/bin/runc') || existsSync('/usr/bin/crun');
const skip = !canRun && 'runc/crun is not installed (scripts/install.sh installs them)';

/** Every build here is bounded: a hang fails the test with what the build printed, never stalls the suite. */
const BUILD_TIMEOUT_MS = 90_000;
const build = (s: BuildStore, ...args: string[]) => s.run(['build', ...args], { timeoutMs: BUILD_TIMEOUT_MS });

/** A RUN that marks its arrival in /rv and waits (up to 30 s) for the other one's: only passes when both run at once. */
const meet = (me: string, other: string) =>
  `touch /rv/${me}; i=0; while [ ! -e /rv/${other} ]; do i=$((i+1)); [ $i -gt 300 ] && exit 9; sleep 0.1; done`;

test('RUN --mount=type=cache: uid, gid, mode, id, from, source, readonly; contents persist across builds', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('cache-opts', {
    Dockerfile: [
      'FROM busybox:local AS seed',
      'RUN mkdir -p /seed/sub && echo seeded > /seed/sub/s.txt',
      'FROM busybox:local',
      'ARG BUST',
      'RUN --mount=type=cache,target=/c,uid=1000,gid=50,mode=0710 stat -c "%u:%g:%a" /c > /perm.txt && echo run >> /c/log && wc -l < /c/log > /perm-runs.txt',
      'RUN --mount=type=cache,target=/a,id=common echo "written through /a" > /a/msg',
      'RUN --mount=type=cache,target=/b,id=common cat /b/msg > /same-id.txt',
      'RUN --mount=type=cache,target=/a ls -A /a > /other-id.txt',
      'RUN --mount=type=cache,target=/s,from=seed,source=/seed/sub cat /s/s.txt > /seeded.txt && echo again >> /s/s.txt',
      'RUN --mount=type=cache,target=/r,id=common,readonly cat /r/msg > /ro.txt && if touch /r/x 2>/dev/null; then echo writable; else echo readonly; fi > /ro-w.txt',
      'COPY --from=seed /seed/sub/s.txt /seed-after.txt',
      '',
    ].join('\n'),
  });
  const out = join(s.dir, 'out1');
  const r = await build(s, '-o', `type=local,dest=${out}`, dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const read = (o: string, f: string) => readFileSync(join(o, f), 'utf8');
  assert.equal(read(out, 'perm.txt'), '1000:50:710\n', 'a new cache directory gets uid, gid and mode');
  assert.equal(read(out, 'same-id.txt'), 'written through /a\n', 'mounts with the same id share one cache');
  assert.equal(read(out, 'other-id.txt'), '', 'the default id is the target: /a without id is another cache');
  assert.equal(read(out, 'seeded.txt'), 'seeded\n', 'from/source seed a new cache');
  assert.equal(read(out, 'ro.txt'), 'written through /a\n');
  assert.equal(read(out, 'ro-w.txt'), 'readonly\n');
  assert.equal(read(out, 'seed-after.txt'), 'seeded\n', 'writes to a cache seeded from a stage leave the stage alone');
  assert.equal(existsSync(join(out, 'c')) || existsSync(join(out, 's')), false, 'cache contents are not in the layers');

  // The caches keep what the steps wrote: a rebuild without the step cache sees it.
  const out2 = join(s.dir, 'out2');
  const again = await build(s, '--no-cache', '-o', `type=local,dest=${out2}`, dir);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.equal(read(out2, 'perm-runs.txt').trim(), '2');
  // As in BuildKit, a seeded cache belongs to the seed it came from: --no-cache ran the seed
  // stage again, a new seed, so a new cache.
  assert.equal(read(out2, 'seeded.txt'), 'seeded\n');
  // With the seed stage from the step cache (only this stage's steps run again), the cache
  // seeded from it has what the last build wrote.
  const out3 = join(s.dir, 'out3');
  const third = await build(s, '--build-arg', 'BUST=1', '-o', `type=local,dest=${out3}`, dir);
  assert.equal(third.code, 0, third.stderr + third.stdout);
  assert.equal(read(out3, 'perm-runs.txt').trim(), '3');
  assert.equal(read(out3, 'seeded.txt'), 'seeded\nagain\n');
  assert.equal(read(out3, 'seed-after.txt'), 'seeded\n');
  assert.deepEqual(scratchLeft(s.root), []);

  // builder prune removes the caches: the next build starts them anew.
  const pruned = await s.berth('builder', 'prune', '-f');
  assert.equal(pruned.code, 0, pruned.stderr);
  const out4 = join(s.dir, 'out4');
  const fourth = await build(s, '--no-cache', '-o', `type=local,dest=${out4}`, dir);
  assert.equal(fourth.code, 0, fourth.stderr + fourth.stdout);
  assert.equal(read(out4, 'perm-runs.txt').trim(), '1');
  assert.equal(read(out4, 'same-id.txt'), 'written through /a\n');
});

test('RUN --mount=type=bind: read-only by default; rw writes are seen by the step and then discarded', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('bind-rw', {
    Dockerfile: [
      'FROM busybox:local AS stage',
      'RUN mkdir /data && echo stage > /data/f',
      'FROM busybox:local',
      'RUN --mount=type=bind,source=dir,target=/w if touch /w/x 2>/dev/null; then echo writable; else echo readonly; fi > /ro.txt',
      'RUN --mount=type=bind,source=dir,target=/w,rw echo changed > /w/f && echo new > /w/new && rm /w/gone && cat /w/f /w/new > /rw.txt && ls /w > /rw-ls.txt',
      'RUN --mount=type=bind,source=dir,target=/w cat /w/f > /after.txt && ls /w > /after-ls.txt',
      'RUN --mount=type=bind,from=stage,source=/data,target=/d,rw echo changed > /d/f && cat /d/f > /rw-from.txt',
      'COPY --from=stage /data/f /stage-after.txt',
      'RUN --mount=type=bind,source=dir/f,target=/one,rw echo changed > /one && cat /one > /rw-file.txt',
      '',
    ].join('\n'),
    'dir/f': 'original\n',
    'dir/gone': 'x',
    'dir/ignored.txt': 'not for the build',
    '.dockerignore': 'dir/ignored.txt\n',
  });
  const out = join(s.dir, 'out');
  const r = await build(s, '-o', `type=local,dest=${out}`, dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const read = (f: string) => readFileSync(join(out, f), 'utf8');
  assert.equal(read('ro.txt'), 'readonly\n');
  assert.equal(read('rw.txt'), 'changed\nnew\n');
  assert.equal(read('rw-ls.txt'), 'f\nnew\n', 'the step saw its own writes and deletion (and not the ignored file)');
  assert.equal(read('after.txt'), 'original\n', 'the next step sees the context as it was');
  assert.equal(read('after-ls.txt'), 'f\ngone\n');
  assert.equal(readFileSync(join(dir, 'dir/f'), 'utf8'), 'original\n', 'the context itself is untouched');
  assert.equal(existsSync(join(dir, 'dir/new')), false);
  assert.equal(existsSync(join(dir, 'dir/gone')), true);
  assert.equal(read('rw-from.txt'), 'changed\n');
  assert.equal(read('stage-after.txt'), 'stage\n', 'a stage mounted rw keeps its files');
  assert.equal(read('rw-file.txt'), 'changed\n');
  assert.equal(readFileSync(join(dir, 'dir/f'), 'utf8'), 'original\n');
  assert.equal(existsSync(join(out, 'w')) || existsSync(join(out, 'd')), false);
  assert.deepEqual(scratchLeft(s.root), []);
  assert.deepEqual(mountsUnder(s.root), []);
});

test('RUN --mount=type=cache sharing: shared is one directory at once, private one each, locked one at a time', { skip, timeout: 300_000 }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  // Two independent stages run at once (they meet through a shared rendezvous cache); each marks
  // the cache under test and reports what it sees there.
  const pair = (sharing: string) =>
    [
      'FROM busybox:local AS one',
      `RUN --mount=type=cache,id=rv-${sharing},target=/rv --mount=type=cache,id=x-${sharing},sharing=${sharing},target=/x touch /x/one && ${meet('one', 'two')} && ls /x > /seen`,
      'FROM busybox:local AS two',
      `RUN --mount=type=cache,id=rv-${sharing},target=/rv --mount=type=cache,id=x-${sharing},sharing=${sharing},target=/x touch /x/two && ${meet('two', 'one')} && ls /x > /seen`,
      'FROM busybox:local',
      'COPY --from=one /seen /one-seen',
      'COPY --from=two /seen /two-seen',
      '',
    ].join('\n');
  for (const [sharing, want] of [
    ['shared', ['one\ntwo\n', 'one\ntwo\n']],
    ['private', ['one\n', 'two\n']],
  ] as const) {
    const dir = s.ctx(`sharing-${sharing}`, { Dockerfile: pair(sharing) });
    const out = join(s.dir, `out-${sharing}`);
    const r = await build(s, '-o', `type=local,dest=${out}`, dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual([readFileSync(join(out, 'one-seen'), 'utf8'), readFileSync(join(out, 'two-seen'), 'utf8')], want, sharing);
  }
  // locked: both stages start at once, but the second waits until the first let go of the cache.
  const holdLock = (me: string) =>
    `--mount=type=cache,id=lk,sharing=locked,target=/l --mount=type=cache,id=lk-rv,target=/rv test ! -e /l/busy && touch /l/busy /rv/${me}-in && sleep 1 && ls /rv > /seen && touch /rv/${me}-out && rm /l/busy`;
  const dir = s.ctx('sharing-locked', {
    Dockerfile: ['FROM busybox:local AS one', `RUN ${holdLock('one')}`, 'FROM busybox:local AS two', `RUN ${holdLock('two')}`, 'FROM busybox:local', 'COPY --from=one /seen /one-seen', 'COPY --from=two /seen /two-seen', ''].join('\n'),
  });
  const out = join(s.dir, 'out-locked');
  const r = await build(s, '-o', `type=local,dest=${out}`, dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  // The first holder saw only itself; the second came in after the first left.
  const [first, second] = [readFileSync(join(out, 'one-seen'), 'utf8'), readFileSync(join(out, 'two-seen'), 'utf8')].sort((a, b) => a.length - b.length);
  const a = first!.trim().replace(/-in$/, '');
  const b = a === 'one' ? 'two' : 'one';
  assert.equal(first, `${a}-in\n`);
  // ls lists names in order, not in time: the set is what tells the first holder had left.
  assert.equal(second, [`${a}-in`, `${a}-out`, `${b}-in`].sort().join('\n') + '\n');
});
