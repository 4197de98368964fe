// `images`, `images -q`, `rmi` of one image and the `images` right after it (the first listing
// after a change, which patches the cached listing) at 1,000, 10,000 and 100,000 distinct images:
// whole-process wall time of the real CLI, against a bare `node -e 0` start measured in the same
// run. Usage: node dist/bench/images-scale.js [1000,10000,100000] [--runs N] [--baseline MAIN_JS]
// (--baseline: also time `images` and `images -q` of another build, e.g. a git worktree's
// dist/src/bin/berth.js, in the same rounds)
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Store, type NewLayer } from '../src/store/store.js';
import type { Lease } from '../src/store/leases.js';
import { commitImages, type ImageToCommit } from '../src/engine/commit-images.js';
import { layerFromEntries } from '../src/archive/layer-writer.js';
import { LayerAnalyzer } from '../src/transport/layer-analysis.js';
import { MediaType } from '../src/image/mediatypes.js';
import { parseNormalizedNamed } from '../src/image/reference.js';
import type { ImageConfig } from '../src/image/types.js';
import {
  CACHE_DIR,
  ensureDir,
  forEachLimit,
  median,
  ms,
  mustSucceed,
  parseBenchArgs,
  printTable,
  ratio,
  readMarker,
  timeBerth,
  timeRun,
  writeMarker,
  type Timed,
} from './lib.js';

/** Bump when the generated images change, so cached stores are rebuilt. */
const GENERATOR_VERSION = 1;
const BASE_LAYERS = 20;
const MID_LAYERS = 200;
/** Every UNIQUE_EVERY-th image also has a top layer of its own (these are the rmi targets). */
const UNIQUE_EVERY = 100;
const BATCH = 2000;
const T0 = Date.UTC(2023, 0, 1);

// ---------------------------------------------------------------------------------------------
// Deterministic image generator: image i of a store of n images is always the same bytes, so
// images removed by the rmi runs can be put back exactly.

function pseudoRandom(seed: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

async function layerTar(kind: string, n: number): Promise<Buffer> {
  const files = kind === 'base' ? 6 : kind === 'mid' ? 3 : 1;
  const entries = [
    { path: `opt`, type: 'dir' as const },
    { path: `opt/${kind}-${n}`, type: 'dir' as const },
    ...Array.from({ length: files }, (_, f) => ({
      path: `opt/${kind}-${n}/file${f}`,
      type: 'file' as const,
      body: pseudoRandom(n * 31 + f + kind.length * 100003, 512 + ((n * 977 + f * 131) % 4096)),
    })),
  ];
  const chunks: Buffer[] = [];
  for await (const c of layerFromEntries(entries, { setMtime: new Date(T0) })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function writeLayer(store: Store, lease: Lease, tar: Buffer): Promise<NewLayer> {
  const analyzer = new LayerAnalyzer();
  const blob = await store.content.write(lease, [tar], { onData: (c) => analyzer.push(c) });
  const a = await analyzer.finish();
  if (!a) throw new Error('generated layer is not a tar');
  return { diffId: a.diffId, size: a.size, tarSize: a.tarSize, blobs: [{ digest: blob.digest, mediaType: MediaType.dockerLayer }] };
}

const canonicalRepo = (familiar: string) => parseNormalizedNamed(familiar).name;

function familiarRepoOf(i: number): string {
  switch (i % 3) {
    case 0:
      return `bench/app${i % 1000}`;
    case 1:
      return `registry.example.com:5000/team${i % 37}/svc${i % 500}`;
    default:
      return `tool${i % 100}`;
  }
}

function tagsOf(i: number): string[] {
  return i % 10 === 3 ? [`v${i}`, `alt-${i}`] : [`v${i}`];
}

/** The images removed (and put back) by the rmi runs: one tag each, a unique top layer each. */
function rmiTargets(n: number, runs: number): number[] {
  const out: number[] = [];
  const last = Math.floor((n - 1) / UNIQUE_EVERY) * UNIQUE_EVERY;
  for (let i = last; out.length < runs && i >= 0; i -= UNIQUE_EVERY) out.push(i);
  return out;
}

interface Pool {
  base: NewLayer[];
  mid: NewLayer[];
}

async function writePool(store: Store, lease: Lease): Promise<Pool> {
  const base: NewLayer[] = [];
  const mid: NewLayer[] = [];
  for (let b = 0; b < BASE_LAYERS; b++) base.push(await writeLayer(store, lease, await layerTar('base', b)));
  for (let m = 0; m < MID_LAYERS; m++) mid.push(await writeLayer(store, lease, await layerTar('mid', m)));
  return { base, mid };
}

async function buildImage(store: Store, lease: Lease, pool: Pool, i: number, n: number): Promise<ImageToCommit> {
  const layers = [pool.base[i % BASE_LAYERS]!, pool.mid[(i * 7) % MID_LAYERS]!];
  if (i % UNIQUE_EVERY === 0) layers.push(await writeLayer(store, lease, await layerTar('top', i)));
  // Distinct creation times, not in insertion order (7919 is prime, so i -> slot is a permutation).
  const created = new Date(T0 + ((i * 7919) % n) * 60_000 + (i % 1000)).toISOString();
  const labels: Record<string, string> | undefined =
    i % 5 === 0 ? undefined : { 'org.opencontainers.image.version': `1.${i}`, 'bench.team': `team-${i % 37}` };
  const config = {
    architecture: 'amd64',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['/bin/sh', '-c', `/opt/app --instance ${i}`],
      WorkingDir: '/opt',
      ...(labels ? { Labels: labels } : {}),
    },
    created,
    history: layers.map((_, k) => ({ created, created_by: `/bin/sh -c #(nop) ADD layer ${k} of image ${i}` })),
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  const written = await store.content.writeBuffer(lease, Buffer.from(JSON.stringify(config)));
  const repo = canonicalRepo(familiarRepoOf(i));
  return {
    image: { id: written.digest, config: config as unknown as ImageConfig, layers },
    tags: tagsOf(i).map((tag) => ({ repo, tag })),
  };
}

/** Writes the images with the given indices through the library, BATCH per transaction. */
async function addImages(root: string, n: number, indices: number[], log: boolean): Promise<void> {
  const store = Store.open(root);
  // Bulk population only: every blob file is still fsynced by the content store, and the marker
  // that declares the store complete is written after the final checkpoint.
  store.db.pragma('synchronous = OFF');
  const lease = store.lease('bench-populate');
  try {
    const pool = await writePool(store, lease);
    const t0 = Date.now();
    for (let start = 0; start < indices.length; start += BATCH) {
      const batch = indices.slice(start, start + BATCH);
      const items: ImageToCommit[] = new Array(batch.length);
      await forEachLimit(batch, 32, async (i, k) => {
        items[k] = await buildImage(store, lease, pool, i, n);
      });
      store.tx(() => commitImages(store, items));
      if (log) {
        const done = start + batch.length;
        const rate = done / ((Date.now() - t0) / 1000);
        process.stderr.write(`\r  populating ${root}: ${done}/${indices.length} images (${rate.toFixed(0)}/s)   `);
      }
    }
    if (log) process.stderr.write('\n');
  } finally {
    store.release(lease);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.close();
  }
}

interface StoreMarker {
  version: number;
  images: number;
  rows: number;
}

function expectedRows(n: number): number {
  let rows = 0;
  for (let i = 0; i < n; i++) rows += tagsOf(i).length;
  return rows;
}

/** A populated store of n images, from the cache when it is there; targets removed earlier are put back. */
async function ensureStore(n: number, targets: number[]): Promise<{ root: string; rows: number }> {
  const root = join(ensureDir(CACHE_DIR), `images-${n}`);
  const markerFile = `${root}.json`;
  const marker = readMarker<StoreMarker>(markerFile);
  const rows = expectedRows(n);
  if (!marker || marker.version !== GENERATOR_VERSION || marker.images !== n) {
    rmSync(root, { recursive: true, force: true });
    rmSync(markerFile, { force: true });
    const t0 = Date.now();
    await addImages(root, n, Array.from({ length: n }, (_, i) => i), true);
    process.stderr.write(`  populated ${n} images in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    writeMarker(markerFile, { version: GENERATOR_VERSION, images: n, rows } satisfies StoreMarker);
  } else {
    await restoreTargets(root, n, targets);
  }
  return { root, rows };
}

function missingTargets(root: string, targets: number[]): number[] {
  const store = Store.open(root);
  try {
    const get = store.db.prepare('SELECT 1 FROM refs WHERE name = ?').pluck();
    return targets.filter((i) => get.get(`${canonicalRepo(familiarRepoOf(i))}:v${i}`) === undefined);
  } finally {
    store.close();
  }
}

async function restoreTargets(root: string, n: number, targets: number[]): Promise<void> {
  const missing = missingTargets(root, targets);
  if (missing.length > 0) await addImages(root, n, missing, false);
  if (missingTargets(root, targets).length > 0) throw new Error(`could not restore the rmi targets in ${root}`);
}

// ---------------------------------------------------------------------------------------------

/**
 * A copy of the store's database for another build of berth (--baseline), readable by it: an
 * older berth refuses a schema newer than its own, so the copy says it is at that version (the
 * tables added since are simply not looked at). The blobs are shared read-only: only `images`
 * and `images -q` run there.
 */
function baselineStore(root: string, main: string): string {
  const copy = `${root}-baseline`;
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(join(copy, 'ingest'), { recursive: true });
  symlinkSync(join(root, 'blobs'), join(copy, 'blobs'));
  const store = Store.open(root);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  copyFileSync(join(root, 'berth.db'), join(copy, 'berth.db'));
  const probe = timeRun(process.execPath, [main, '--root', copy, 'images', '-q']);
  const m = /newer than this berth supports \((\d+)\)/.exec(probe.stderr.toString());
  if (m) {
    const db = new Database(join(copy, 'berth.db'));
    db.pragma(`user_version = ${Number(m[1])}`);
    db.close();
  }
  return copy;
}

interface Result {
  n: number;
  rows: number;
  node: number;
  images: number;
  quiet: number;
  rmi: number;
  /** `images` right after each rmi: the first listing after a change. */
  afterChange: number;
  /** With --baseline: the other build's images and images -q, measured in the same rounds. */
  baseImages?: number;
  baseQuiet?: number;
}

function lineCount(b: Buffer): number {
  let c = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 10) c++;
  return c;
}

function listed(what: string, r: Timed, lines: number): number {
  mustSucceed(what, r);
  if (lineCount(r.stdout) !== lines) throw new Error(`${what} printed ${lineCount(r.stdout)} lines, expected ${lines}`);
  return r.ms;
}

async function measure(n: number, runs: number, baseline: string | undefined): Promise<Result> {
  const targets = rmiTargets(n, runs);
  const { root, rows } = await ensureStore(n, targets);
  const base = baseline ? { main: baseline, root: baselineStore(root, baseline) } : undefined;
  const runBase = (args: string[]) => timeRun(process.execPath, [base!.main, '--root', base!.root, ...args]);
  const node: number[] = [];
  const images: number[] = [];
  const quiet: number[] = [];
  const rmi: number[] = [];
  const afterChange: number[] = [];
  const baseImages: number[] = [];
  const baseQuiet: number[] = [];
  // One untimed round warms the page cache and the database file.
  mustSucceed('images', timeBerth(root, ['images']));
  mustSucceed('images -q', timeBerth(root, ['images', '-q']));
  if (base) mustSucceed('baseline images', runBase(['images']));
  for (let r = 0; r < runs; r++) {
    node.push(mustSucceed('node -e 0', timeRun(process.execPath, ['-e', '0'])).ms);
    images.push(listed('images', timeBerth(root, ['images']), rows + 1));
    quiet.push(listed('images -q', timeBerth(root, ['images', '-q']), rows));
    if (base) {
      baseImages.push(listed('baseline images', runBase(['images']), rows + 1));
      baseQuiet.push(listed('baseline images -q', runBase(['images', '-q']), rows));
    }
  }
  try {
    for (let r = 0; r < runs && r < targets.length; r++) {
      const i = targets[r]!;
      const d = mustSucceed('rmi', timeBerth(root, ['rmi', `${familiarRepoOf(i)}:v${i}`]));
      if (!/^Untagged: .*\nDeleted: sha256:/.test(d.stdout.toString())) throw new Error(`unexpected rmi output: ${d.stdout}`);
      rmi.push(d.ms);
      // Each target has one tag: its row goes.
      afterChange.push(listed('images after rmi', timeBerth(root, ['images']), rows - r));
    }
  } finally {
    await restoreTargets(root, n, targets);
  }
  const out: Result = { n, rows, node: median(node), images: median(images), quiet: median(quiet), rmi: median(rmi), afterChange: median(afterChange) };
  if (base) {
    out.baseImages = median(baseImages);
    out.baseQuiet = median(baseQuiet);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const scales = args.scales ?? [1000, 10000, 100000];
  const runs = args.runs ?? 7;
  const baseline = args.options.get('baseline');
  const results: Result[] = [];
  for (const n of scales) {
    process.stderr.write(`images-scale: ${n} images, ${runs} runs\n`);
    results.push(await measure(n, runs, baseline));
  }
  console.log(`\nimages-scale: whole-process wall time, median of ${runs} runs (berth = node ${process.version} + CLI)\n`);
  printTable(
    ['images', 'rows', 'node -e 0', 'images', 'images -q', 'rmi', 'images after rmi', 'images-node', 'images -q-node', 'rmi-node', 'images/node'],
    results.map((r) => [
      String(r.n),
      String(r.rows),
      ms(r.node),
      ms(r.images),
      ms(r.quiet),
      ms(r.rmi),
      ms(r.afterChange),
      ms(r.images - r.node),
      ms(r.quiet - r.node),
      ms(r.rmi - r.node),
      ratio(r.images / r.node),
    ]),
  );
  if (baseline) {
    console.log(`\nthe same rounds, against the build at ${baseline}:\n`);
    printTable(
      ['images', 'baseline images', 'images', 'speed-up', 'baseline -q', 'images -q', 'speed-up'],
      results.map((r) => [
        String(r.n),
        ms(r.baseImages!),
        ms(r.images),
        ratio(r.baseImages! / r.images),
        ms(r.baseQuiet!),
        ms(r.quiet),
        ratio(r.baseQuiet! / r.quiet),
      ]),
    );
  }
  const big = results.find((r) => r.n === 100000);
  const small = results.find((r) => r.n === 1000);
  console.log('');
  if (big) console.log(`target: 100,000 images listed in < 500 ms: ${ms(big.images)} ${big.images < 500 ? 'OK' : 'ABOVE TARGET'}`);
  if (small) {
    const worst = Math.max(small.images, small.quiet, small.rmi) - small.node;
    console.log(`target: overhead over node -e 0 at 1,000 images < 40 ms: ${ms(worst)} (worst of images, -q, rmi) ${worst < 40 ? 'OK' : 'ABOVE TARGET'}`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
