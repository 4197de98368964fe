import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Store } from '../../src/store/store.js';
import { sha256 } from '../../src/image/digest.js';
import { tempDir } from '../helpers/berth.js';
import { isKind } from '../../src/image/errors.js';

function withStore(fn: (s: Store, dir: string) => Promise<void> | void) {
  return async () => {
    const t = tempDir();
    const s = Store.open(join(t.dir, 'root'));
    try {
      await fn(s, t.dir);
    } finally {
      s.close();
      t.cleanup();
    }
  };
}

test('a blob is verified, renamed into place and recorded', withStore(async (s) => {
  const lease = s.lease('test');
  const data = Buffer.from('hello berth');
  const w = await s.content.writeBuffer(lease, data);
  assert.equal(w.digest, sha256(data));
  assert.equal(w.size, data.length);
  assert.ok(s.content.has(w.digest));
  assert.equal((await s.content.readBuffer(w.digest)).toString(), 'hello berth');
  assert.equal(await s.content.verify(w.digest), 'ok');
  assert.deepEqual(readdirSync(s.paths.ingest), []);
}));

test('a digest mismatch stores nothing and leaves no ingest file', withStore(async (s) => {
  const lease = s.lease('test');
  await assert.rejects(
    s.content.writeBuffer(lease, Buffer.from('abc'), sha256('abd')),
    (e: unknown) => isKind(e, 'corrupt') && /digest mismatch/.test((e as Error).message),
  );
  assert.equal(s.content.has(sha256('abc')), false);
  assert.equal(existsSync(s.content.path(sha256('abc'))), false);
  assert.deepEqual(readdirSync(s.paths.ingest), []);
}));

test('releasing a lease collects what only it kept alive', withStore(async (s) => {
  const lease = s.lease('test');
  const w = await s.content.writeBuffer(lease, Buffer.from('temporary'));
  assert.ok(existsSync(s.content.path(w.digest)));
  s.release(lease);
  assert.equal(s.content.has(w.digest), false);
  assert.equal(existsSync(s.content.path(w.digest)), false);
}));

test('a lease of a dead process is reaped and its blobs and ingest files reclaimed', withStore(async (s, dir) => {
  // A child process writes a blob under its own lease and an ingest file, then dies by SIGKILL.
  const script = join(dir, 'child.mjs');
  const storeMod = new URL('../../src/store/store.js', import.meta.url).href;
  writeFileSync(
    script,
    `import { Store } from ${JSON.stringify(storeMod)};
     import { writeFileSync } from 'node:fs';
     import { join } from 'node:path';
     const s = Store.open(process.argv[2]);
     const lease = s.lease('child');
     await s.content.writeBuffer(lease, Buffer.from('orphan content'));
     writeFileSync(join(s.paths.ingest, lease.ingestPrefix + 'partial'), 'half');
     process.kill(process.pid, 'SIGKILL');`,
  );
  const r = spawnSync(process.execPath, [script, s.paths.root]);
  assert.equal(r.signal, 'SIGKILL', r.stderr.toString());
  const d = sha256('orphan content');
  assert.ok(s.content.has(d));
  assert.equal(readdirSync(s.paths.ingest).length, 1);
  s.gc.opportunistic();
  assert.equal(s.content.has(d), false);
  assert.equal(existsSync(s.content.path(d)), false);
  assert.deepEqual(readdirSync(s.paths.ingest), []);
  assert.equal(s.db.prepare('SELECT count(*) FROM leases').pluck().get(), 0);
}));

test('the sweep never unlinks a blob that was claimed again after it was queued', withStore(async (s) => {
  const a = s.lease('a');
  const w = await s.content.writeBuffer(a, Buffer.from('shared'));
  // Queue it as garbage the way a collection would, then have another lease claim it again.
  s.tx(() => {
    s.leases.drop(a.id);
    s.gc.collect({ blobs: [w.digest] });
  });
  const b = s.lease('b');
  const again = await s.content.writeBuffer(b, Buffer.from('shared'));
  s.gc.sweep();
  assert.ok(existsSync(s.content.path(again.digest)));
  assert.ok(s.content.has(again.digest));
  s.release(b);
  assert.equal(existsSync(s.content.path(again.digest)), false);
}));

test('full collection removes orphan files and unreferenced rows', withStore(async (s) => {
  const orphan = join(s.paths.blobs, 'a'.repeat(64));
  writeFileSync(orphan, 'stray');
  const lease = s.lease('x');
  const w = await s.content.writeBuffer(lease, Buffer.from('keep while leased'));
  const res = s.gc.run();
  assert.equal(existsSync(orphan), false);
  assert.ok(s.content.has(w.digest), 'leased blob survives');
  assert.deepEqual(res.blobs, []);
  s.release(lease);
}));

test('the schema is versioned and reopening migrates nothing twice', withStore((s) => {
  const v = s.db.pragma('user_version', { simple: true });
  assert.ok((v as number) >= 1);
  const again = Store.open(s.paths.root);
  assert.equal(again.db.pragma('user_version', { simple: true }), v);
  again.close();
}));
