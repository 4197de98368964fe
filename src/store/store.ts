import { mkdirSync } from 'node:fs';
import { openDatabase, writeTx, type DB } from './db.js';
import { storePaths, type StorePaths } from './paths.js';
import { ContentStore } from './content.js';
import { Leases, type Lease } from './leases.js';
import { GarbageCollector } from './gc.js';
import { Metadata } from './metadata.js';
import { ScratchSpace } from './scratch.js';
import { CacheMounts } from './cache-mounts.js';
import type { Digest } from '../image/digest.js';
import { chainIds } from '../image/digest.js';
import type { ImageConfig } from '../image/types.js';
import { BerthError } from '../image/errors.js';

export interface NewLayer {
  diffId: Digest;
  /** Size of the layer's content as Docker counts it (regular files and links, hardlinks once). */
  size: number;
  /** Length in bytes of the uncompressed layer tar. */
  tarSize: number;
  /** Stored representations of this layer (the uncompressed tar and/or compressed forms). */
  blobs: { digest: Digest; mediaType: string }[];
}

export interface NewImage {
  id: Digest;
  config: ImageConfig;
  layers: NewLayer[];
  parent?: Digest | null;
  manifests?: { digest: Digest; mediaType: string }[];
}

function createdMs(config: ImageConfig): number {
  if (!config.created) return 0;
  const t = Date.parse(config.created);
  return Number.isNaN(t) ? 0 : t;
}

/** The berth store: one root directory with the metadata database and the content it names. */
export class Store {
  readonly db: DB;
  readonly paths: StorePaths;
  // Made on first use: between them they prepare some fifty statements, which a command that
  // only reads a listing never runs.
  private _content: ContentStore | undefined;
  private _leases: Leases | undefined;
  private _gc: GarbageCollector | undefined;
  private _meta: Metadata | undefined;
  private _scratch: ScratchSpace | undefined;
  private _cacheMounts: CacheMounts | undefined;

  private constructor(root: string, db: DB) {
    this.paths = storePaths(root);
    this.db = db;
  }

  get content(): ContentStore {
    return (this._content ??= new ContentStore(this.db, this.paths));
  }

  get leases(): Leases {
    return (this._leases ??= new Leases(this.db));
  }

  get gc(): GarbageCollector {
    return (this._gc ??= new GarbageCollector(this.db, this.paths, this.leases, this.content, this.scratch));
  }

  /** Lease-named scratch directories (tmp/) for work in flight; GC removes those of dead leases. */
  get scratch(): ScratchSpace {
    return (this._scratch ??= new ScratchSpace(this.paths.tmp));
  }

  /** RUN --mount=type=cache directories, kept across builds until pruned. */
  get cacheMounts(): CacheMounts {
    return (this._cacheMounts ??= new CacheMounts(this.paths.cacheMounts));
  }

  get meta(): Metadata {
    return (this._meta ??= new Metadata(this.db));
  }

  static open(root: string): Store {
    const paths = storePaths(root);
    try {
      mkdirSync(paths.blobs, { recursive: true, mode: 0o700 });
      mkdirSync(paths.ingest, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new BerthError('unavailable', `cannot create store at ${root}: ${(err as Error).message}`, { cause: err });
    }
    return new Store(root, openDatabase(paths.db));
  }

  close(): void {
    this._cacheMounts?.close();
    if (this.db.open) this.db.close();
  }

  /** One write transaction (BEGIN IMMEDIATE) per user-visible change. */
  tx<T>(fn: () => T): T {
    return writeTx(this.db, fn);
  }

  /** Takes a lease for in-flight work; release it with `release()` once the work committed or failed. */
  lease(purpose: string): Lease {
    return this.leases.create(purpose);
  }

  /** Drops a lease and collects whatever only it kept alive. */
  release(lease: Lease): void {
    try {
      this.tx(() => {
        const res = this.leases.drop(lease.id);
        this.gc.collect({
          layers: res.filter((r) => r.kind === 'layer').map((r) => r.key),
          blobs: res.filter((r) => r.kind === 'blob').map((r) => r.key),
        });
      });
      this.gc.sweep();
    } catch {
      // A lease that cannot be released now is reaped by a later collection once we exit.
    }
  }

  /**
   * Records an image with its layers, joining the caller's transaction. Every blob it names must
   * already be stored (content before metadata). Returns false if the image already existed.
   */
  putImage(img: NewImage, now = Date.now()): boolean {
    const q = this.meta.q;
    for (const l of img.layers) {
      for (const b of l.blobs) {
        if (!this.content.has(b.digest)) throw new BerthError('internal', `layer blob ${b.digest} is not stored`);
      }
    }
    if (!this.content.has(img.id)) throw new BerthError('internal', `config blob ${img.id} is not stored`);
    const chains = chainIds(img.layers.map((l) => l.diffId));
    img.layers.forEach((l, i) => {
      q.insertLayer.run(chains[i], l.diffId, i === 0 ? null : chains[i - 1], l.size, l.tarSize);
      for (const b of l.blobs) q.insertLayerBlob.run(l.diffId, b.digest, b.mediaType);
    });
    const size = img.layers.reduce((n, l) => n + l.size, 0);
    const labels = img.config.config?.Labels;
    const res = q.insertImage.run({
      id: img.id,
      created: createdMs(img.config),
      size,
      parent: img.parent ?? null,
      top_layer: chains.length ? chains[chains.length - 1] : null,
      os: img.config.os ?? '',
      arch: img.config.architecture ?? '',
      variant: img.config.variant ?? null,
      labels: labels && Object.keys(labels).length ? JSON.stringify(labels) : null,
      added: now,
    });
    const inserted = res.changes > 0;
    if (inserted) chains.forEach((c, i) => q.insertImageLayer.run(img.id, i, c));
    else if (img.parent) {
      const existing = this.meta.image(img.id);
      if (existing && !existing.parent) q.setParent.run(img.parent, img.id);
    }
    for (const m of img.manifests ?? []) {
      if (!this.content.has(m.digest)) throw new BerthError('internal', `manifest blob ${m.digest} is not stored`);
      q.insertImageManifest.run(img.id, m.digest, m.mediaType);
    }
    return inserted;
  }
}

export { type Lease } from './leases.js';
export { defaultRoot } from './paths.js';
