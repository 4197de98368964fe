import type { EngineCore } from './engine.js';
import type { Store, Lease, NewImage, NewLayer } from '../store/store.js';
import type { ProgressFn } from '../image/progress.js';
import type { AuthConfig } from '../registry/docker-config.js';
import { commitImages } from './commit-images.js';
import { imageEvent } from './events.js';
import { RegistrySource, type FetchedDocument } from '../transport/registry-source.js';
import { maxConcurrentDownloads, runLimited } from '../transport/registry-transfer.js';
import { AnalyzerPool } from '../transport/registry-analysis.js';
import { RegistryResponseError, errcodeString } from '../registry/errors.js';
import { BerthError, corrupt, invalidArgument, isKind } from '../image/errors.js';
import { parseNormalizedNamed, type NamedReference } from '../image/reference.js';
import { filterManifests, formatPlatformAll, defaultPlatform, onlyStrict, type PlatformLike } from '../image/platform.js';
import { MediaType, isManifestType, isIndexType } from '../image/mediatypes.js';
import { chainIds, shortId } from '../image/digest.js';
import type { Descriptor, ImageConfig, Manifest } from '../image/types.js';

export interface PullOptions {
  /** Pull every tag of the repository (the reference must then be a bare name). */
  allTags?: boolean;
  /** The platform to pull from an index; the host's by default. */
  platform?: PlatformLike;
  progress?: ProgressFn;
  /** Registry credentials to use instead of the Docker config's (the API's X-Registry-Auth). */
  auth?: AuthConfig;
}

export interface PullResult {
  /** True when an image was downloaded or a tag/digest reference newly pointed. */
  updated: boolean;
  /** Image IDs pulled, in order. */
  images: string[];
}

const CONFIG_TYPES = new Set<string>([MediaType.dockerConfig, MediaType.ociConfig]);

const LAYER_TYPES = new Set<string>([
  MediaType.dockerLayer,
  MediaType.dockerLayerGzip,
  MediaType.dockerLayerForeign,
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.ociLayerNondistributable,
  MediaType.ociLayerNondistributableGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

/** Docker's errRootFSMismatch. */
const ROOTFS_MISMATCH = "layers from manifest don't match image configuration";

/**
 * `pull`: resolves a reference on its registry, picks the platform from an index, streams every
 * missing layer straight into the content store under a lease (verified against its digest,
 * analysed for its diff ID in the same pass, several at a time), and records the image, its tag
 * and its digest reference in one transaction. On failure nothing is recorded and the lease's
 * blobs are collected. Progress events match Docker's pull output.
 */
export async function pullImage(engine: EngineCore, name: string, opts: PullOptions = {}): Promise<PullResult> {
  let ref: NamedReference;
  try {
    ref = parseNormalizedNamed(name);
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw invalidArgument(String(err));
  }
  if (opts.allTags && !ref.isNameOnly) throw invalidArgument("tag can't be used with --all-tags/-a");
  if (!opts.allTags) ref = ref.tagNameOnly();
  const source = RegistrySource.forReference(ref, ['pull'], opts.auth);
  const analyzers = new AnalyzerPool();
  const msg = (text: string) => opts.progress?.({ kind: 'message', text });
  try {
    const result: PullResult = { updated: false, images: [] };
    const refs = opts.allTags ? (await source.tags()).map((t) => ref.withTag(t)) : [ref];
    for (const r of refs) {
      const one = await pullOne(engine.store, source, r, opts, analyzers);
      result.updated ||= one.updated;
      result.images.push(one.id);
    }
    msg(`Status: ${result.updated ? 'Downloaded newer image for' : 'Image is up to date for'} ${ref.familiarString()}`);
    return result;
  } catch (err) {
    throw translatePullError(err, ref);
  } finally {
    await Promise.all([source.client.close(), analyzers.close()]);
  }
}

/** Docker's TranslatePullError: not-found and denied answers name the image. */
function translatePullError(err: unknown, ref: NamedReference): unknown {
  if (!(err instanceof RegistryResponseError) || err.errors.length === 0) return err;
  const first = err.errors[0]!;
  const cause = errcodeString(first);
  switch (first.code) {
    case 'DENIED':
      return new BerthError(
        'unauthorized',
        `pull access denied for ${ref.familiarName}, repository does not exist or may require 'docker login': ${cause}`,
        { cause: err },
      );
    case 'MANIFEST_UNKNOWN':
      return new BerthError('not-found', `manifest for ${ref.familiarString()} not found: ${cause}`, { cause: err });
    case 'NAME_UNKNOWN':
      return new BerthError('not-found', `repository ${ref.familiarName} not found: ${cause}`, { cause: err });
  }
  return err;
}

interface Picked {
  manifest: Extract<FetchedDocument, { kind: 'manifest' }>;
  /** The digest Docker records and prints: the index's when there is one. */
  digest: string;
  documents: FetchedDocument[];
}

async function pickManifest(source: RegistrySource, doc: FetchedDocument, platform: PlatformLike | undefined): Promise<Picked> {
  if (doc.kind === 'manifest') return { manifest: doc, digest: doc.digest, documents: [doc] };
  const documents: FetchedDocument[] = [doc];
  let current: FetchedDocument = doc;
  for (let depth = 0; current.kind === 'index'; depth++) {
    if (depth >= 4) throw invalidArgument(`image index ${doc.digest} nests too deeply`);
    const candidates = current.index.manifests.filter((m) => isManifestType(m.mediaType) || isIndexType(m.mediaType) || !m.mediaType);
    const matches = filterManifests(candidates, platform ?? {});
    if (matches.length === 0) {
      const wanted = platform?.os ? platform : defaultPlatform();
      throw new BerthError('not-found', `no matching manifest for ${formatPlatformAll(wanted)} in the manifest list entries`);
    }
    current = await source.fetch(matches[0]!);
    documents.push(current);
  }
  return { manifest: current, digest: doc.digest, documents };
}

function checkManifest(m: Manifest): void {
  const cfgType = m.config.mediaType;
  if (!CONFIG_TYPES.has(cfgType)) {
    const cls = cfgType === 'application/vnd.docker.plugin.v1+json' ? 'plugin' : 'unknown';
    throw invalidArgument(`Encountered remote "${cfgType}"(${cls}) when fetching`);
  }
  for (const l of m.layers) {
    if (!/^sha256:[a-f0-9]{64}$/.test(l.digest)) throw invalidArgument(`could not validate layer digest "${l.digest}"`);
    if (!LAYER_TYPES.has(l.mediaType)) throw invalidArgument(`unsupported media type ${l.mediaType}`);
  }
}

function parseConfig(bytes: Buffer, digest: string): ImageConfig {
  let cfg: ImageConfig;
  try {
    cfg = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch (err) {
    throw corrupt(`error pulling image configuration: invalid config ${digest}: ${(err as Error).message}`);
  }
  if (!cfg || typeof cfg !== 'object' || !cfg.rootfs || !Array.isArray(cfg.rootfs.diff_ids)) {
    throw invalidArgument('invalid rootfs in image configuration');
  }
  return cfg;
}

interface LayerPlan {
  desc: Descriptor;
  diffId: string;
  /** Known from the store ("Already exists"). */
  known?: NewLayer;
}

/**
 * Finds which layers the store already holds, and protects them with the lease in the same
 * transaction so a concurrent rmi/prune cannot take them away before the commit.
 */
function planLayers(store: Store, lease: Lease, m: Manifest, diffIds: string[]): LayerPlan[] {
  const chains = chainIds(diffIds);
  const blobDiff = store.db.prepare('SELECT diff_id FROM layer_blobs WHERE blob = ?').pluck();
  const sizesOfDiff = store.db.prepare('SELECT size, tar_size FROM layers WHERE diff_id = ? LIMIT 1');
  return store.tx(() =>
    m.layers.map((desc, i) => {
      const diffId = diffIds[i]!;
      const plan: LayerPlan = { desc, diffId };
      const stored = store.content.has(desc.digest) && blobDiff.all(desc.digest).includes(diffId);
      if (!stored) return plan;
      const row = store.meta.layer(chains[i]!) ?? (sizesOfDiff.get(diffId) as { size: number; tar_size: number } | undefined);
      if (!row) return plan;
      lease.attach('blob', desc.digest);
      if (store.meta.layer(chains[i]!)) lease.attach('layer', chains[i]!);
      plan.known = { diffId, size: row.size, tarSize: row.tar_size, blobs: [{ digest: desc.digest, mediaType: desc.mediaType }] };
      return plan;
    }),
  );
}

async function pullOne(
  store: Store,
  source: RegistrySource,
  ref: NamedReference,
  opts: PullOptions,
  analyzers: AnalyzerPool,
): Promise<{ id: string; updated: boolean }> {
  const progress = opts.progress;
  const reference = ref.digest ?? ref.tag!;
  const doc = await source.resolve(reference);
  const picked = await pickManifest(source, doc, opts.platform);
  const manifest = picked.manifest.manifest;
  checkManifest(manifest);
  // The analysis worker starts while the config comes, unless there is no layer to download:
  // an up-to-date pull would otherwise wait for a worker it never uses.
  if (manifest.layers.some((l) => !store.content.has(l.digest))) analyzers.prewarm();
  const tagOrDigest = ref.digest ? ref.toString() : ref.tag!;
  progress?.({ kind: 'message', text: `${tagOrDigest}: Pulling from ${ref.path}` });

  const lease = store.lease('pull');
  try {
    const id = manifest.config.digest;
    let configBytes: Buffer;
    const local = store.content.claim(lease, id) && store.meta.image(id) !== undefined;
    if (local) configBytes = await store.content.readBuffer(id);
    else {
      configBytes = await source.config(manifest.config);
      await store.content.writeBuffer(lease, configBytes, id);
    }
    const config = parseConfig(configBytes, id);
    if (opts.platform?.os && !onlyStrict(opts.platform).match(config)) {
      throw new BerthError(
        'not-found',
        `image with reference ${ref.toString()} was found but its platform (${formatPlatformAll(config)}) does not match the specified platform (${formatPlatformAll(opts.platform)})`,
      );
    }
    if (config.os && config.os !== 'linux') {
      throw invalidArgument(`image operating system "${config.os}" cannot be used on this platform: operating system is not supported`);
    }
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) throw corrupt(ROOTFS_MISMATCH);

    const plans = planLayers(store, lease, manifest, diffIds);
    // An image already stored with all its layers needs no layer work (Docker prints nothing then).
    if (!(local && plans.every((p) => p.known))) await downloadLayers(store, lease, source, plans, progress, analyzers);

    for (const d of picked.documents) await store.content.writeBuffer(lease, d.bytes, d.digest);
    const image: NewImage = {
      id,
      config,
      layers: plans.map((p) => p.known!),
      manifests: picked.documents.map((d) => ({ digest: d.digest, mediaType: d.mediaType })),
    };
    progress?.({ kind: 'message', text: `Digest: ${picked.digest}` });
    const updated = commitPull(store, ref, image, picked.digest);
    return { id, updated };
  } finally {
    store.release(lease);
  }
}

/**
 * Records the pull as Docker's reference store would: a tag already on this image only gains
 * the digest reference ("Image is up to date"); digest references never move to another image.
 */
function commitPull(store: Store, ref: NamedReference, image: NewImage, manifestDigest: string): boolean {
  const repo = ref.name;
  const q = store.meta.q;
  return store.tx(() => {
    const refName = ref.digest ? `${repo}@${ref.digest}` : `${repo}:${ref.tag}`;
    imageEvent(store, 'pull', ref.familiarString());
    const old = q.ref.get(refName);
    const digestRefs = q.ref.get(`${repo}@${manifestDigest}`) ? [] : [{ repo, digest: manifestDigest }];
    if (old && old.image_id === image.id) {
      commitImages(store, [{ image, tags: [], digestRefs }]);
      return false;
    }
    if (ref.digest) commitImages(store, [{ image, tags: [], digestRefs: [{ repo, digest: ref.digest }] }]);
    else commitImages(store, [{ image, tags: [{ repo, tag: ref.tag! }], digestRefs }]);
    return true;
  });
}

async function downloadLayers(
  store: Store,
  lease: Lease,
  source: RegistrySource,
  plans: LayerPlan[],
  progress: ProgressFn | undefined,
  analyzers: AnalyzerPool,
): Promise<void> {
  const status = (p: LayerPlan, s: string) => progress?.({ kind: 'status', id: shortId(p.desc.digest), status: s });
  const missing: LayerPlan[] = [];
  for (const p of plans) {
    if (p.known) status(p, 'Already exists');
    else {
      status(p, 'Pulling fs layer');
      missing.push(p);
    }
  }
  // "Pull complete" comes in layer order, once every layer below is in, as Docker registers them.
  let completed = 0;
  const existing = new Set(plans.filter((p) => p.known));
  const done = new Set<LayerPlan>();
  const reportCompleted = () => {
    while (completed < plans.length) {
      const p = plans[completed]!;
      if (!existing.has(p)) {
        if (!done.has(p)) break;
        status(p, 'Pull complete');
      }
      completed++;
    }
  };
  await runLimited(
    missing,
    maxConcurrentDownloads(),
    async (p, _i, signal) => {
      p.known = await downloadLayer(store, lease, source, p, progress, signal, analyzers);
      status(p, 'Download complete');
      done.add(p);
      reportCompleted();
    },
    (p) => status(p, 'Waiting'),
  );
}

async function downloadLayer(
  store: Store,
  lease: Lease,
  source: RegistrySource,
  p: LayerPlan,
  progress: ProgressFn | undefined,
  signal: AbortSignal,
  analyzers: AnalyzerPool,
): Promise<NewLayer> {
  const id = shortId(p.desc.digest);
  const ring = analyzers.ring();
  try {
    for (let fresh = 0; ; fresh++) {
      let resumed = false;
      let current = 0;
      const analyzer = analyzers.acquire();
      let lastReport = 0;
      const chunks = source.blob(p.desc, {
        signal,
        buffers: ring,
        // The analysis (in the worker) reads each chunk while the store hashes and writes it.
        alongside: (chunk) => analyzer.push(chunk),
        onRetry: (_attempt, offset, _err, delayMs) => {
          resumed = resumed || offset > 0;
          const secs = Math.max(1, Math.ceil(delayMs / 1000));
          progress?.({ kind: 'status', id, status: `Retrying in ${secs} second${secs > 1 ? 's' : ''}` });
        },
      });
      async function* tracked(): AsyncGenerator<Buffer> {
        yield* chunks;
        progress?.({ kind: 'status', id, status: 'Verifying Checksum' });
      }
      try {
        await store.content.write(lease, tracked(), {
          expected: p.desc.digest,
          expectedSize: p.desc.size >= 0 ? p.desc.size : undefined,
          onData: (chunk) => {
            current += chunk.length;
            const now = Date.now();
            if (progress && (now - lastReport > 100 || current === p.desc.size)) {
              lastReport = now;
              progress({ kind: 'progress', id, action: 'Downloading', current, total: p.desc.size });
            }
          },
        });
      } catch (err) {
        await analyzer.finish().catch(() => undefined);
        if (isKind(err, 'corrupt') && /digest mismatch|size mismatch/.test((err as Error).message)) {
          // A resumed transfer may have stitched mismatching pieces: try once more from scratch.
          if (resumed && fresh === 0) continue;
          throw corrupt(`filesystem layer verification failed for digest ${p.desc.digest}`, err);
        }
        throw err;
      }
      const analysis = await analyzer.finish();
      if (!analysis) throw corrupt(`layer ${p.desc.digest} is not a tar archive`);
      if (analysis.diffId !== p.diffId) throw corrupt(ROOTFS_MISMATCH);
      return { diffId: p.diffId, size: analysis.size, tarSize: analysis.tarSize, blobs: [{ digest: p.desc.digest, mediaType: p.desc.mediaType }] };
    }
  } finally {
    analyzers.giveBack(ring);
  }
}

export { pullImage as pull };
export type { PlatformLike };
