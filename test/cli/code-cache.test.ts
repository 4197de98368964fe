// The CLI bundle loads a command's file with a V8 code cache kept in the user's cache directory
// (src/cli/code-cache.ts): written after the first run, used by the next, and never a reason for
// a command to fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, tempDir } from '../helpers/berth.js';

test('a command writes its code cache once, runs from it, and survives a damaged or unwritable cache', async () => {
  const s = newStore();
  const home = tempDir('berth-xdg-');
  try {
    const env = { XDG_CACHE_HOME: home.dir };
    const dir = join(home.dir, 'berth', 'v8');
    const first = await s.run(['images', '-q'], { env });
    assert.equal(first.code, 0, first.stderr);
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, new RegExp(`^cmd-images--\\d+-\\d+-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.bin$`));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const cache = join(dir, files[0]!);
    const written = readFileSync(cache);
    assert.ok(written.length > 1000);

    // A usable cache is read, not written again.
    const before = statSync(cache).mtimeMs;
    const second = await s.run(['images'], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n$/);
    assert.equal(statSync(cache).mtimeMs, before);
    assert.deepEqual(readdirSync(dir), files);

    // V8 refuses a cache that is not its own: the command compiles as usual and rewrites it.
    writeFileSync(cache, Buffer.alloc(4096, 0x5a));
    const damaged = await s.run(['images', '-q'], { env });
    assert.equal(damaged.code, 0, damaged.stderr);
    assert.equal(damaged.stderr, '');
    assert.notDeepEqual(readFileSync(cache).subarray(0, 64), Buffer.alloc(64, 0x5a));

    // A cache someone else owns, or may write, is not run: it is replaced by one of our own.
    const good = readFileSync(cache);
    chmodSync(cache, 0o666);
    const writable = await s.run(['images', '-q'], { env });
    assert.equal(writable.code, 0, writable.stderr);
    assert.equal(statSync(cache).mode & 0o777, 0o600);
    if (process.getuid?.() === 0) {
      chownSync(cache, 65534, 65534);
      const foreign = await s.run(['images', '-q'], { env });
      assert.equal(foreign.code, 0, foreign.stderr);
      assert.equal(statSync(cache).uid, 0);
    }
    assert.ok(readFileSync(cache).length > 1000 && good.length > 1000);

    // A cache directory that cannot be made costs nothing but the cache.
    const blocked = join(home.dir, 'not-a-dir');
    writeFileSync(blocked, 'x');
    const ro = await s.run(['images', '-q'], { env: { XDG_CACHE_HOME: blocked } });
    assert.equal(ro.code, 0, ro.stderr);
    assert.equal(ro.stderr, '');

    // Errors still come out as Docker words them.
    const bad = await s.run(['inspect', 'nope'], { env });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'Error: No such object: nope\n');
  } finally {
    home.cleanup();
    s.cleanup();
  }
});
