import { createWriteStream, mkdirSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { EngineCore } from './engine.js';
import { Builder, tagBuiltImage, type BuildOptions, type BuiltImage } from './build.js';
import type { CacheEntryRef } from './build-cache-io.js';
import { invalidArgument } from '../image/errors.js';
import type { Platform } from '../image/types.js';
import { defaultPlatform, formatPlatform } from '../image/platform.js';
import { MediaType } from '../image/mediatypes.js';
import { commitImages } from './commit-images.js';
import type { Lease } from '../store/store.js';
import type { BuildContext } from '../build/context.js';
import { parseTagTarget } from './refs.js';

const sessions = new Set<BuildSession>();

/**
 * What one build holds in the store: its lease (everything it writes or reuses is attached to it
 * until the outputs are done) and its scratch directories, named after the lease so that the
 * store's collector removes them if this process dies.
 */
export class BuildSession {
  readonly lease: Lease;
  private readonly dirs: string[] = [];
  private closed = false;

  constructor(private readonly engine: EngineCore) {
    this.lease = engine.store.lease('build');
    sessions.add(this);
  }

  /** A scratch directory for the build, removed when the session closes. */
  scratch(name: string): string {
    const d = this.engine.store.scratch.create(this.lease, name);
    this.dirs.push(d);
    return d;
  }

  /** Removes the scratch directories and releases the lease (what only it kept is collected). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    sessions.delete(this);
    const store = this.engine.store;
    // Scratch first: once the lease is gone, only a full collection would find the directories.
    for (const d of this.dirs.splice(0)) {
      try {
        store.scratch.remove(d);
      } catch {
        // Busy: reclaimed by the collector, the lease being gone.
      }
    }
    store.release(this.lease);
  }
}

/** Closes every build session of this process (an interrupted build's exit). */
export function closeActiveSessions(): void {
  for (const s of [...sessions]) s.close();
}

export interface BuildOutput {
  type: 'docker' | 'image' | 'local' | 'tar' | 'oci' | 'registry';
  dest?: string;
  attrs: Record<string, string>;
}

export interface BuildSessionOptions extends Omit<BuildOptions, 'platform' | 'context'> {
  /** The context, or how to load it given where its temporary files may go (the build's scratch space). */
  context: BuildContext | ((tempDir: (prefix: string) => string) => Promise<BuildContext>);
  tags: string[];
  platforms: Platform[];
  outputs: BuildOutput[];
  push?: boolean;
  cacheFrom?: string[];
  cacheTo?: string[];
}

/** Docker's --output CSV: "type=local,dest=out" or just a path (local). */
export function parseOutput(spec: string): BuildOutput {
  if (!spec.includes('=')) return spec === '-' ? { type: 'tar', dest: '-', attrs: {} } : { type: 'local', dest: spec, attrs: {} };
  const attrs: Record<string, string> = {};
  for (const f of spec.split(',')) {
    const i = f.indexOf('=');
    if (i < 0) throw invalidArgument(`invalid value ${f}`);
    attrs[f.slice(0, i).trim().toLowerCase()] = f.slice(i + 1).trim();
  }
  const type = (attrs.type ?? 'local') as BuildOutput['type'];
  if (!['docker', 'image', 'local', 'tar', 'oci', 'registry'].includes(type)) throw invalidArgument(`unsupported output type "${type}"`);
  return { type, dest: attrs.dest, attrs };
}

async function layerStreams(engine: EngineCore, image: BuiltImage): Promise<AsyncIterable<Buffer>[]> {
  const { createDecompressor } = await import('../archive/compression.js');
  const { PassThrough } = await import('node:stream');
  return image.layers.map((l) => {
    const b = l.blobs[0]!;
    const s = engine.store.content.createReadStream(b.digest);
    const d = b.mediaType.endsWith('gzip') ? createDecompressor('gzip') : b.mediaType.endsWith('zstd') ? createDecompressor('zstd') : new PassThrough();
    return s.pipe(d) as unknown as AsyncIterable<Buffer>;
  });
}

/** The image's root filesystem in a directory (type=local). */
async function exportLocal(engine: EngineCore, image: BuiltImage, dest: string): Promise<void> {
  const { extractTar } = await import('../archive/extract.js');
  mkdirSync(dest, { recursive: true });
  for (const s of await layerStreams(engine, image)) await extractTar(s, dest, { chown: process.getuid?.() === 0 });
}

/** The image's root filesystem as one tar (type=tar): later layers win, whiteouts applied. */
async function exportTar(engine: EngineCore, image: BuiltImage, dest: string, stdout: NodeJS.WritableStream, dir: string): Promise<void> {
  const { layerFromDirectory } = await import('../archive/layer-writer.js');
  await exportLocal(engine, image, dir);
  const tar = layerFromDirectory(dir);
  if (dest === '-') await pipeline(tar, stdout, { end: false });
  else await writeAtomically(dest, (out) => pipeline(tar, out));
}

async function writeAtomically(dest: string, fn: (out: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.berth-${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  await fn(out);
  await rename(tmp, dest);
}

/**
 * A multi-platform result in the store: each platform image gets a manifest, an image index
 * names them all, and both are recorded with the images (image_manifests), which is how the
 * store keeps an index for a tag; the tag names the host's platform image (or the first), as
 * after a pull, and `push` sends the index whole.
 */
async function storeIndex(engine: EngineCore, lease: Lease, built: BuiltImage[], tags: string[], noParent: boolean): Promise<void> {
  const store = engine.store;
  const manifests: { image: BuiltImage; digest: string; size: number }[] = [];
  for (const img of built) {
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, size: store.content.size(img.id) ?? 0, digest: img.id },
      layers: img.layers.map((l) => ({ mediaType: l.blobs[0]!.mediaType, size: store.content.size(l.blobs[0]!.digest) ?? 0, digest: l.blobs[0]!.digest })),
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const w = await store.content.writeBuffer(lease, bytes);
    manifests.push({ image: img, digest: w.digest, size: w.size });
  }
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.dockerManifestList,
    manifests: manifests.map((m) => ({
      mediaType: MediaType.dockerManifest,
      size: m.size,
      digest: m.digest,
      platform: { architecture: m.image.platform.architecture, os: m.image.platform.os, ...(m.image.platform.variant ? { variant: m.image.platform.variant } : {}) },
    })),
  };
  const idx = await store.content.writeBuffer(lease, Buffer.from(JSON.stringify(index)));
  const host = defaultPlatform();
  const main = built.find((b) => b.platform.architecture === host.architecture && b.platform.os === host.os) ?? built[0]!;
  const targets = tags.map((t) => parseTagTarget(t));
  store.tx(() => {
    commitImages(
      store,
      manifests.map((m) => ({
        image: {
          id: m.image.id,
          config: m.image.config,
          layers: m.image.layers,
          parent: noParent ? null : undefined,
          manifests: [
            { digest: m.digest, mediaType: MediaType.dockerManifest },
            { digest: idx.digest, mediaType: MediaType.dockerManifestList },
          ],
        },
        tags: m.image === main ? targets.map((t) => ({ repo: t.repo, tag: t.tag })) : [],
        digestRefs: targets.map((t) => ({ repo: t.repo, digest: m.digest })),
      })),
    );
  });
}

/**
 * A whole build: each platform built (in turn: they share the cache), then the outputs —
 * tags in the store (type=docker), a directory, a filesystem tar, an OCI or Docker archive.
 * One lease protects everything from the first byte until the outputs are done.
 */
export async function buildSession(
  engine: EngineCore,
  opts: BuildSessionOptions,
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<BuiltImage[]> {
  const store = engine.store;
  for (const t of opts.tags) parseTagTarget(t);
  const outputs = opts.outputs.length ? opts.outputs : [{ type: 'docker' as const, attrs: {} }];
  const pushNames = new Set<string>();
  for (const o of outputs) {
    if (o.type === 'registry' || (o.type === 'image' && o.attrs.push === 'true')) {
      for (const n of (o.attrs.name ?? '').split(',').filter(Boolean)) pushNames.add(n);
      if (!o.attrs.name) for (const t of opts.tags) pushNames.add(t);
    }
  }
  if (opts.push) for (const t of opts.tags) pushNames.add(t);
  if ((opts.push || outputs.some((o) => o.type === 'registry')) && pushNames.size === 0) {
    throw invalidArgument('tag is needed when pushing to registry');
  }
  // Cache import/export and registry code load only for builds that use them.
  const cacheIo = opts.cacheFrom?.length || opts.cacheTo?.length ? await import('./build-cache-io.js') : undefined;
  const cacheFrom = cacheIo ? (opts.cacheFrom ?? []).map(cacheIo.parseCacheSpec) : [];
  const cacheTo = cacheIo ? (opts.cacheTo ?? []).map(cacheIo.parseCacheSpec) : [];
  const session = new BuildSession(engine);
  const lease = session.lease;
  const built: BuiltImage[] = [];
  const used: CacheEntryRef[] = [];
  let context: BuildContext | undefined;
  try {
    context = typeof opts.context === 'function' ? await opts.context((p) => session.scratch(p)) : opts.context;
    for (const c of cacheFrom) {
      if (c.type === 'local') {
        const { existsSync } = await import('node:fs');
        if (c.attrs.src && existsSync(c.attrs.src)) await cacheIo!.importCache(store, lease, c.attrs.src);
      } else if (c.type === 'registry' && c.attrs.ref) {
        const tmp = session.scratch('cache-from');
        if (await cacheIo!.pullCacheLayout(c.attrs.ref, tmp)) await cacheIo!.importCache(store, lease, tmp);
      }
    }
    for (const platform of opts.platforms) {
      const b = new Builder(engine, lease, { ...opts, context, platform });
      try {
        built.push(await b.build());
        used.push(...b.usedCache);
      } finally {
        b.dispose();
      }
    }
    for (const o of outputs) {
      if (o.type === 'registry') continue;
      if (o.type === 'docker' || o.type === 'image') {
        if (built.length > 1) await storeIndex(engine, lease, built, opts.tags, !!opts.noParent);
        else for (const img of built) tagBuiltImage(store, img, opts.tags, !!opts.noParent);
        continue;
      }
      if (!o.dest) throw invalidArgument(`output type ${o.type} needs dest=`);
      if (o.type === 'local') {
        if (built.length === 1) await exportLocal(engine, built[0]!, o.dest);
        else for (const img of built) await exportLocal(engine, img, `${o.dest}/${formatPlatform(img.platform).replace(/\//g, '_')}`);
      } else if (o.type === 'tar') {
        await exportTar(engine, built[0]!, o.dest, stdout, session.scratch('out'));
      } else if (o.type === 'oci') {
        const { saveImages } = await import('./save.js');
        for (const img of built) tagBuiltImage(store, img, [], !!opts.noParent);
        const ids = built.map((b) => b.id);
        if (o.dest === '-') await saveImages(engine, ids, stdout as never, { format: 'oci', keepOpen: true } as never);
        else await writeAtomically(o.dest, (out) => saveImages(engine, ids, out as never, { format: 'oci' }));
      }
    }
    for (const c of cacheTo) {
      if (c.type === 'local') {
        if (!c.attrs.dest) throw invalidArgument('--cache-to type=local needs dest=');
        cacheIo!.exportCache(store, used, c.attrs.dest);
      } else if (c.type === 'registry') {
        if (!c.attrs.ref) throw invalidArgument('--cache-to type=registry needs ref=');
        const tmp = session.scratch('cache-to');
        cacheIo!.exportCache(store, used, tmp);
        await cacheIo!.pushCacheLayout(tmp, c.attrs.ref);
      }
    }
    if (pushNames.size) {
      const { pushImage } = await import('./push.js');
      if (built.length > 1) await storeIndex(engine, lease, built, [...pushNames], !!opts.noParent);
      else for (const img of built) tagBuiltImage(store, img, [...pushNames], !!opts.noParent);
      for (const n of pushNames) await pushImage(engine, n, {});
    }
    return built;
  } finally {
    if (context && typeof opts.context === 'function') context.cleanup();
    session.close();
    store.gc.opportunistic();
  }
}
