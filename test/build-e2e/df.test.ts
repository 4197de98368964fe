import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { buildStore } from './helpers.js';
import { EngineCore } from '../../src/engine/engine.js';
import { diskUsage } from '../../src/engine/df.js';
import { buildCacheTotals } from '../../src/engine/build-cache-usage.js';

const canRun = existsSync('/usr/sbin/runc') || existsSync('/usr/bin/runc') || existsSync('/usr/bin/crun');
const skip = !canRun && 'runc/crun is not installed (scripts/install.sh installs them)';

/** The Build Cache line of `system df`, split into its cells. */
const cacheLine = (out: string) => out.split('\n').find((l) => l.startsWith('Build Cache'))!.split(/\s{2,}/);

test('system df counts the build cache: step results images no longer use, and RUN cache mounts; builder prune empties it', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('df', {
    Dockerfile: [
      'FROM busybox:local',
      'RUN --mount=type=cache,target=/c echo cached > /c/x && dd if=/dev/zero of=/big bs=1024 count=300 2>/dev/null',
      'ENV A=1',
      '',
    ].join('\n'),
  });
  assert.equal((await s.berth('build', '-q', '-t', 'lab/df:1', dir)).code, 0);

  // While the image holds the step's layer, those bytes are the image's: the records are shared.
  let df = await s.berth('system', 'df');
  assert.deepEqual(cacheLine(df.stdout), ['Build Cache', '3', '0', '7B', '7B'], df.stdout);

  assert.equal((await s.berth('rmi', 'lab/df:1')).code, 0);
  df = await s.berth('system', 'df');
  assert.deepEqual(cacheLine(df.stdout).slice(0, 3), ['Build Cache', '3', '0']);
  const engine = new EngineCore({ root: s.root });
  try {
    const records = diskUsage(engine).BuildCache;
    assert.deepEqual(records.map((r) => r.Type).sort(), ['exec.cachemount', 'regular', 'regular']);
    const totals = buildCacheTotals(records);
    assert.ok(totals.size >= 300 * 1024, `the RUN layer (300 KiB) is counted once: ${totals.size}`);
    assert.ok(totals.size < 2 * 300 * 1024, `and only once: ${totals.size}`);
    assert.equal(cacheLine(df.stdout)[3], cacheLine(df.stdout)[4], 'nothing in use: all reclaimable');
  } finally {
    engine.close();
  }
  const verbose = await s.berth('system', 'df', '-v');
  assert.match(verbose.stdout, /\nBuild cache usage: \d+(\.\d+)?kB\n\nCACHE ID {7}CACHE TYPE {8}SIZE/);
  assert.match(verbose.stdout, /exec\.cachemount +7B +/);

  assert.equal((await s.berth('builder', 'prune', '-f')).code, 0);
  df = await s.berth('system', 'df');
  assert.deepEqual(cacheLine(df.stdout), ['Build Cache', '0', '0', '0B', '0B']);
});
