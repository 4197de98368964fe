import type { EngineCore } from './engine.js';
import type { ProgressFn } from './types.js';
import type { Store, Lease, NewImage, NewLayer } from '../store/store.js';
import { ingestArchive, archiveFile, type IngestedArchive, type IngestedFile } from '../transport/archive-ingest.js';
import { decompressAuto } from '../archive/compression.js';
import { commitImages, type ImageToCommit } from './commit-images.js';
import { imageEvent } from './events.js';
import { BerthError, corrupt, invalidArgument, isKind } from '../image/errors.js';
import { parseNormalizedNamed } from '../image/reference.js';
import { filterManifests, type PlatformLike } from '../image/platform.js';
import { MediaType, isIndexType, isManifestType } from '../image/mediatypes.js';
import type { Descriptor, ImageConfig, ImageIndex, Manifest } from '../image/types.js';
import { digestHex } from '../image/digest.js';

export interface LoadOptions {
  platform?: PlatformLike;
  progress?: ProgressFn;
  /** Load only the image the archive names so (a tag, or an OCI ref.name). */
  select?: string;
  /** Tag the loaded image with this reference instead of the archive's names. */
  retag?: string;
}

export interface LoadResult {
  /** The lines Docker prints, in order ("Loaded image: …", rename notices, "Loaded image ID: …"). */
  lines: string[];
  images: string[];
}

interface Planned {
  commit: ImageToCommit;
  parent?: string;
  /** The names the archive gives the image, as written there. */
  names: string[];
}

/**
 * `load`: reads a docker save archive (20.10 or 25+ layout) or an OCI image layout archive,
 * plain or compressed, in one streaming pass; validates it whole; then records every image and tag
 * in one transaction. On any error nothing is recorded and what was written is reclaimed.
 */
export async function loadImages(engine: EngineCore, input: AsyncIterable<Buffer>, opts: LoadOptions = {}): Promise<LoadResult> {
  const store = engine.store;
  const lease = store.lease('load');
  try {
    let archive: IngestedArchive;
    try {
      const { stream } = await decompressAuto(input);
      archive = await ingestArchive(store, lease, stream, opts.progress);
    } catch (err) {
      if (err instanceof BerthError && err.kind !== 'corrupt') throw err;
      throw new BerthError('invalid-argument', `Error processing tar file(exit status 1): ${tarReason(err)}`, { cause: err });
    }
    const planned = archive.meta.has('manifest.json')
      ? await planDockerArchive(store, archive)
      : archive.meta.has('index.json')
        ? await planOciLayout(store, archive, opts.platform)
        : undefined;
    if (!planned) {
      throw invalidArgument('invalid archive: it holds neither manifest.json (docker save) nor index.json (OCI layout)');
    }
    if (opts.select !== undefined || opts.retag !== undefined) narrow(planned, opts.select, opts.retag);
    const ids = new Set(planned.map((p) => p.commit.image.id));
    for (const p of planned) if (p.parent && ids.has(p.parent)) p.commit.image.parent = p.parent;
    const moves = store.tx(() => {
      const m = commitImages(store, planned.map((p) => p.commit));
      for (const p of planned) imageEvent(store, 'load', p.commit.image.id);
      return m;
    });
    const lines: string[] = [];
    for (const m of moves) {
      if (m.previous) {
        lines.push(`The image ${m.tag} already exists, renaming the old one with ID ${m.previous} to empty string`);
      }
      lines.push(`Loaded image: ${m.tag}`);
    }
    if (moves.length === 0) for (const p of planned) lines.push(`Loaded image ID: ${p.commit.image.id}`);
    return { lines, images: planned.map((p) => p.commit.image.id) };
  } finally {
    store.release(lease);
    store.gc.opportunistic();
  }
}

/** Keeps the selected image only, and gives it the requested tag. */
function narrow(planned: Planned[], select: string | undefined, retag: string | undefined): void {
  let keep = planned;
  if (select !== undefined) {
    const wanted = safeTag(select);
    keep = planned.filter((p) => p.names.includes(select) || (wanted && p.commit.tags.some((t) => t.repo === wanted.repo && t.tag === wanted.tag)));
    if (keep.length === 0) throw new BerthError('not-found', `no image named "${select}" in the archive`);
  } else if (planned.length > 1) {
    throw invalidArgument(`the archive holds ${planned.length} images: name the one to copy`);
  }
  planned.splice(0, planned.length, ...keep.slice(0, 1));
  if (retag !== undefined) planned[0]!.commit.tags = [parseRepoTag(parseNormalizedNamed(retag).tagNameOnly().toString())];
}

function safeTag(s: string): { repo: string; tag: string } | undefined {
  try {
    return parseRepoTag(parseNormalizedNamed(s).tagNameOnly().toString());
  } catch {
    return undefined;
  }
}

function tarReason(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return /unexpected EOF|truncated/i.test(m) ? 'unexpected EOF' : m;
}

function parseJson<T>(buf: Buffer | undefined, what: string): T {
  if (!buf) throw invalidArgument(`invalid archive: ${what} is missing`);
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (err) {
    throw invalidArgument(`invalid archive: ${what} is not valid JSON: ${(err as Error).message}`);
  }
}

async function readConfig(store: Store, file: IngestedFile, where: string): Promise<ImageConfig> {
  const cfg = parseJson<ImageConfig>(await store.content.readBuffer(file.digest), where);
  if (!cfg || typeof cfg !== 'object' || !cfg.rootfs || !Array.isArray(cfg.rootfs.diff_ids)) {
    throw invalidArgument('invalid image JSON, no RootFS key');
  }
  if (cfg.os && cfg.os !== 'linux') throw invalidArgument(`cannot load ${cfg.os} image on linux`);
  return cfg;
}

function layerFromFile(file: IngestedFile | undefined, index: number, expected: string, path: string, ociType?: string): NewLayer {
  if (!file) throw invalidArgument(`invalid archive: layer ${path} is missing`);
  if (!file.layer) throw invalidArgument(`invalid archive: layer ${path} is not a tar archive`);
  if (file.layer.diffId !== expected) {
    throw invalidArgument(`invalid diffID for layer ${index}: expected "${expected}", got "${file.layer.diffId}"`);
  }
  const c = file.layer.compression;
  const mediaType =
    ociType ??
    (c === 'gzip' ? MediaType.dockerLayerGzip : c === 'zstd' ? MediaType.ociLayerZstd : c === 'none' ? MediaType.dockerLayer : '');
  if (!mediaType) throw invalidArgument(`invalid archive: layer ${path} uses unsupported ${c} compression`);
  return { diffId: expected, size: file.layer.size, tarSize: file.layer.tarSize, blobs: [{ digest: file.digest, mediaType }] };
}

function parseRepoTag(s: string): { repo: string; tag: string } {
  let ref;
  try {
    ref = parseNormalizedNamed(s);
  } catch {
    throw invalidArgument(`invalid tag "${s}"`);
  }
  if (ref.tag === undefined || ref.digest !== undefined) throw invalidArgument(`invalid tag "${s}"`);
  return { repo: ref.name, tag: ref.tag };
}

interface DockerManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  Parent?: string;
}

async function planDockerArchive(store: Store, a: IngestedArchive): Promise<Planned[]> {
  const items = parseJson<DockerManifestItem[]>(a.meta.get('manifest.json'), 'manifest.json');
  if (!Array.isArray(items)) throw invalidArgument('invalid archive: manifest.json is not a list');
  const out: Planned[] = [];
  for (const m of items) {
    if (!m || typeof m.Config !== 'string' || !Array.isArray(m.Layers)) {
      throw invalidArgument('invalid archive: malformed entry in manifest.json');
    }
    const cfgFile = archiveFile(a, m.Config);
    if (!cfgFile) throw invalidArgument(`invalid archive: config ${m.Config} is missing`);
    const config = await readConfig(store, cfgFile, m.Config);
    const diffIds = config.rootfs.diff_ids;
    if (m.Layers.length !== diffIds.length) {
      throw invalidArgument(`invalid manifest, layers length mismatch: expected ${m.Layers.length}, got ${diffIds.length}`);
    }
    const layers = m.Layers.map((p, i) => layerFromFile(archiveFile(a, p), i, diffIds[i]!, p));
    const image: NewImage = { id: cfgFile.digest, config, layers };
    out.push({ commit: { image, tags: (m.RepoTags ?? []).map(parseRepoTag) }, parent: m.Parent || undefined, names: m.RepoTags ?? [] });
  }
  return out;
}

function blobPath(d: Descriptor): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(d.digest)) throw invalidArgument(`invalid archive: unsupported digest ${d.digest}`);
  return `blobs/sha256/${digestHex(d.digest)}`;
}

function blobOf(a: IngestedArchive, d: Descriptor): IngestedFile {
  const f = archiveFile(a, blobPath(d));
  if (!f) throw invalidArgument(`invalid archive: blob ${d.digest} is missing`);
  if (f.digest !== d.digest) throw corrupt(`invalid archive: blob ${d.digest} has digest ${f.digest}`);
  return f;
}

function imageName(d: Descriptor): string | undefined {
  const ann = d.annotations ?? {};
  const full = ann['io.containerd.image.name'];
  if (full) return full;
  const refName = ann['org.opencontainers.image.ref.name'];
  // A bare tag such as "latest" names no repository; only a full reference can be a tag.
  if (refName && /[/:]/.test(refName)) return refName;
  return undefined;
}

async function planOciLayout(store: Store, a: IngestedArchive, platform?: PlatformLike): Promise<Planned[]> {
  const index = parseJson<ImageIndex>(a.meta.get('index.json'), 'index.json');
  if (!index || !Array.isArray(index.manifests)) throw invalidArgument('invalid archive: index.json has no manifests');
  const out: Planned[] = [];
  const byImage = new Map<string, Planned>();
  for (const top of index.manifests) {
    const name = imageName(top);
    let desc = top;
    for (let depth = 0; isIndexType(desc.mediaType) && depth < 4; depth++) {
      const child = parseJson<ImageIndex>(await store.content.readBuffer(blobOf(a, desc).digest), `index ${desc.digest}`);
      const picked = filterManifests((child.manifests ?? []).filter((m) => isManifestType(m.mediaType) || isIndexType(m.mediaType)), platform ?? {});
      if (picked.length === 0) throw new BerthError('not-found', `no match for platform in manifest ${desc.digest}: not found`);
      desc = picked[0]!;
    }
    if (!isManifestType(desc.mediaType)) continue;
    const mf = blobOf(a, desc);
    const manifest = parseJson<Manifest>(await store.content.readBuffer(mf.digest), `manifest ${desc.digest}`);
    const cfgFile = blobOf(a, manifest.config);
    const config = await readConfig(store, cfgFile, `config ${manifest.config.digest}`);
    const diffIds = config.rootfs.diff_ids;
    if (manifest.layers.length !== diffIds.length) {
      throw invalidArgument(`invalid manifest, layers length mismatch: expected ${manifest.layers.length}, got ${diffIds.length}`);
    }
    const layers = manifest.layers.map((l, i) => layerFromFile(blobOf(a, l), i, diffIds[i]!, l.digest, l.mediaType));
    let p = byImage.get(cfgFile.digest);
    if (!p) {
      p = {
        commit: {
          image: { id: cfgFile.digest, config, layers, manifests: [{ digest: mf.digest, mediaType: desc.mediaType }] },
          tags: [],
        },
        names: [],
      };
      byImage.set(cfgFile.digest, p);
      out.push(p);
    }
    const refName = top.annotations?.['org.opencontainers.image.ref.name'];
    if (refName) p.names.push(refName);
    if (name) {
      p.names.push(name);
      try {
        p.commit.tags.push(parseRepoTag(parseNormalizedNamed(name).tagNameOnly().toString()));
      } catch (err) {
        if (!isKind(err, 'invalid-argument')) throw err;
      }
    }
  }
  return out;
}

export type { Lease };
