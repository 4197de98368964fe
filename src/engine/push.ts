import type { Readable } from 'node:stream';
import type { EngineCore } from './engine.js';
import type { Store, Lease } from '../store/store.js';
import type { ProgressFn } from '../image/progress.js';
import type { AuthConfig } from '../registry/docker-config.js';
import { imageEvent } from './events.js';
import { RegistrySink } from '../transport/registry-sink.js';
import { maxConcurrentUploads, runLimited } from '../transport/registry-transfer.js';
import { createCompressor, createDecompressor } from '../archive/compression.js';
import { BerthError, invalidArgument, notFound } from '../image/errors.js';
import { parseNormalizedNamed, type NamedReference } from '../image/reference.js';
import { MediaType, isIndexType, isManifestType, layerCompression } from '../image/mediatypes.js';
import { sha256, shortId } from '../image/digest.js';
import type { Descriptor, ImageIndex, Manifest } from '../image/types.js';

export interface PushOptions {
  /** Push every tag of the repository (the reference must then be a bare name). */
  allTags?: boolean;
  progress?: ProgressFn;
  /** Registry credentials to use instead of the Docker config's (the API's X-Registry-Auth). */
  auth?: AuthConfig;
}

export interface PushedTag {
  tag: string;
  digest: string;
  size: number;
}

/** One layer to send: its diff ID (Docker names push progress by it) and the blob to send. */
interface LayerJob {
  diffId: string;
  /** The stored blob to upload; undefined until compressed. */
  desc?: Descriptor;
  /** Set when the layer only has an uncompressed or zstd form: compress to gzip first. */
  recompress?: { blob: string; mediaType: string };
}

/** One manifest to push with what it needs. */
interface PushUnit {
  imageId: string;
  config: Descriptor;
  layers: LayerJob[];
  /** Exact bytes of a stored manifest to push unchanged; generated when undefined. */
  stored?: { bytes: Buffer; mediaType: string; digest: string };
}

/** Go's json.MarshalIndent(v, "", "   ") as distribution writes schema 2 manifests. */
function marshalManifest(v: unknown): Buffer {
  const s = JSON.stringify(v, null, 3).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return Buffer.from(s);
}

const GZIP_TYPES = new Set<string>([MediaType.dockerLayerGzip, MediaType.ociLayerGzip]);

/**
 * `push`: sends a tagged image (or every tag of a repository) to its registry. Blobs the
 * registry has are skipped ("Layer already exists"), blobs another repository of the same
 * registry holds are mounted ("Mounted from …"), the rest are uploaded from the store as they
 * are, several at a time. A layer stored only uncompressed is gzip-compressed into the store
 * first, once. The stored manifest is pushed unchanged when it describes exactly these blobs,
 * otherwise a Docker schema 2 manifest is generated. The digest reference is recorded like
 * Docker does; a failed push records nothing.
 */
export async function pushImage(engine: EngineCore, name: string, opts: PushOptions = {}): Promise<PushedTag[]> {
  let ref = parseNormalizedNamed(name);
  if (opts.allTags && !ref.isNameOnly) throw invalidArgument("tag can't be used with --all-tags/-a");
  if (!opts.allTags) ref = ref.tagNameOnly();
  if (ref.digest !== undefined) throw invalidArgument('cannot push a digest reference');
  const progress = opts.progress;
  progress?.({ kind: 'message', text: `The push refers to repository [${ref.name}]` });
  const store = engine.store;
  const repoRefs = store.meta.q.refsOfRepo.all(ref.name);
  if (repoRefs.length === 0) throw notFound(`An image does not exist locally with the tag: ${ref.familiarName}`);
  let targets: { tag: string; image: string }[];
  if (opts.allTags) {
    targets = repoRefs
      .filter((r) => r.tag !== null)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((r) => ({ tag: r.tag!, image: r.image_id }));
    if (targets.length === 0) throw notFound(`no tags to push for ${ref.familiarName}`);
  } else {
    const row = repoRefs.find((r) => r.tag === ref.tag);
    if (!row) throw notFound(`tag does not exist: ${ref.familiarString()}`);
    targets = [{ tag: ref.tag!, image: row.image_id }];
  }
  const sink = RegistrySink.forReference(ref, opts.auth);
  const session = new PushSession(store, sink, ref, progress);
  try {
    await sink.client.ping();
    const out: PushedTag[] = [];
    for (const t of targets) {
      out.push(await session.pushTag(t.tag, t.image));
      store.tx(() => imageEvent(store, 'push', ref.withTag(t.tag).familiarString()));
    }
    return out;
  } finally {
    await sink.client.close();
  }
}

class PushSession {
  /** Blobs known to be in the target repository, or on their way there. */
  private readonly remote = new Map<string, Promise<void>>();
  private readonly mountSources;

  constructor(
    private readonly store: Store,
    private readonly sink: RegistrySink,
    private readonly ref: NamedReference,
    private readonly progress: ProgressFn | undefined,
  ) {
    // Repositories of the images that use a blob, known through their digest references: the
    // blob was pulled from or pushed to there, so the registry may mount it from there.
    this.mountSources = store.db
      .prepare(
        `SELECT DISTINCT r.repo FROM layer_blobs lb
           JOIN layers l ON l.diff_id = lb.diff_id
           JOIN image_layers il ON il.chain_id = l.chain_id
           JOIN refs r ON r.image_id = il.image_id
          WHERE lb.blob = ? AND r.digest IS NOT NULL`,
      )
      .pluck();
  }

  private status(id: string, status: string): void {
    this.progress?.({ kind: 'status', id, status });
  }

  async pushTag(tag: string, imageId: string): Promise<PushedTag> {
    const store = this.store;
    const lease = store.lease('push');
    try {
      const index = await this.wholeIndex(imageId, lease);
      const units = index ? index.units : [await this.unitFor(imageId, lease)];
      const jobs = units.flatMap((u) => u.layers.slice().reverse());
      const seen = new Set<string>();
      const unique = jobs.filter((j) => (seen.has(j.diffId) ? false : (seen.add(j.diffId), true)));
      for (const j of unique) this.status(shortId(j.diffId), 'Preparing');
      const compressed: { diffId: string; desc: Descriptor }[] = [];
      await runLimited(
        unique,
        maxConcurrentUploads(),
        async (job, _i, signal) => {
          if (job.recompress) {
            job.desc = await this.compressLayer(lease, job.recompress, signal);
            compressed.push({ diffId: job.diffId, desc: job.desc });
          }
          await this.sendLayer(job, signal);
        },
        (job) => this.status(shortId(job.diffId), 'Waiting'),
      );
      for (const j of jobs) j.desc ??= unique.find((u) => u.diffId === j.diffId)!.desc;
      const manifests: { digest: string; mediaType: string; bytes: Buffer; imageId: string }[] = [];
      for (const u of units) {
        await this.sendBlob(u.config);
        const m = u.stored ?? this.generate(u);
        if (index) await this.sink.putManifest(m.digest, m.bytes, m.mediaType);
        manifests.push({ ...m, imageId: u.imageId });
      }
      const top = index ? { digest: index.digest, mediaType: index.mediaType, bytes: index.bytes } : manifests[0]!;
      const returned = await this.sink.putManifest(tag, top.bytes, top.mediaType);
      if (returned !== top.digest && returned.startsWith('sha256:')) {
        throw new BerthError('corrupt', `registry ${this.ref.domain} stored manifest ${returned}, expected ${top.digest}`);
      }
      this.progress?.({ kind: 'message', text: `${tag}: digest: ${top.digest} size: ${top.bytes.length}` });
      for (const m of manifests) await store.content.writeBuffer(lease, m.bytes, m.digest);
      if (index) await store.content.writeBuffer(lease, index.bytes, index.digest);
      this.record(imageId, top.digest, manifests, index, compressed);
      return { tag, digest: top.digest, size: top.bytes.length };
    } finally {
      store.release(lease);
    }
  }

  /** Records what Docker records after a push (the digest reference), plus the manifest and new blobs. */
  private record(
    imageId: string,
    digest: string,
    manifests: { digest: string; mediaType: string; imageId: string }[],
    index: { digest: string; mediaType: string } | undefined,
    compressed: { diffId: string; desc: Descriptor }[],
  ): void {
    const store = this.store;
    const q = store.meta.q;
    const diffUsed = store.db.prepare('SELECT 1 FROM layers WHERE diff_id = ? LIMIT 1').pluck();
    const repo = this.ref.name;
    store.tx(() => {
      if (!store.meta.image(imageId)) return;
      for (const c of compressed) {
        if (diffUsed.get(c.diffId) !== undefined) q.insertLayerBlob.run(c.diffId, c.desc.digest, c.desc.mediaType);
      }
      for (const m of manifests) if (store.meta.image(m.imageId)) q.insertImageManifest.run(m.imageId, m.digest, m.mediaType);
      if (index) for (const m of manifests) if (store.meta.image(m.imageId)) q.insertImageManifest.run(m.imageId, index.digest, index.mediaType);
      if (!q.ref.get(`${repo}@${digest}`)) {
        q.upsertRef.run({ name: `${repo}@${digest}`, repo, tag: null, digest, image_id: imageId, created: Date.now() });
      }
    });
  }

  /** The image's stored manifest when it names exactly blobs the store holds for its layers. */
  private async storedManifest(imageId: string, diffIds: string[]): Promise<PushUnit['stored'] & { manifest: Manifest } | undefined> {
    const store = this.store;
    for (const row of store.meta.q.imageManifests.all(imageId)) {
      if (!isManifestType(row.media_type) || !store.content.has(row.digest)) continue;
      const bytes = await store.content.readBuffer(row.digest);
      let m: Manifest;
      try {
        m = JSON.parse(bytes.toString('utf8')) as Manifest;
      } catch {
        continue;
      }
      if (m.config?.digest !== imageId || !Array.isArray(m.layers) || m.layers.length !== diffIds.length) continue;
      const ok = m.layers.every(
        (l, i) => store.content.has(l.digest) && store.meta.layerBlobs(diffIds[i]!).some((b) => b.blob === l.digest),
      );
      if (ok) return { bytes, mediaType: row.media_type, digest: row.digest, manifest: m };
    }
    return undefined;
  }

  private diffIdsOf(imageId: string): string[] {
    return this.store.meta.layerChain(imageId).map((c) => {
      const row = this.store.meta.layer(c);
      if (!row) throw new BerthError('corrupt', `image ${imageId} names missing layer ${c}`);
      return row.diff_id;
    });
  }

  private claim(lease: Lease, digest: string): void {
    if (!this.store.content.claim(lease, digest)) throw new BerthError('corrupt', `blob ${digest} is missing from the store (run berth system check)`);
  }

  private async unitFor(imageId: string, lease: Lease): Promise<PushUnit> {
    const store = this.store;
    this.claim(lease, imageId);
    const diffIds = this.diffIdsOf(imageId);
    const config: Descriptor = { mediaType: MediaType.dockerConfig, digest: imageId, size: store.content.size(imageId) ?? 0 };
    const stored = await this.storedManifest(imageId, diffIds);
    if (stored) {
      for (const l of stored.manifest.layers) this.claim(lease, l.digest);
      return {
        imageId,
        config: { ...config, mediaType: stored.manifest.config.mediaType },
        layers: stored.manifest.layers.map((l, i) => ({ diffId: diffIds[i]!, desc: l })),
        stored: { bytes: stored.bytes, mediaType: stored.mediaType, digest: stored.digest },
      };
    }
    const layers = diffIds.map((diffId): LayerJob => {
      const blobs = store.meta.layerBlobs(diffId).filter((b) => store.content.has(b.blob));
      const gz = blobs.find((b) => GZIP_TYPES.has(b.media_type));
      if (gz) {
        this.claim(lease, gz.blob);
        return { diffId, desc: { mediaType: MediaType.dockerLayerGzip, digest: gz.blob, size: store.content.size(gz.blob)! } };
      }
      const src = blobs.find((b) => layerCompression(b.media_type) === 'none') ?? blobs.find((b) => layerCompression(b.media_type) === 'zstd');
      if (!src) throw new BerthError('corrupt', `layer ${diffId} has no stored blob (run berth system check)`);
      this.claim(lease, src.blob);
      return { diffId, recompress: { blob: src.blob, mediaType: src.media_type } };
    });
    return { imageId, config, layers };
  }

  /**
   * An index stored with the image whose every child manifest is stored, with its image and
   * blobs: such an index (a multi-platform image) is pushed whole.
   */
  private async wholeIndex(imageId: string, lease: Lease): Promise<{ digest: string; mediaType: string; bytes: Buffer; units: PushUnit[] } | undefined> {
    const store = this.store;
    const imageOfManifest = store.db.prepare('SELECT image_id FROM image_manifests WHERE digest = ? LIMIT 1').pluck();
    for (const row of store.meta.q.imageManifests.all(imageId)) {
      if (!isIndexType(row.media_type) || !store.content.has(row.digest)) continue;
      const bytes = await store.content.readBuffer(row.digest);
      let idx: ImageIndex;
      try {
        idx = JSON.parse(bytes.toString('utf8')) as ImageIndex;
      } catch {
        continue;
      }
      const units: PushUnit[] = [];
      let complete = Array.isArray(idx.manifests) && idx.manifests.length > 0;
      for (const d of complete ? idx.manifests : []) {
        const owner = isManifestType(d.mediaType) ? (imageOfManifest.get(d.digest) as string | undefined) : undefined;
        if (!owner || !store.content.has(d.digest)) {
          complete = false;
          break;
        }
        const unit = await this.unitFor(owner, lease);
        if (unit.stored?.digest !== d.digest) {
          complete = false;
          break;
        }
        units.push(unit);
      }
      if (complete) return { digest: row.digest, mediaType: row.media_type, bytes, units };
    }
    return undefined;
  }

  private generate(u: PushUnit): { digest: string; mediaType: string; bytes: Buffer } {
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, size: u.config.size, digest: u.config.digest },
      layers: u.layers.map((l) => ({ mediaType: MediaType.dockerLayerGzip, size: l.desc!.size, digest: l.desc!.digest })),
    };
    const bytes = marshalManifest(manifest);
    return { digest: sha256(bytes), mediaType: MediaType.dockerManifest, bytes };
  }

  /** Compresses an uncompressed (or zstd) layer into a new gzip blob in the store, under the lease. */
  private async compressLayer(lease: Lease, src: { blob: string; mediaType: string }, signal: AbortSignal): Promise<Descriptor> {
    const store = this.store;
    const input = store.content.createReadStream(src.blob);
    const gzip = createCompressor('gzip');
    const kind = layerCompression(src.mediaType);
    const stages: Readable[] = [input];
    let s: Readable = input;
    if (kind === 'zstd') {
      const d = createDecompressor('zstd');
      s = s.pipe(d);
      stages.push(d);
    }
    s.pipe(gzip);
    stages.push(gzip);
    for (const st of stages) st.on('error', (err) => gzip.destroy(err));
    const abort = () => gzip.destroy(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    try {
      const w = await store.content.write(lease, gzip as AsyncIterable<Buffer>);
      return { mediaType: MediaType.dockerLayerGzip, digest: w.digest, size: w.size };
    } finally {
      signal.removeEventListener('abort', abort);
      for (const st of stages) st.destroy();
    }
  }

  private async sendLayer(job: LayerJob, signal: AbortSignal): Promise<void> {
    const id = shortId(job.diffId);
    const desc = job.desc!;
    const known = this.remote.get(desc.digest);
    if (known) {
      await known;
      this.status(id, 'Layer already exists');
      return;
    }
    const work = this.pushBlob(desc, id, signal);
    const shared = work.then(() => undefined);
    // Others sharing this blob see the failure when they await it; nobody else may never.
    shared.catch(() => undefined);
    this.remote.set(desc.digest, shared);
    try {
      await work;
    } catch (err) {
      this.remote.delete(desc.digest);
      throw err;
    }
  }

  private async pushBlob(desc: Descriptor, id: string, signal: AbortSignal): Promise<void> {
    const store = this.store;
    if (await this.sink.has(desc.digest)) {
      this.status(id, 'Layer already exists');
      return;
    }
    let location: string | undefined;
    const { domain } = this.ref;
    const candidates = (this.mountSources.all(desc.digest) as string[])
      .filter((repo) => repo !== this.ref.name && repo.startsWith(domain + '/'))
      .slice(0, 3);
    for (const repo of candidates) {
      const from = repo.slice(domain.length + 1);
      const r = await this.sink.mount(desc.digest, from);
      if (r.mounted) {
        this.status(id, `Mounted from ${from}`);
        return;
      }
      if (r.location) {
        location = r.location;
        break;
      }
    }
    let last = 0;
    await this.sink.upload(desc, (start, end) => store.content.createReadStream(desc.digest, { start, end }), {
      location,
      signal,
      onProgress: (sent) => {
        const now = Date.now();
        if (now - last > 100 || sent === desc.size) {
          last = now;
          this.progress?.({ kind: 'progress', id, action: 'Pushing', current: sent, total: desc.size });
        }
      },
    });
    this.status(id, 'Pushed');
  }

  /** A config or other small blob: sent when the registry lacks it, without progress lines. */
  private async sendBlob(desc: Descriptor): Promise<void> {
    if (this.remote.has(desc.digest)) return this.remote.get(desc.digest);
    if (!(await this.sink.has(desc.digest))) {
      await this.sink.upload(desc, (start, end) => this.store.content.createReadStream(desc.digest, { start, end }));
    }
    this.remote.set(desc.digest, Promise.resolve());
  }
}

export { pushImage as push };
