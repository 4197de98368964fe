import type { TarInputEntry, TarBodySource } from '../archive/tar-writer.js';
import { TarType } from '../archive/tar-header.js';
import type { ImageConfig, Manifest, Descriptor, ImageIndex } from '../image/types.js';
import { MediaType } from '../image/mediatypes.js';
import { goMarshal, sortedKeys } from '../image/gojson.js';
import { sha256, digestHex } from '../image/digest.js';
import { familiarRef, familiarRepo } from '../image/familiar.js';
import { v1Ids } from './v1-id.js';

export interface ArchiveLayer {
  diffId: string;
  chainId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** Opens the uncompressed tar when the archive writer reaches it. */
  open: () => AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
  /** For OCI layouts: the stored (possibly compressed) blob to write as is. */
  stored?: { digest: string; size: number; mediaType: string; open: () => AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>> };
}

export interface ArchiveImage {
  id: string;
  configRaw: Buffer;
  config: ImageConfig;
  layers: ArchiveLayer[];
  /** Canonical tags (repo, tag) to record. */
  tags: { repo: string; tag: string }[];
  parent?: string;
}

const DIR_MODE = 0o755;
const FILE_MODE = 0o644;
const LAYOUT = '{"imageLayoutVersion": "1.0.0"}';

function secondsOf(iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

interface BlobEntry {
  hex: string;
  size: number;
  mtime: number;
  body: TarBodySource;
}

function platformOf(cfg: ImageConfig): Record<string, unknown> {
  const p: Record<string, unknown> = { architecture: cfg.architecture, os: cfg.os };
  if (cfg['os.version']) p['os.version'] = cfg['os.version'];
  if (cfg['os.features']) p['os.features'] = cfg['os.features'];
  if (cfg.variant) p.variant = cfg.variant;
  return p;
}

/**
 * The entries of an archive as current Docker's `docker save` writes it: an OCI image layout
 * (oci-layout, index.json, blobs/sha256/… with uncompressed layers) that also carries the
 * docker-archive manifest.json and repositories files. With `oci`, a plain OCI layout whose
 * layers are the stored blobs (compressed when they were pulled compressed).
 */
export interface ArchiveOptions {
  format?: 'docker' | 'oci';
  /** For OCI layouts written by `copy`: the org.opencontainers.image.ref.name to record, as given. */
  refName?: string;
}

export function dockerArchiveEntries(images: ArchiveImage[], opts: ArchiveOptions = {}): TarInputEntry[] {
  const format = opts.format ?? 'docker';
  const blobs = new Map<string, BlobEntry>();
  const indexManifests: Descriptor[] = [];
  const manifestJson: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const savedIds = new Set(images.map((i) => i.id));

  for (const img of images) {
    const created = secondsOf(img.config.created);
    blobs.set(digestHex(img.id), { hex: digestHex(img.id), size: img.configRaw.length, mtime: created, body: img.configRaw });
    const layerDescs: Descriptor[] = [];
    for (const l of img.layers) {
      if (format === 'oci' && l.stored) {
        const s = l.stored;
        blobs.set(digestHex(s.digest), { hex: digestHex(s.digest), size: s.size, mtime: created, body: () => s.open() });
        layerDescs.push({ mediaType: s.mediaType, digest: s.digest, size: s.size });
      } else {
        blobs.set(digestHex(l.diffId), { hex: digestHex(l.diffId), size: l.tarSize, mtime: created, body: () => l.open() });
        layerDescs.push({ mediaType: MediaType.ociLayer, digest: l.diffId, size: l.tarSize });
      }
    }
    const platform = platformOf(img.config);
    const manifest: Manifest & { config: Descriptor & { platform?: unknown } } = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: img.id, size: img.configRaw.length },
      layers: layerDescs,
    };
    if (format === 'docker') (manifest.config as unknown as Record<string, unknown>).platform = platform;
    const raw = Buffer.from(goMarshal(manifest));
    const mdigest = sha256(raw);
    blobs.set(digestHex(mdigest), { hex: digestHex(mdigest), size: raw.length, mtime: 0, body: raw });
    const desc = (annotations?: Record<string, string>): Descriptor => {
      const d: Record<string, unknown> = { mediaType: MediaType.ociManifest, digest: mdigest, size: raw.length };
      if (annotations) d.annotations = annotations;
      if (format === 'docker') d.platform = platform;
      return d as unknown as Descriptor;
    };
    const repoTags: string[] = [];
    const v1 = img.layers.length ? v1Ids(img.config, img.layers.map((l) => l.chainId)) : [];
    for (const t of img.tags) {
      const fam = familiarRepo(t.repo);
      const name = familiarRef(t.repo, t.tag, null);
      repoTags.push(name);
      indexManifests.push(
        desc({ 'io.containerd.image.name': `${t.repo}:${t.tag}`, 'org.opencontainers.image.ref.name': t.tag }),
      );
      if (v1.length) (repositories[fam] ??= {})[t.tag] = digestHex(v1[v1.length - 1]!);
    }
    if (opts.refName !== undefined) indexManifests.splice(indexManifests.length - img.tags.length, img.tags.length, desc({ 'org.opencontainers.image.ref.name': opts.refName }));
    else if (img.tags.length === 0) indexManifests.push(desc());
    const item: Record<string, unknown> = {
      Config: `blobs/sha256/${digestHex(img.id)}`,
      RepoTags: repoTags.length ? repoTags : null,
      Layers: layerDescs.map((d) => `blobs/sha256/${digestHex(d.digest)}`),
    };
    if (img.parent && savedIds.has(img.parent)) item.Parent = img.parent;
    manifestJson.push(item);
  }

  const entries: TarInputEntry[] = [
    { header: { name: 'blobs/', type: TarType.Dir, mode: DIR_MODE, format: 'pax' } },
    { header: { name: 'blobs/sha256/', type: TarType.Dir, mode: DIR_MODE, format: 'pax' } },
  ];
  for (const b of [...blobs.values()].sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0))) {
    entries.push({
      header: { name: `blobs/sha256/${b.hex}`, type: TarType.File, mode: FILE_MODE, size: b.size, mtime: { sec: b.mtime, nsec: 0 }, format: 'pax' },
      body: b.body,
    });
  }
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: indexManifests };
  const file = (name: string, content: string): TarInputEntry => ({
    header: { name, type: TarType.File, mode: FILE_MODE, size: Buffer.byteLength(content), format: 'pax' },
    body: content,
  });
  entries.push(file('index.json', goMarshal(index)));
  if (format === 'docker') entries.push(file('manifest.json', goMarshal(manifestJson) + '\n'));
  entries.push(file('oci-layout', LAYOUT));
  if (format === 'docker' && Object.keys(repositories).length) {
    const sorted = sortedKeys(repositories);
    for (const k of Object.keys(sorted)) sorted[k] = sortedKeys(sorted[k]!);
    entries.push(file('repositories', goMarshal(sorted) + '\n'));
  }
  return entries;
}
