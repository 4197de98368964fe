// `pull` and `push` of one image of 5 layers (~500 MiB of incompressible data, gzip) against a
// local distribution registry, berth against `skopeo copy` in the same run, with berth's peak RSS.
// Pull: berth pull into an empty store vs skopeo copy docker:// → oci: (skopeo neither decompresses
// nor computes diff IDs; berth does both, and fsyncs). Push: from berth's store vs skopeo copy oci: →
// docker://, each run into an empty registry.
// Usage: node dist/bench/pull-push.js [MIB] [--runs N]   (default 500 MiB, 3 runs)
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { layerFromEntries } from '../src/archive/layer-writer.js';
import { MediaType } from '../src/image/mediatypes.js';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { BERTH_MAIN, CACHE_DIR, ensureDir, median, mib, parseBenchArgs, printTable, readMarker, writeMarker } from './lib.js';

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

interface Run {
  ms: number;
  /** user + system CPU time of the process (and its threads), ms */
  cpuMs: number;
  maxRssKiB: number;
}

/** Runs a command under GNU time: wall time, CPU time and peak RSS. */
function timed(cmd: string, args: string[]): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const lines = r.stderr.toString().trim().split('\n');
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${lines.join('\n')}`);
  const [u, sy, m] = lines[lines.length - 1]!.split(' ').map(Number);
  return { ms, cpuMs: (u! + sy!) * 1000, maxRssKiB: m! };
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
  const runs_ = { berthPull: [] as Run[], skopeoPull: [] as Run[], berthPush: [] as Run[], skopeoPush: [] as Run[] };
  try {
    const ref = `${source.addr}/bench/big:1`;
    must('seeding the registry', spawnSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${ref}`]));
    const root = join(work, 'store');
    for (let i = 0; i < runs; i++) {
      rmSync(root, { recursive: true, force: true });
      sync();
      runs_.berthPull.push(timed(process.execPath, [BERTH_MAIN, '--root', root, 'pull', '-q', ref]));
      const dest = join(work, 'skopeo-oci');
      rmSync(dest, { recursive: true, force: true });
      sync();
      runs_.skopeoPull.push(timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${dest}:bench`]));
    }
    // Pushes go to an empty registry each time, so every blob is really uploaded.
    for (let i = 0; i < runs; i++) {
      const target = await startRegistry(join(work, `push-registry-${i}`));
      try {
        const tagged = `${target.addr}/bench/big:1`;
        must('tag', spawnSync(process.execPath, [BERTH_MAIN, '--root', root, 'tag', ref, tagged]));
        sync();
        runs_.berthPush.push(timed(process.execPath, [BERTH_MAIN, '--root', root, 'push', '-q', tagged]));
      } finally {
        await target.stop();
        rmSync(target.dir, { recursive: true, force: true });
      }
      const target2 = await startRegistry(join(work, `skopeo-registry-${i}`));
      try {
        sync();
        runs_.skopeoPush.push(timed('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${target2.addr}/bench/big:1`]));
      } finally {
        await target2.stop();
        rmSync(target2.dir, { recursive: true, force: true });
      }
    }
  } finally {
    await source.stop();
  }
  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const med = (xs: Run[], k: keyof Run) => median(xs.map((x) => x[k]));
  const min = (xs: Run[]) => Math.min(...xs.map((x) => x.ms));
  const rssMax = (xs: Run[]) => mib(Math.max(...xs.map((x) => x.maxRssKiB)) * 1024);
  const row = (name: string, b: Run[], k: Run[]) => [
    name,
    sec(med(b, 'ms')),
    sec(med(k, 'ms')),
    (med(b, 'ms') / med(k, 'ms')).toFixed(2) + 'x',
    `${sec(min(b))} / ${sec(min(k))}`,
    `${sec(med(b, 'cpuMs'))} / ${sec(med(k, 'cpuMs'))}`,
    `${((bytes / 2 ** 20) / (med(b, 'ms') / 1000)).toFixed(0)} MiB/s`,
    `${rssMax(b)} / ${rssMax(k)}`,
  ];
  console.log(`\npull/push of a ${LAYERS}-layer image, ${mib(bytes)} compressed (random data, gzip), ${runs} runs, berth and skopeo alternating\n`);
  printTable(
    ['operation', 'berth', 'skopeo copy', 'berth/skopeo', 'fastest (b / s)', 'CPU time (b / s)', 'berth rate', 'peak RSS (b / s)'],
    [row('pull (registry -> store)', runs_.berthPull, runs_.skopeoPull), row('push (store -> empty registry)', runs_.berthPush, runs_.skopeoPush)],
  );
  console.log(`\nwall ms: berth pull ${runs_.berthPull.map((x) => x.ms.toFixed(0)).join(', ')}; skopeo pull ${runs_.skopeoPull.map((x) => x.ms.toFixed(0)).join(', ')}`);
  console.log(`         berth push ${runs_.berthPush.map((x) => x.ms.toFixed(0)).join(', ')}; skopeo push ${runs_.skopeoPush.map((x) => x.ms.toFixed(0)).join(', ')}`);
  console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (other work on the machine skews wall times)`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
