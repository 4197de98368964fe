import type { Store, NewLayer, Lease } from '../store/store.js';
import type { Digest } from '../image/digest.js';
import { chainIds } from '../image/digest.js';
import type { FileHashCache } from '../build/dir-index.js';
import type { ImageConfig } from '../image/types.js';
import { readImageConfig } from './image-config.js';

export interface CachedStep {
  imageId: Digest;
  config: ImageConfig;
  layers: NewLayer[];
}

/**
 * The build cache: step key -> the image config and layer stack the step made. Rows are GC roots
 * (see store/gc.ts), shared by every build of the store and kept until `builder prune`.
 */
export class BuildCache {
  constructor(private readonly store: Store) {}

  /** The layers of a stack as stored, or undefined when one of them is gone. */
  layersOf(diffIds: readonly Digest[]): NewLayer[] | undefined {
    const chains = chainIds(diffIds);
    const out: NewLayer[] = [];
    for (let i = 0; i < chains.length; i++) {
      const row = this.store.meta.layer(chains[i]!);
      if (!row) return undefined;
      const blobs = this.store.meta.layerBlobs(row.diff_id).map((b) => ({ digest: b.blob, mediaType: b.media_type }));
      if (blobs.length === 0) return undefined;
      out.push({ diffId: row.diff_id, size: row.size, tarSize: row.tar_size, blobs });
    }
    return out;
  }

  /** Looks a key up and, when found, claims its result for the lease in the same transaction. */
  async lookup(lease: Lease, key: string): Promise<CachedStep | undefined> {
    const row = this.store.tx(() => {
      const r = this.store.db.prepare('SELECT image_id, top_layer FROM build_cache WHERE key = ?').get(key) as
        | { image_id: Digest; top_layer: Digest | null }
        | undefined;
      if (!r) return undefined;
      lease.attach('blob', r.image_id);
      if (r.top_layer) lease.attach('layer', r.top_layer);
      this.store.db.prepare('UPDATE build_cache SET last_used = ? WHERE key = ?').run(Date.now(), key);
      return r;
    });
    if (!row || !this.store.content.has(row.image_id)) return undefined;
    let config: ImageConfig;
    try {
      config = await readImageConfig(this.store, row.image_id);
    } catch {
      return undefined;
    }
    const layers = this.layersOf(config.rootfs?.diff_ids ?? []);
    if (!layers) return undefined;
    return { imageId: row.image_id, config, layers };
  }

  /**
   * Records a step's result, joining the caller's transaction. When another build recorded the
   * same key first, its result wins and is returned, so concurrent builds converge.
   */
  record(key: string, imageId: Digest, layers: NewLayer[], description: string): Digest {
    const chains = chainIds(layers.map((l) => l.diffId));
    const size = layers.reduce((n, l) => n + l.size, 0);
    const now = Date.now();
    this.store.db
      .prepare(
        `INSERT OR IGNORE INTO build_cache (key, image_id, top_layer, size, created, last_used, description)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(key, imageId, chains.at(-1) ?? null, size, now, now, description);
    return this.store.db.prepare('SELECT image_id FROM build_cache WHERE key = ?').pluck().get(key) as Digest;
  }

  /**
   * Records a step's result in place of the one recorded for its key (a --no-cache rebuild),
   * collecting what only the old one kept. Joins the caller's transaction.
   */
  replace(key: string, imageId: Digest, layers: NewLayer[], description: string): Digest {
    const old = this.store.db.prepare('SELECT image_id, top_layer FROM build_cache WHERE key = ?').get(key) as
      | { image_id: Digest; top_layer: Digest | null }
      | undefined;
    this.store.db.prepare('DELETE FROM build_cache WHERE key = ?').run(key);
    const id = this.record(key, imageId, layers, description);
    if (old && old.image_id !== imageId) this.store.gc.collect({ layers: old.top_layer ? [old.top_layer] : [], blobs: [old.image_id] });
    return id;
  }

  /** The image recorded for a key, if any. Joins the caller's transaction. */
  recorded(key: string): Digest | undefined {
    return this.store.db.prepare('SELECT image_id FROM build_cache WHERE key = ?').pluck().get(key) as Digest | undefined;
  }

  /** Records layer rows without an image (intermediate steps of --no-parent builds). Joins the tx. */
  putLayers(layers: NewLayer[]): void {
    const q = this.store.meta.q;
    const chains = chainIds(layers.map((l) => l.diffId));
    layers.forEach((l, i) => {
      q.insertLayer.run(chains[i], l.diffId, i === 0 ? null : chains[i - 1], l.size, l.tarSize);
      for (const b of l.blobs) q.insertLayerBlob.run(l.diffId, b.digest, b.mediaType);
    });
  }

  /**
   * Drops cache rows and cache mount directories (all, or those unused since `before`) and
   * collects what only they kept.
   */
  prune(opts: { before?: number } = {}): { entries: number; reclaimed: number } {
    const res = this.store.tx(() => {
      const rows = this.store.db
        .prepare('SELECT key, image_id, top_layer FROM build_cache WHERE last_used < ?')
        .all(opts.before ?? Number.MAX_SAFE_INTEGER) as { key: string; image_id: Digest; top_layer: Digest | null }[];
      const del = this.store.db.prepare('DELETE FROM build_cache WHERE key = ?');
      for (const r of rows) del.run(r.key);
      const collected = this.store.gc.collect({
        layers: rows.map((r) => r.top_layer).filter((x): x is Digest => !!x),
        blobs: rows.map((r) => r.image_id),
      });
      return { entries: rows.length, reclaimed: collected.layerBytes };
    });
    this.store.gc.sweep();
    // RUN cache mounts are build cache too (Docker lists them as exec.cachemount records).
    const mounts = this.store.cacheMounts.prune({ before: opts.before });
    return { entries: res.entries + mounts.instances, reclaimed: res.reclaimed + mounts.bytes };
  }

  /** File digests by path, checked against the file's metadata; writes are batched. */
  fileHashes(): FileHashCache & { flush(): void; preload(dir: string): void } {
    const get = this.store.db.prepare('SELECT sig, digest FROM build_file_hashes WHERE path = ?');
    const pending: [string, string, string][] = [];
    const loaded = new Map<string, { sig: string; digest: string }>();
    const prefixes: string[] = [];
    return {
      // One range query for a whole context instead of one lookup per file.
      preload: (dir: string) => {
        const lo = dir.endsWith('/') ? dir : dir + '/';
        const rows = this.store.db
          .prepare('SELECT path, sig, digest FROM build_file_hashes WHERE path >= ? AND path < ?')
          .all(lo, lo.slice(0, -1) + '0') as { path: string; sig: string; digest: string }[];
        for (const r of rows) loaded.set(r.path, r);
        prefixes.push(lo);
      },
      get: (path, sig) => {
        const r = prefixes.some((p) => path.startsWith(p)) ? loaded.get(path) : (get.get(path) as { sig: string; digest: string } | undefined);
        return r && r.sig === sig ? r.digest : undefined;
      },
      put: (path, sig, digest) => {
        pending.push([path, sig, digest]);
      },
      flush: () => {
        if (!pending.length) return;
        const put = this.store.db.prepare('INSERT OR REPLACE INTO build_file_hashes (path, sig, digest) VALUES (?, ?, ?)');
        try {
          this.store.tx(() => {
            for (const p of pending) put.run(...p);
          });
        } catch {
          // Only an optimisation: a busy store just means hashing again next time.
        }
        pending.length = 0;
      },
    };
  }
}
