// --cache-to / --cache-from type=local: the build cache of one build as an OCI image layout
// (one manifest per cached step, keyed by an annotation), so another machine's store can
// import it and hit the same steps.

import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Store, Lease, NewLayer } from '../store/store.js';
import type { Digest } from '../image/digest.js';
import { digestHex } from '../image/digest.js';
import { MediaType } from '../image/mediatypes.js';
import type { Descriptor, ImageIndex, Manifest } from '../image/types.js';
import { invalidArgument } from '../image/errors.js';
import { BuildCache } from './build-cache.js';

const KEY = 'io.berth.build.cache.key';
const DESC = 'io.berth.build.cache.description';
const DIFF = 'io.berth.layer.diffid';
const SIZE = 'io.berth.layer.size';
const TARSIZE = 'io.berth.layer.tarsize';

export interface CacheEntryRef {
  key: string;
  imageId: Digest;
  layers: NewLayer[];
  description: string;
}

function blobPath(dir: string, d: Digest): string {
  return join(dir, 'blobs', 'sha256', digestHex(d));
}

function writeBlob(dir: string, data: Buffer): Descriptor {
  const digest = 'sha256:' + createHash('sha256').update(data).digest('hex');
  const p = blobPath(dir, digest);
  if (!existsSync(p)) writeFileSync(p, data);
  return { mediaType: '', digest, size: data.length };
}

/** Writes the entries (config and layer blobs, one manifest each) into an OCI layout directory. */
export function exportCache(store: Store, entries: CacheEntryRef[], dir: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const manifests: Descriptor[] = [];
  let previous: ImageIndex | undefined;
  try {
    previous = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  } catch {
    previous = undefined;
  }
  const keys = new Set(entries.map((e) => e.key));
  for (const m of previous?.manifests ?? []) if (m.annotations?.[KEY] && !keys.has(m.annotations[KEY])) manifests.push(m);
  for (const e of entries) {
    const copy = (d: Digest) => {
      const p = blobPath(dir, d);
      if (!existsSync(p)) copyFileSync(store.content.path(d), p);
    };
    copy(e.imageId);
    const layers: Descriptor[] = e.layers.map((l) => {
      const b = l.blobs[0]!;
      copy(b.digest);
      return { mediaType: b.mediaType, digest: b.digest, size: store.content.size(b.digest) ?? 0, annotations: { [DIFF]: l.diffId, [SIZE]: String(l.size), [TARSIZE]: String(l.tarSize) } };
    });
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.dockerConfig, digest: e.imageId, size: store.content.size(e.imageId) ?? 0 },
      layers,
    };
    const d = writeBlob(dir, Buffer.from(JSON.stringify(manifest)));
    manifests.push({ mediaType: MediaType.ociManifest, digest: d.digest, size: d.size, annotations: { [KEY]: e.key, [DESC]: e.description } });
  }
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json.tmp'), JSON.stringify(index));
  renameSync(join(dir, 'index.json.tmp'), join(dir, 'index.json'));
}

/** Imports the cache entries of an OCI layout directory into the store's build cache. */
export async function importCache(store: Store, lease: Lease, dir: string): Promise<number> {
  let index: ImageIndex;
  try {
    index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  } catch (err) {
    throw invalidArgument(`cache source ${dir}: not an OCI layout with a build cache: ${(err as Error).message}`, err);
  }
  const cache = new BuildCache(store);
  const has = store.db.prepare('SELECT 1 FROM build_cache WHERE key = ?').pluck();
  let n = 0;
  const put = async (d: Digest) => {
    if (store.content.claim(lease, d)) return;
    await store.content.write(lease, createReadStream(blobPath(dir, d)) as AsyncIterable<Buffer>, { expected: d });
  };
  for (const m of index.manifests) {
    const key = m.annotations?.[KEY];
    if (!key || has.get(key) !== undefined) continue;
    try {
      const manifest = JSON.parse(readFileSync(blobPath(dir, m.digest), 'utf8')) as Manifest;
      const layers: NewLayer[] = [];
      for (const l of manifest.layers) {
        await put(l.digest);
        const a = l.annotations ?? {};
        // Layers are kept uncompressed, so their diff ID is their digest; anything else is refused.
        if ((a[DIFF] ?? l.digest) !== l.digest) throw invalidArgument('cache layer diff ID does not match its content');
        layers.push({ diffId: a[DIFF] ?? l.digest, size: Number(a[SIZE] ?? 0), tarSize: Number(a[TARSIZE] ?? l.size), blobs: [{ digest: l.digest, mediaType: l.mediaType }] });
      }
      await put(manifest.config.digest);
      store.tx(() => {
        cache.putLayers(layers);
        cache.record(key, manifest.config.digest, layers, m.annotations?.[DESC] ?? '');
      });
      n++;
    } catch {
      // A damaged entry only costs its step a rebuild.
    }
  }
  return n;
}

/** --cache-to type=registry: the layout's blobs, manifests and index pushed under ref. */
export async function pushCacheLayout(dir: string, ref: string): Promise<void> {
  const { RegistrySink } = await import('../transport/registry-sink.js');
  const { parseNormalizedNamed } = await import('../image/reference.js');
  const named = parseNormalizedNamed(ref);
  const sink = RegistrySink.forReference(named);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  const uploaded = new Set<string>();
  const upload = async (d: Descriptor) => {
    if (uploaded.has(d.digest)) return;
    uploaded.add(d.digest);
    if (await sink.has(d.digest)) return;
    const p = blobPath(dir, d.digest);
    await sink.upload(d, (start, end) => createReadStream(p, { start, end }));
  };
  for (const m of index.manifests) {
    const bytes = readFileSync(blobPath(dir, m.digest));
    const manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
    for (const l of manifest.layers) await upload(l);
    await upload(manifest.config);
    await sink.putManifest(m.digest, bytes, MediaType.ociManifest);
  }
  const tag = 'tag' in named && (named as { tag?: string }).tag ? (named as { tag: string }).tag : 'latest';
  await sink.putManifest(tag, Buffer.from(JSON.stringify(index)), MediaType.ociIndex);
}

/** --cache-from type=registry: the cache index at ref fetched into a local layout directory. */
export async function pullCacheLayout(ref: string, dir: string): Promise<boolean> {
  const { RegistrySource } = await import('../transport/registry-source.js');
  const { parseNormalizedNamed } = await import('../image/reference.js');
  const named = parseNormalizedNamed(ref);
  const src = RegistrySource.forReference(named);
  const tag = 'tag' in named && (named as { tag?: string }).tag ? (named as { tag: string }).tag : 'latest';
  let doc;
  try {
    doc = await src.resolve(tag);
  } catch {
    return false;
  }
  if (doc.kind !== 'index') return false;
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const { createWriteStream } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  const { Readable } = await import('node:stream');
  const fetchBlob = async (d: Descriptor) => {
    const p = blobPath(dir, d.digest);
    if (existsSync(p)) return;
    await pipeline(Readable.from(src.blob(d)), createWriteStream(p + '.tmp'));
    renameSync(p + '.tmp', p);
  };
  for (const m of doc.index.manifests) {
    if (!m.annotations?.[KEY]) continue;
    const md = await src.fetch(m);
    if (md.kind !== 'manifest') continue;
    writeFileSync(blobPath(dir, m.digest), md.bytes);
    for (const l of md.manifest.layers) await fetchBlob(l);
    await fetchBlob(md.manifest.config);
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify(doc.index));
  return true;
}

export interface CacheSpec {
  type: 'local' | 'registry' | 'inline';
  attrs: Record<string, string>;
}

/** "type=local,src=dir" / "type=registry,ref=x" / a bare reference (registry). */
export function parseCacheSpec(s: string): CacheSpec {
  if (!s.includes('=')) return { type: 'registry', attrs: { ref: s } };
  const attrs: Record<string, string> = {};
  for (const f of s.split(',')) {
    const i = f.indexOf('=');
    attrs[f.slice(0, i).trim()] = f.slice(i + 1).trim();
  }
  const type = attrs.type ?? 'registry';
  if (type !== 'local' && type !== 'registry' && type !== 'inline') throw invalidArgument(`unsupported cache type "${type}": berth supports type=local and type=registry`);
  return { type, attrs };
}
