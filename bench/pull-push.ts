// `pull` and `push` of one image of 5 layers (~500 MiB of incompressible data, gzip) against a
// local distribution registry, berth against `skopeo copy` in the same run, with berth's peak RSS.
// Pull: berth pull into an empty store vs skopeo copy docker:// → oci: (skopeo neither decompresses
// nor computes diff IDs; berth does both, and fsyncs). Push: from berth's store vs skopeo copy oci: →
// docker://, each run into an empty registry.
// Usage: node dist/bench/pull-push.js [MIB] [--runs N]   (default 500 MiB, 3 runs)
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { layerFromEntries } from '../src/archive/layer-writer.js';
import { MediaType } from '../src/image/mediatypes.js';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { BERTH_MAIN, CACHE_DIR, ensureDir, median, mib, parseBenchArgs, printTable, readMarker, runWithPeakRss, writeMarker } from './lib.js';

const GENERATOR_VERSION = 1;
const LAYERS = 5;
const FILE = 16 << 20;

interface LayoutMarker {
  version: number;
  mib: number;
  bytes: number;
}

async function* randomChunks(size: number): AsyncGenerator<Uint8Array> {
  for (let left = size; left > 0; left -= 1 << 20) yield randomBytes(Math.min(1 << 20, left));
}

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** An OCI layout with one image of LAYERS gzip layers of random files, `total` MiB in all (cached). */
async function ensureLayout(total: number): Promise<{ dir: string; bytes: number }> {
  const dir = join(CACHE_DIR, 'pull-push', `layout-${total}m`);
  const markerFile = dir + '.json';
  const m = readMarker<LayoutMarker>(markerFile);
  if (m && m.version === GENERATOR_VERSION && m.mib === total) return { dir, bytes: m.bytes };
  rmSync(dir, { recursive: true, force: true });
  const blobs = ensureDir(join(dir, 'blobs', 'sha256'));
  process.stderr.write(`  generating a ${total} MiB, ${LAYERS}-layer OCI layout in ${dir}\n`);
  const perLayer = Math.floor((total << 20) / LAYERS);
  const layers: { digest: string; size: number; diffId: string }[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const files = [];
    for (let off = 0, f = 0; off < perLayer; off += FILE, f++) {
      const size = Math.min(FILE, perLayer - off);
      files.push({ path: `data/layer${l}/blob${f}.bin`, type: 'file' as const, size, body: () => randomChunks(size) });
    }
    const entries = [{ path: 'data', type: 'dir' as const }, { path: `data/layer${l}`, type: 'dir' as const }, ...files];
    const tmp = join(dir, `.layer${l}`);
    const diff = createHash('sha256');
    const comp = createHash('sha256');
    let size = 0;
    const tar = Readable.from(
      (async function* () {
        for await (const c of layerFromEntries(entries, { setMtime: new Date(Date.UTC(2024, 0, 1)) })) {
          diff.update(c);
          yield c;
        }
      })(),
    );
    const gz = createGzip({ level: 1 });
    gz.on('data', (c: Buffer) => {
      comp.update(c);
      size += c.length;
    });
    await pipeline(tar, gz, createWriteStream(tmp));
    const digest = 'sha256:' + comp.digest('hex');
    spawnSync('mv', [tmp, join(blobs, digest.slice(7))]);
    layers.push({ digest, size, diffId: 'sha256:' + diff.digest('hex') });
  }
  const created = '2024-01-01T00:00:00Z';
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created, created_by: `ADD data/layer${i}` })),
    }),
  );
  writeFileSync(join(blobs, sha(config).slice(7)), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
    }),
  );
  writeFileSync(join(blobs, sha(manifest).slice(7)), manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: MediaType.ociManifest, digest: sha(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }],
    }),
  );
  const bytes = layers.reduce((n, l) => n + l.size, 0) + config.length + manifest.length;
  writeMarker(markerFile, { version: GENERATOR_VERSION, mib: total, bytes } satisfies LayoutMarker);
  return { dir, bytes };
}

function sync(): void {
  spawnSync('sync');
}

function must(what: string, r: ReturnType<typeof spawnSync>): void {
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr?.toString()}`);
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const total = args.scales?.[0] ?? 500;
  const runs = args.runs ?? 3;
  const { dir: layout, bytes } = await ensureLayout(total);
  const work = join(CACHE_DIR, 'pull-push', 'work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const source: RunningRegistry = await startRegistry(join(work, 'source-registry'));
  const res = { berthPull: [] as number[], berthPullRss: [] as number[], skopeoPull: [] as number[], skopeoPullRss: [] as number[] };
  const push = { berth: [] as number[], berthRss: [] as number[], skopeo: [] as number[], skopeoRss: [] as number[] };
  try {
    const ref = `${source.addr}/bench/big:1`;
    must('seeding the registry', spawnSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${ref}`]));
    const root = join(work, 'store');
    for (let i = 0; i < runs; i++) {
      rmSync(root, { recursive: true, force: true });
      sync();
      let r = await runWithPeakRss(process.execPath, [BERTH_MAIN, '--root', root, 'pull', '-q', ref]);
      res.berthPull.push(r.ms);
      res.berthPullRss.push(r.maxRssKiB);
      const dest = join(work, 'skopeo-oci');
      rmSync(dest, { recursive: true, force: true });
      sync();
      r = await runWithPeakRss('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${dest}:bench`]);
      res.skopeoPull.push(r.ms);
      res.skopeoPullRss.push(r.maxRssKiB);
    }
    // Pushes go to an empty registry each time, so every blob is really uploaded.
    for (let i = 0; i < runs; i++) {
      const target = await startRegistry(join(work, `push-registry-${i}`));
      try {
        const tagged = `${target.addr}/bench/big:1`;
        must('tag', spawnSync(process.execPath, [BERTH_MAIN, '--root', root, 'tag', ref, tagged]));
        sync();
        const r = await runWithPeakRss(process.execPath, [BERTH_MAIN, '--root', root, 'push', '-q', tagged]);
        push.berth.push(r.ms);
        push.berthRss.push(r.maxRssKiB);
      } finally {
        await target.stop();
        rmSync(target.dir, { recursive: true, force: true });
      }
      const target2 = await startRegistry(join(work, `skopeo-registry-${i}`));
      try {
        sync();
        const r = await runWithPeakRss('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${target2.addr}/bench/big:1`]);
        push.skopeo.push(r.ms);
        push.skopeoRss.push(r.maxRssKiB);
      } finally {
        await target2.stop();
        rmSync(target2.dir, { recursive: true, force: true });
      }
    }
  } finally {
    await source.stop();
  }
  const rate = (ms: number) => `${((bytes / 2 ** 20) / (ms / 1000)).toFixed(0)} MiB/s`;
  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const kib = (k: number) => mib(k * 1024);
  console.log(`\npull/push of a ${LAYERS}-layer image, ${mib(bytes)} compressed (${statSync(layout).isDirectory() ? 'random data, gzip' : ''}), median of ${runs} runs\n`);
  printTable(
    ['operation', 'berth', 'skopeo copy', 'berth/skopeo', 'berth rate', 'berth peak RSS', 'skopeo peak RSS'],
    [
      [
        'pull (registry → store)',
        sec(median(res.berthPull)),
        sec(median(res.skopeoPull)),
        (median(res.berthPull) / median(res.skopeoPull)).toFixed(2) + 'x',
        rate(median(res.berthPull)),
        kib(Math.max(...res.berthPullRss)),
        kib(Math.max(...res.skopeoPullRss)),
      ],
      [
        'push (store → empty registry)',
        sec(median(push.berth)),
        sec(median(push.skopeo)),
        (median(push.berth) / median(push.skopeo)).toFixed(2) + 'x',
        rate(median(push.berth)),
        kib(Math.max(...push.berthRss)),
        kib(Math.max(...push.skopeoRss)),
      ],
    ],
  );
  console.log(`\nruns (ms): berth pull ${res.berthPull.map((x) => x.toFixed(0)).join(', ')}; skopeo pull ${res.skopeoPull.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`           berth push ${push.berth.map((x) => x.toFixed(0)).join(', ')}; skopeo push ${push.skopeo.map((x) => x.toFixed(0)).join(', ')}`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
