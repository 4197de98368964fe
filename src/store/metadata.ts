import type { DB } from './db.js';
import type { Digest } from '../image/digest.js';

export interface ImageRow {
  id: Digest;
  created: number;
  size: number;
  parent: Digest | null;
  top_layer: Digest | null;
  os: string;
  arch: string;
  variant: string | null;
  labels: string | null;
  added: number;
}

export interface RefRow {
  name: string;
  repo: string;
  tag: string | null;
  digest: string | null;
  image_id: Digest;
  created: number;
}

export interface LayerRow {
  chain_id: Digest;
  diff_id: Digest;
  parent: Digest | null;
  size: number;
  tar_size: number;
}

export interface LayerBlobRow {
  diff_id: Digest;
  blob: Digest;
  media_type: string;
}

/** The part of a prepared statement we use, named here so declarations can be emitted. */
export interface Stmt<T = unknown> {
  get(...params: unknown[]): T | undefined;
  all(...params: unknown[]): T[];
  run(...params: unknown[]): { changes: number };
}

function prepareQueries(db: DB) {
  const p = <T = unknown>(sql: string): Stmt<T> => db.prepare<unknown[], T>(sql) as unknown as Stmt<T>;
  return {
      image: p<ImageRow>('SELECT * FROM images WHERE id = ?'),
      imagesByPrefix: p<ImageRow>('SELECT * FROM images WHERE id >= ? AND id < ? LIMIT 2'),
      insertImage: p(
        `INSERT OR IGNORE INTO images (id, created, size, parent, top_layer, os, arch, variant, labels, added)
         VALUES (@id, @created, @size, @parent, @top_layer, @os, @arch, @variant, @labels, @added)`,
      ),
      setParent: p('UPDATE images SET parent = ? WHERE id = ?'),
      deleteImage: p('DELETE FROM images WHERE id = ?'),
      children: p<{ id: Digest }>('SELECT id FROM images WHERE parent = ?'),
      hasChildren: p<number>('SELECT 1 FROM images WHERE parent = ? LIMIT 1'),
      insertImageLayer: p('INSERT OR IGNORE INTO image_layers (image_id, position, chain_id) VALUES (?, ?, ?)'),
      imageLayers: p<{ chain_id: Digest }>('SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY position'),
      deleteImageLayers: p('DELETE FROM image_layers WHERE image_id = ?'),
      insertImageManifest: p('INSERT OR IGNORE INTO image_manifests (image_id, digest, media_type) VALUES (?, ?, ?)'),
      imageManifests: p<{ digest: Digest; media_type: string }>(
        'SELECT digest, media_type FROM image_manifests WHERE image_id = ?',
      ),
      deleteImageManifests: p('DELETE FROM image_manifests WHERE image_id = ?'),
      layer: p<LayerRow>('SELECT * FROM layers WHERE chain_id = ?'),
      insertLayer: p('INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, size, tar_size) VALUES (?, ?, ?, ?, ?)'),
      layerBlobs: p<LayerBlobRow>('SELECT * FROM layer_blobs WHERE diff_id = ?'),
      insertLayerBlob: p('INSERT OR IGNORE INTO layer_blobs (diff_id, blob, media_type) VALUES (?, ?, ?)'),
      ref: p<RefRow>('SELECT * FROM refs WHERE name = ?'),
      refsOfImage: p<RefRow>('SELECT * FROM refs WHERE image_id = ? ORDER BY name'),
      refsOfRepo: p<RefRow>('SELECT * FROM refs WHERE repo = ?'),
      upsertRef: p(
        `INSERT INTO refs (name, repo, tag, digest, image_id, created) VALUES (@name, @repo, @tag, @digest, @image_id, @created)
         ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, created = excluded.created`,
      ),
      deleteRef: p('DELETE FROM refs WHERE name = ?'),
      countRefsOfImage: p<number>('SELECT count(*) FROM refs WHERE image_id = ?'),
  };
}

export type Queries = ReturnType<typeof prepareQueries>;

/**
 * Prepared queries over images, layers and references. Every method joins the caller's
 * transaction; callers group them into one write transaction per user-visible change.
 */
export class Metadata {
  readonly q: Queries;

  constructor(readonly db: DB) {
    this.q = prepareQueries(db);
  }

  image(id: Digest): ImageRow | undefined {
    return this.q.image.get(id);
  }

  /** Images whose ID starts with the given hex prefix (at most two, enough to detect ambiguity). */
  imagesByHexPrefix(hexPrefix: string): ImageRow[] {
    const lo = 'sha256:' + hexPrefix;
    const hi = 'sha256:' + hexPrefix + '\u{10FFFF}';
    return this.q.imagesByPrefix.all(lo, hi);
  }

  refsOf(imageId: Digest): RefRow[] {
    return this.q.refsOfImage.all(imageId);
  }

  layerChain(imageId: Digest): Digest[] {
    return this.q.imageLayers.all(imageId).map((r) => r.chain_id);
  }

  layer(chainId: Digest): LayerRow | undefined {
    return this.q.layer.get(chainId);
  }

  layerBlobs(diffId: Digest): LayerBlobRow[] {
    return this.q.layerBlobs.all(diffId);
  }

  children(id: Digest): Digest[] {
    return this.q.children.all(id).map((r) => r.id);
  }

  hasChildren(id: Digest): boolean {
    return this.q.hasChildren.get(id) !== undefined;
  }
}
