// `load` and `save` of one image of several layers of random (incompressible) data: throughput
// and peak RSS of the berth process, at two or more image sizes (memory must not grow with the
// size), compared with what hashing and the disk do on this machine in the same run.
// Usage: node dist/bench/load-save.js [256,1024] (sizes in MiB) [--runs N]
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { layerFromEntries } from '../src/archive/layer-writer.js';
import { tarStream, type TarInputEntry } from '../src/archive/tar-writer.js';
import { TarType } from '../src/archive/tar-header.js';
import { MediaType } from '../src/image/mediatypes.js';
import {
  BERTH_MAIN,
  CACHE_DIR,
  ensureDir,
  median,
  mustSucceed,
  parseBenchArgs,
  printTable,
  readMarker,
  runWithPeakRss,
  timeRun,
  writeMarker,
} from './lib.js';

const GENERATOR_VERSION = 1;
const LAYERS = 4;
const MAX_FILE = 32 << 20;
const CHUNK = 1 << 20;

interface ArchiveMarker {
  version: number;
  mib: number;
  bytes: number;
  tag: string;
}

async function* randomChunks(size: number): AsyncGenerator<Uint8Array> {
  for (let left = size; left > 0; left -= CHUNK) yield randomBytes(Math.min(CHUNK, left));
}

/** Streams an iterable into a file, returning its sha256 and length. */
async function writeHashed(path: string, src: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
  const fh = await open(path, 'w');
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const c of src) {
      hash.update(c);
      size += c.length;
      await fh.write(c);
    }
  } finally {
    await fh.close();
  }
  return { digest: 'sha256:' + hash.digest('hex'), size };
}

const hex = (d: string) => d.slice(7);

/** A docker save archive (Docker 25+ layout) of one image of LAYERS layers totalling `mib` MiB. */
async function ensureArchive(mib: number): Promise<{ file: string; bytes: number; tag: string }> {
  const dir = ensureDir(join(CACHE_DIR, 'load-save'));
  const file = join(dir, `image-${mib}m.tar`);
  const markerFile = `${file}.json`;
  const m = readMarker<ArchiveMarker>(markerFile);
  if (m && m.version === GENERATOR_VERSION && m.mib === mib) {
    try {
      if (statSync(file).size === m.bytes) return { file, bytes: m.bytes, tag: m.tag };
    } catch {
      /* regenerate */
    }
  }
  process.stderr.write(`  generating a ${mib} MiB image archive in ${file}\n`);
  const tag = `bench/big:${mib}m`;
  const perLayer = Math.floor((mib << 20) / LAYERS);
  const layers: { path: string; digest: string; size: number }[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const files = [];
    for (let off = 0, f = 0; off < perLayer; off += MAX_FILE, f++) {
      const size = Math.min(MAX_FILE, perLayer - off);
      files.push({ path: `data/layer${l}/blob${f}.bin`, type: 'file' as const, size, body: () => randomChunks(size) });
    }
    const entries = [{ path: 'data', type: 'dir' as const }, { path: `data/layer${l}`, type: 'dir' as const }, ...files];
    const path = join(dir, `.layer-${mib}m-${l}.tar`);
    const w = await writeHashed(path, layerFromEntries(entries, { setMtime: new Date(Date.UTC(2024, 0, 1)) }));
    layers.push({ path, ...w });
  }
  const created = '2024-01-01T00:00:00Z';
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] },
      created,
      history: layers.map((_, i) => ({ created, created_by: `/bin/sh -c #(nop) ADD data/layer${i}` })),
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const configDigest = 'sha256:' + createHash('sha256').update(config).digest('hex');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.ociLayer, digest: l.digest, size: l.size })),
    }),
  );
  const manifestDigest = 'sha256:' + createHash('sha256').update(manifest).digest('hex');
  const [repo, tagName] = tag.split(':') as [string, string];
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      {
        mediaType: MediaType.ociManifest,
        digest: manifestDigest,
        size: manifest.length,
        annotations: { 'io.containerd.image.name': `docker.io/${tag}`, 'org.opencontainers.image.ref.name': tagName },
      },
    ],
  };
  const dockerManifest = [
    { Config: `blobs/sha256/${hex(configDigest)}`, RepoTags: [tag], Layers: layers.map((l) => `blobs/sha256/${hex(l.digest)}`) },
  ];
  const mtime = { sec: Date.UTC(2024, 0, 1) / 1000, nsec: 0 };
  const fileEntry = (name: string, body: Buffer): TarInputEntry => ({ header: { name, type: TarType.File, mode: 0o644, size: body.length, mtime }, body });
  const entries: TarInputEntry[] = [
    { header: { name: 'blobs/', type: TarType.Dir, mode: 0o755, mtime } },
    { header: { name: 'blobs/sha256/', type: TarType.Dir, mode: 0o755, mtime } },
    ...layers.map(
      (l): TarInputEntry => ({
        header: { name: `blobs/sha256/${hex(l.digest)}`, type: TarType.File, mode: 0o644, size: l.size, mtime },
        body: () => createReadStream(l.path, { highWaterMark: CHUNK }),
      }),
    ),
    fileEntry(`blobs/sha256/${hex(configDigest)}`, config),
    fileEntry(`blobs/sha256/${hex(manifestDigest)}`, manifest),
    fileEntry('index.json', Buffer.from(JSON.stringify(index))),
    fileEntry('manifest.json', Buffer.from(JSON.stringify(dockerManifest))),
    fileEntry('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')),
    fileEntry('repositories', Buffer.from(JSON.stringify({ [repo]: { [tagName]: hex(layers[LAYERS - 1]!.digest) } }))),
  ];
  const w = await writeHashed(file + '.tmp', tarStream(entries));
  for (const l of layers) rmSync(l.path, { force: true });
  rmSync(file, { force: true });
  spawnSync('mv', [file + '.tmp', file]);
  writeMarker(markerFile, { version: GENERATOR_VERSION, mib, bytes: w.size, tag } satisfies ArchiveMarker);
  return { file, bytes: w.size, tag };
}

/** Flushes dirty pages so that one run's writeback does not land in the next run's time. */
function sync(): void {
  spawnSync('sync');
}

interface Result {
  mib: number;
  bytes: number;
  load: number;
  loadRss: number;
  save: number;
  saveRss: number;
  cat: number;
  sha256sum: number;
  nodeSha: number;
  ddSync: number;
  dd: number;
}

/** Single-threaded sha256 in node (OpenSSL), the hash berth itself uses, over the cached file. */
async function nodeSha256(file: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const hash = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: CHUNK })) hash.update(c as Buffer);
  hash.digest();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function measure(mib: number, runs: number): Promise<Result> {
  const { file, bytes, tag } = await ensureArchive(mib);
  const work = ensureDir(join(CACHE_DIR, 'load-save', 'work'));
  const root = join(work, 'store');
  const out = join(work, 'saved.tar');
  const copy = join(work, 'copy.tar');
  const r: Record<'load' | 'loadRss' | 'save' | 'saveRss' | 'cat' | 'sha256sum' | 'nodeSha' | 'ddSync' | 'dd', number[]> = {
    load: [],
    loadRss: [],
    save: [],
    saveRss: [],
    cat: [],
    sha256sum: [],
    nodeSha: [],
    ddSync: [],
    dd: [],
  };
  mustSucceed('cat', timeRun('cat', [file], { stdout: 'ignore' }));
  for (let i = 0; i < runs; i++) {
    sync();
    r.cat.push(mustSucceed('cat', timeRun('cat', [file], { stdout: 'ignore' })).ms);
    r.sha256sum.push(mustSucceed('sha256sum', timeRun('sha256sum', [file])).ms);
    r.nodeSha.push(await nodeSha256(file));
    sync();
    r.ddSync.push(mustSucceed('dd', timeRun('dd', [`if=${file}`, `of=${copy}`, 'bs=1M', 'conv=fsync'])).ms);
    rmSync(copy, { force: true });
    sync();
    r.dd.push(mustSucceed('dd', timeRun('dd', [`if=${file}`, `of=${copy}`, 'bs=1M'])).ms);
    rmSync(copy, { force: true });

    rmSync(root, { recursive: true, force: true });
    sync();
    const l = await runWithPeakRss(process.execPath, [BERTH_MAIN, '--root', root, 'load', '-i', file]);
    r.load.push(l.ms);
    r.loadRss.push(l.maxRssKiB);
    sync();
    const s = await runWithPeakRss(process.execPath, [BERTH_MAIN, '--root', root, 'save', '-o', out, tag]);
    r.save.push(s.ms);
    r.saveRss.push(s.maxRssKiB);
    if (i === 0 && statSync(out).size < bytes * 0.99) throw new Error(`save wrote ${statSync(out).size} bytes, archive has ${bytes}`);
    rmSync(out, { force: true });
  }
  rmSync(root, { recursive: true, force: true });
  const med = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)])) as Record<keyof typeof r, number>;
  return { mib, bytes, ...med };
}

const rate = (bytes: number, msec: number) => `${(bytes / 2 ** 20 / (msec / 1000)).toFixed(0)} MiB/s`;
const secs = (msec: number) => `${(msec / 1000).toFixed(2)} s`;
const rss = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const sizes = args.scales ?? [256, 1024];
  const runs = args.runs ?? 3;
  const results: Result[] = [];
  for (const mib of sizes) {
    process.stderr.write(`load-save: ${mib} MiB image, ${runs} runs\n`);
    results.push(await measure(mib, runs));
  }
  console.log(`\nload-save: median of ${runs} runs; archive of ${LAYERS} uncompressed layers of random data (page cache warm)\n`);
  printTable(
    ['image', 'load', 'load rate', 'load peak RSS', 'save -o', 'save rate', 'save peak RSS'],
    results.map((x) => [`${x.mib} MiB`, secs(x.load), rate(x.bytes, x.load), rss(x.loadRss), secs(x.save), rate(x.bytes, x.save), rss(x.saveRss)]),
  );
  console.log('\nthe machine, same file, same run:\n');
  printTable(
    ['image', 'cat >/dev/null', 'sha256sum', 'node sha256', 'dd copy', 'dd copy+fsync'],
    results.map((x) => [`${x.mib} MiB`, rate(x.bytes, x.cat), rate(x.bytes, x.sha256sum), rate(x.bytes, x.nodeSha), rate(x.bytes, x.dd), rate(x.bytes, x.ddSync)]),
  );
  console.log(
    '\nbounds: load must hash every byte once and write it durably, so it can at best overlap the two\n' +
      '(max(node sha256, dd copy+fsync)) and at worst do them one after the other (their sum);\n' +
      'save must read and write every byte (dd copy, no fsync, as save -o does not fsync).\n',
  );
  printTable(
    ['image', 'load bound', 'load vs overlapped', 'load vs sequential', 'save bound', 'save vs dd'],
    results.map((x) => {
      const overlapped = Math.max(x.nodeSha, x.ddSync);
      const sequential = x.nodeSha + x.ddSync;
      return [
        `${x.mib} MiB`,
        `${secs(overlapped)}-${secs(sequential)}`,
        `${((overlapped / x.load) * 100).toFixed(0)}%`,
        `${((sequential / x.load) * 100).toFixed(0)}%`,
        secs(x.dd),
        `${((x.dd / x.save) * 100).toFixed(0)}%`,
      ];
    }),
  );
  if (results.length >= 2) {
    const a = results[0]!;
    const b = results[results.length - 1]!;
    console.log(
      `\npeak RSS from ${a.mib} MiB to ${b.mib} MiB (x${(b.mib / a.mib).toFixed(0)} data): load ${rss(a.loadRss)} -> ${rss(b.loadRss)}, save ${rss(a.saveRss)} -> ${rss(b.saveRss)}`,
    );
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
