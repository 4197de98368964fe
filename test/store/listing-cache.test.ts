// The images listing's base is cached in the store (a file beside the database, stamped with the
// generation that triggers on images and refs change). These tests change the store in every way a user can, and after each
// change hold the listing to one computed from the tables alone (readListing with cache: false).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { EngineCore } from '../../src/engine/engine.js';
import { imageSummaries, listQuery, readListing, type ImageListing } from '../../src/engine/list.js';
import { parseFilters } from '../../src/engine/filters.js';
import { computeListingBase } from '../../src/engine/listing-base.js';
import { decodeListingBase, encodeListingBase } from '../../src/engine/listing-base-codec.js';
import { readListingCache, writeListingCache } from '../../src/store/listing-cache.js';
import { PATCH_LIMIT } from '../../src/engine/listing-patch.js';
import { openDatabase, type DB } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/schema.js';
import { storePaths } from '../../src/store/paths.js';
import type { ImageSummary } from '../../src/engine/types.js';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';
import { makeRootfsTar } from '../helpers/rootfs.js';

const archive = (n: string) => join(fixturesDir(), 'archives', n);
/** Replaces the "N units ago" column, which depends on when the command ran. */
const noAge = (s: string) => s.replace(/(Less than a second|About an? \w+|\d+ \w+) ago/g, 'AGO');

const QUERIES: { all?: boolean; details?: boolean; filters?: string[] }[] = [
  {},
  { all: true },
  { details: true },
  { filters: ['dangling=true'] },
  { filters: ['dangling=false'] },
  { filters: ['reference=lab/*'] },
  { filters: ['reference=*:1*'] },
  { filters: ['until=2030-01-01T00:00:00Z'] },
  { filters: ['label=com.example.fixture'] },
];

/** What the listing shows, without the arrays it is made of. */
function shown(l: ImageListing): ImageSummary[] {
  return imageSummaries(l);
}

const MAGIC = 'berth listing 2\n';

/** The generation the cache file was written at (undefined without one), and the store's current one. */
function generations(db: DB, root: string): { cached: number | undefined; current: number } {
  const file = storePaths(root).listingCache;
  const cached = existsSync(file) ? readFileSync(file).readDoubleLE(MAGIC.length) : undefined;
  const current = db.prepare("SELECT value FROM counters WHERE name = 'listing'").pluck().get() as number;
  return { cached, current };
}

/** The cached bytes, without the file's header. */
function cachedBytes(root: string): Buffer {
  return readFileSync(storePaths(root).listingCache).subarray(MAGIC.length + 16);
}

/** Puts bytes in the cache file as if computed at the store's current state. */
function putCache(db: DB, root: string, bytes: Buffer): void {
  const header = Buffer.alloc(MAGIC.length + 16);
  header.write(MAGIC, 0, 'latin1');
  header.writeDoubleLE(generations(db, root).current, MAGIC.length);
  header.writeDoubleLE(db.prepare('SELECT max(seq) FROM listing_changes').pluck().get() as number, MAGIC.length + 8);
  writeFileSync(storePaths(root).listingCache, Buffer.concat([header, bytes]));
}

/** The base read from the tables, with every size one more than it is: cached, it shows where the cache was used. */
function doctoredBase(db: DB): Buffer {
  const base = db.transaction(() => computeListingBase(db)).deferred();
  base.size = base.size.map((x) => x + 1);
  return Buffer.from(encodeListingBase(base)!);
}

/** Every query listed through the cache equals the listing read from the tables; afterwards the cache is current. */
function assertListingsAgree(engine: EngineCore, what: string): void {
  for (const c of QUERIES) {
    const q = listQuery(engine, { all: c.all, details: c.details, filters: parseFilters(c.filters ?? []) });
    const uncached = shown(readListing(engine, q, { cache: false }));
    assert.deepEqual(shown(readListing(engine, q)), uncached, `${what}: ${JSON.stringify(c)}`);
    // The second one reads the cache that the first one wrote.
    assert.deepEqual(shown(readListing(engine, q)), uncached, `${what} (again): ${JSON.stringify(c)}`);
  }
  const g = generations(engine.store.db, engine.store.paths.root);
  assert.equal(g.cached, g.current, `${what}: the cache is current after a listing`);
}

async function ok(s: ReturnType<typeof newStore>, ...args: string[]): Promise<string> {
  const r = await s.berth(...args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A store with the given archives loaded, removed after the test, and an engine open on it. */
async function loadedStore(t: { after: (fn: () => void) => void }, ...archives: string[]): Promise<{ s: ReturnType<typeof newStore>; engine: EngineCore }> {
  const s = newStore();
  t.after(s.cleanup);
  for (const a of archives) await ok(s, 'load', '-i', archive(a));
  const engine = new EngineCore({ root: s.root });
  t.after(() => engine.close());
  return { s, engine };
}

test('the cache is written by the first listing and read by the next', async (t) => {
  const { s, engine } = await loadedStore(t, 'two-images.tar');
  const db = engine.store.db;
  assert.equal(generations(db, s.root).cached, undefined, 'nothing cached before a listing');
  const q = listQuery(engine, {});
  const first = shown(readListing(engine, q));
  const g = generations(db, s.root);
  assert.equal(g.cached, g.current);

  // Proof that the next listing reads the cache: cached bytes that say something else (at the
  // current generation) are what it shows.
  putCache(db, s.root, doctoredBase(db));
  const doctored = shown(readListing(engine, q));
  assert.deepEqual(
    doctored.map((i) => i.Size),
    first.map((i) => i.Size + 1),
  );
  assert.deepEqual(shown(readListing(engine, q, { cache: false })), first, 'cache: false reads the tables');

  // Any change to the tables makes it stale; the next listing replaces it.
  rmSync(storePaths(s.root).listingCache);
  readListing(engine, q);
  await ok(s, 'tag', 'lab/other:1', 'lab/other:2');
  assert.notEqual(generations(db, s.root).cached, generations(db, s.root).current);
  assertListingsAgree(engine, 'after tag');
});

test('after a change, the cached base is patched with the changed images only', async (t) => {
  const { s, engine } = await loadedStore(t, 'small-multitag.tar', 'two-images.tar');
  const db = engine.store.db;
  const q = listQuery(engine, { all: true });
  const truth = () => shown(readListing(engine, q, { cache: false }));
  const sizes = (l: ImageSummary[]) => new Map(l.map((i) => [i.Id, i.Size]));
  const idOf = async (ref: string) => (await ok(s, 'inspect', '--format', '{{.Id}}', ref)).trim();
  const tagged = await idOf('lab/other:1');

  // The cache says every image is a byte bigger than it is; only a row read again is right.
  putCache(db, s.root, doctoredBase(db));
  await ok(s, 'tag', 'lab/other:1', 'lab/patched:1');
  const listed = sizes(shown(readListing(engine, q)));
  for (const [id, size] of sizes(truth())) assert.equal(listed.get(id), id === tagged ? size : size + 1, id);
  const g = generations(db, s.root);
  assert.equal(g.cached, g.current, 'the patched base is cached');

  // Removing an image and its tags takes its row out and leaves the others as cached.
  await ok(s, 'rmi', 'lab/patched:1', 'lab/other:1');
  const left = sizes(shown(readListing(engine, q)));
  assert.equal(left.has(tagged), false);
  for (const [id, size] of sizes(truth())) assert.equal(left.get(id), size + 1, id);

  // Too many images changed at once: the base is read whole.
  putCache(db, s.root, doctoredBase(db));
  const add = db.prepare("INSERT INTO images (id, created, size, os, arch, added) VALUES (?, ?, 1, 'linux', 'amd64', 0)");
  db.transaction(() => {
    for (let i = 0; i <= PATCH_LIMIT; i++) add.run(`sha256:${i.toString(16).padStart(64, '0')}`, i);
  })();
  assert.deepEqual(shown(readListing(engine, q)), truth());

  // Changes that the log no longer reaches back to: the base is read whole.
  putCache(db, s.root, doctoredBase(db));
  const bump = db.prepare('UPDATE images SET created = created + 1 WHERE id = ?');
  db.transaction(() => {
    for (let i = 0; i < 5001; i++) bump.run(tagged.replace(/.$/, '0'));
    for (let i = 0; i < 5001; i++) bump.run('sha256:' + '0'.repeat(64));
  })();
  assert.ok((db.prepare('SELECT count(*) FROM listing_changes').pluck().get() as number) <= 10_001, 'the log keeps its last entries only');
  assert.deepEqual(shown(readListing(engine, q)), truth());
  assertListingsAgree(engine, 'after many changes');
});

test('every kind of change invalidates the cache', async (t) => {
  const { s, engine } = await loadedStore(t);
  const d = tempDir();
  t.after(d.cleanup);
  const db = () => engine.store.db;
  assertListingsAgree(engine, 'empty store');

  const steps: [string, () => Promise<unknown> | unknown][] = [
    ['load', () => ok(s, 'load', '-i', archive('two-images.tar'))],
    ['load of more tags', () => ok(s, 'load', '-i', archive('small-multitag.tar'))],
    ['tag', () => ok(s, 'tag', 'lab/other:1', 'lab/other:10')],
    ['tag moved to another image', () => ok(s, 'tag', '127.0.0.1:5000/lab/small:1.0', 'lab/other:10')],
    ['untag', () => ok(s, 'rmi', 'lab/other:10')],
    ['import', () => ok(s, 'import', makeRootfsTar(d.dir))],
    ['import with a tag', () => ok(s, 'import', makeRootfsTar(d.dir, 'b.tar', { 'etc/b': 'b' }), 'keep/me:1')],
    ['prune of dangling images', () => ok(s, 'image', 'prune', '-f')],
    ['rmi of an image', () => ok(s, 'rmi', 'keep/me:1')],
    ['a reference changed directly', () => db().prepare("UPDATE refs SET name = 'docker.io/lab/other:9', tag = '9' WHERE name = 'docker.io/lab/other:1'").run()],
    ['an image changed directly', () => db().prepare('UPDATE images SET created = created + 5000').run()],
    [
      'a parent set directly',
      () => db().prepare("UPDATE images SET parent = (SELECT max(id) FROM images) WHERE id = (SELECT min(id) FROM images)").run(),
    ],
    ['a reference to a missing image', () => db().prepare(`INSERT INTO refs (name, repo, tag, digest, image_id, created) VALUES ('docker.io/lab/ghost:1', 'docker.io/lab/ghost', '1', NULL, 'sha256:${'e'.repeat(64)}', 0)`).run()],
    ['system check --repair', () => ok(s, 'system', 'check', '--repair')],
    ['prune of every unused image', () => ok(s, 'image', 'prune', '-a', '-f')],
  ];
  for (const [what, change] of steps) {
    const before = generations(db(), s.root).current;
    await change();
    const g = generations(db(), s.root);
    assert.notEqual(g.current, before, `${what} bumps the generation`);
    assert.notEqual(g.cached, g.current, `${what} leaves the cache stale`);
    assertListingsAgree(engine, what);
  }
  // A store with a cache is consistent as far as system check is concerned.
  assert.match(await ok(s, 'system', 'check'), /consistent\n$/);
});

test('damaged or foreign cached bytes are recomputed, never shown', async (t) => {
  const { s, engine } = await loadedStore(t, 'small-multitag.tar', 'two-images.tar');
  const db = engine.store.db;
  assertListingsAgree(engine, 'valid');
  const good = cachedBytes(s.root);
  assert.ok(decodeListingBase(good));

  const flipped = Buffer.from(good);
  flipped[flipped.length - 3]! ^= 0x20; // in the reference text
  const header = Buffer.from(good);
  header.writeUInt32LE(header.readUInt32LE(12) + 1, 12); // the image count
  const format = Buffer.from(good);
  format.writeUInt32LE(99, 4);
  const misaligned = Buffer.alloc(good.length + 3);
  good.copy(misaligned, 3);
  const damaged: [string, Buffer][] = [
    ['garbage', randomBytes(good.length)],
    ['empty', Buffer.alloc(0)],
    ['truncated', good.subarray(0, good.length - 1)],
    ['longer', Buffer.concat([good, Buffer.from([0])])],
    ['a flipped byte', flipped],
    ['a wrong count', header],
    ['another format version', format],
  ];
  for (const [what, bytes] of damaged) {
    assert.equal(decodeListingBase(bytes), undefined, what);
    putCache(db, s.root, bytes);
    assertListingsAgree(engine, what);
    assert.deepEqual(cachedBytes(s.root), good, `${what}: replaced by a good copy`);
  }
  // A file that is not a cache at all, or one cut short in its header.
  for (const [what, bytes] of [['not a cache', randomBytes(100)], ['a cut header', Buffer.from(MAGIC)]] as const) {
    writeFileSync(storePaths(s.root).listingCache, bytes);
    assertListingsAgree(engine, what);
    assert.deepEqual(cachedBytes(s.root), good, `${what}: replaced by a good copy`);
  }
  // Bytes at an address that typed arrays cannot view are copied first.
  assert.deepEqual(decodeListingBase(misaligned.subarray(3)), decodeListingBase(good));
  // Not ASCII: not cached at all.
  const base = db.transaction(() => computeListingBase(db)).deferred();
  assert.equal(encodeListingBase({ ...base, idText: base.idText.replace(/.$/, 'é') }), undefined);
});

test('a listing writes the cache without waiting for the database, and only for the state it read', async (t) => {
  const { s, engine } = await loadedStore(t, 'two-images.tar');
  const db = engine.store.db;
  const q = listQuery(engine, {});
  const expected = shown(readListing(engine, q, { cache: false }));

  // Another connection holds the write lock: the listing does not wait, and the cache, which
  // needs no lock, is written all the same.
  const other = new Database(join(s.root, 'berth.db'));
  t.after(() => other.close());
  other.prepare('BEGIN IMMEDIATE').run();
  const started = Date.now();
  assert.deepEqual(shown(readListing(engine, q)), expected);
  assert.ok(Date.now() - started < 5000, 'the listing did not wait for the lock');
  assert.equal(generations(db, s.root).cached, generations(db, s.root).current);
  other.prepare('ROLLBACK').run();
  rmSync(storePaths(s.root).listingCache);

  // The tables changed after the listing read them: what it computed is not stored.
  const paths = storePaths(s.root);
  const { generation, seq } = db.transaction(() => readListingCache(db, paths, PATCH_LIMIT)).deferred();
  const bytes = encodeListingBase(db.transaction(() => computeListingBase(db)).deferred())!;
  await ok(s, 'tag', 'lab/other:1', 'lab/other:2');
  assert.equal(writeListingCache(db, paths, { generation: generation!, seq }, bytes), false);
  assert.equal(generations(db, s.root).cached, undefined);

  // Inside a transaction of the caller's, nothing is written either.
  db.transaction(() => assert.deepEqual(shown(readListing(engine, q)), shown(readListing(engine, q, { cache: false }))))();
  assert.equal(generations(db, s.root).cached, undefined);
  readListing(engine, q);
  assert.equal(generations(db, s.root).cached, generations(db, s.root).current);
});

test('a read-only database is never written', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  await ok(s, 'load', '-i', archive('two-images.tar'));
  const file = join(s.root, 'berth.db');
  const ro = openDatabase(file, { readonly: true });
  t.after(() => ro.close());
  const paths = storePaths(s.root);
  const engine = { store: { db: ro, paths } } as unknown as EngineCore;
  const q = listQuery(new EngineCore({ root: s.root }), {});
  const size = statSync(file).size;
  const expected = shown(readListing(engine, q, { cache: false }));
  assert.deepEqual(shown(readListing(engine, q)), expected);
  assert.deepEqual(shown(readListing(engine, q)), expected);
  assert.equal(generations(ro, s.root).cached, undefined);
  assert.equal(statSync(file).size, size);
  assert.equal(existsSync(paths.listingCache), false);
  const { generation, seq } = readListingCache(ro, paths, PATCH_LIMIT);
  assert.equal(writeListingCache(ro, paths, { generation: generation!, seq }, Buffer.alloc(8)), false);
  assert.equal(existsSync(paths.listingCache), false);
});

test('a store at schema version 4 with images is migrated, and its listing cached', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  await ok(s, 'load', '-i', archive('small-multitag.tar'));
  await ok(s, 'load', '-i', archive('two-images.tar'));
  const file = join(s.root, 'berth.db');
  const expected = noAge(await ok(s, 'images', '--no-trunc', '-a'));

  // Take the store back to version 4: what migrations 5 and 6 added goes, and the schema is then
  // that of a store created by the first four migrations.
  const v4 = new Database(file);
  v4.exec(`
    DROP TABLE listing_changes;
    DROP TRIGGER images_insert_listing; DROP TRIGGER images_delete_listing; DROP TRIGGER images_update_listing;
    DROP TRIGGER refs_insert_listing; DROP TRIGGER refs_delete_listing; DROP TRIGGER refs_update_listing;
    DELETE FROM counters WHERE name = 'listing';
    PRAGMA user_version = 4;
  `);
  const fresh = new Database(':memory:');
  for (const m of MIGRATIONS.slice(0, 4)) fresh.exec(m);
  const schema = (db: Database.Database) => db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
  assert.deepEqual(schema(v4), schema(fresh));
  v4.close();
  fresh.close();
  rmSync(storePaths(s.root).listingCache);

  assert.equal(noAge(await ok(s, 'images', '--no-trunc', '-a')), expected);
  const engine = new EngineCore({ root: s.root });
  t.after(() => engine.close());
  assert.equal(engine.store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  const g = generations(engine.store.db, s.root);
  assert.equal(g.cached, g.current, 'the first listing after the migration cached the base');
  assert.equal(noAge(await ok(s, 'images', '--no-trunc', '-a')), expected);
  assertListingsAgree(engine, 'migrated');
  await ok(s, 'rmi', 'lab/other:1');
  assertListingsAgree(engine, 'migrated, then changed');
});

test('a database put back from a copy never takes a cache written for other contents', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  await ok(s, 'load', '-i', archive('two-images.tar'));
  const file = join(s.root, 'berth.db');
  // A copy of the database as it is now (checkpointed, so the file holds everything).
  const c = new Database(file);
  c.pragma('wal_checkpoint(TRUNCATE)');
  c.close();
  copyFileSync(file, join(s.root, 'copy.db'));
  const before = await ok(s, 'images');
  await ok(s, 'tag', 'lab/other:1', 'lab/other:2');
  const after = await ok(s, 'images');
  assert.notEqual(after, before);
  // The copy is put back: the cache file, written for the later contents, must not be taken.
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  copyFileSync(join(s.root, 'copy.db'), file);
  assert.equal(await ok(s, 'images'), before);
  // A change now gives a generation of its own, not the one the discarded state had.
  await ok(s, 'tag', 'lab/other:1', 'lab/other:3');
  assert.match(await ok(s, 'images'), /lab\/other +3 /);
  assert.doesNotMatch(await ok(s, 'images'), /lab\/other +2 /);
});
