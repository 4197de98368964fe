import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EngineCore } from './engine.js';
import type { Store } from '../store/store.js';
import { tarStream, type TarInputEntry } from '../archive/tar-writer.js';
import { createDecompressor } from '../archive/compression.js';
import { dockerArchiveEntries, type ArchiveImage, type ArchiveLayer } from '../transport/docker-archive-writer.js';
import { parseAnyReference } from '../image/reference.js';
import { layerCompression } from '../image/mediatypes.js';
import { BerthError, notFound, corrupt } from '../image/errors.js';
import type { ImageConfig } from '../image/types.js';
import { NoSuchImage } from './resolve.js';
import { parseTagTarget } from './refs.js';
import { imageEvent } from './events.js';
import type { ImageRow } from '../store/metadata.js';

export interface SaveOptions {
  /** `docker` (default): Docker 25+ archive; `oci`: a plain OCI image layout archive. */
  format?: 'docker' | 'oci';
  /** Leave the output open at the end (for stdout). */
  keepOpen?: boolean;
  /** Record the (single) image under this tag instead of its own (`copy berth:x docker-archive:f:y`). */
  tagAs?: string;
  /** OCI layouts: the ref.name to record (`copy … oci:dir:name`). */
  refName?: string;
}

interface Selected {
  row: ImageRow;
  tags: { repo: string; tag: string }[];
}

/** Docker's save name resolution: a bare repository saves all its tags; an ID saves untagged. */
function selectImages(store: Store, names: string[]): Map<string, Selected> {
  const meta = store.meta;
  const out = new Map<string, Selected>();
  const add = (row: ImageRow, tag?: { repo: string; tag: string }) => {
    let s = out.get(row.id);
    if (!s) out.set(row.id, (s = { row, tags: [] }));
    if (tag && !s.tags.some((t) => t.repo === tag.repo && t.tag === tag.tag)) s.tags.push(tag);
  };
  const byPrefix = (name: string) => {
    const hex = name.replace(/^sha256:/, '');
    const rows = /^[a-f0-9]+$/.test(hex) ? meta.imagesByHexPrefix(hex) : [];
    if (rows.length !== 1) throw new NoSuchImage(name);
    return rows[0]!;
  };
  for (const name of names) {
    const ref = parseAnyReference(name);
    if (ref.kind === 'digest') {
      const row = meta.image(ref.digest);
      if (!row) throw new NoSuchImage(ref.digest);
      add(row);
      continue;
    }
    if (ref.familiarName === 'sha256') {
      add(byPrefix(name));
      continue;
    }
    if (ref.isNameOnly) {
      const rows = meta.q.refsOfRepo.all(ref.name).sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const r of rows) {
        const img = meta.image(r.image_id);
        if (img) add(img, r.tag !== null ? { repo: r.repo, tag: r.tag } : undefined);
      }
      if (rows.length === 0) add(byPrefix(name));
      continue;
    }
    const key = ref.dockerRef();
    const r = meta.q.ref.get(key.toString());
    const img = r && meta.image(r.image_id);
    if (!img) throw notFound('reference does not exist');
    add(img, key.digest === undefined ? { repo: key.name, tag: key.tag! } : undefined);
  }
  return out;
}

/** An archive ready to stream: its entries, and the lease that keeps their content alive. */
export interface PreparedArchive {
  entries: TarInputEntry[];
  /** Releases the lease; call once the entries were written (or on failure). */
  done(): void;
}

/**
 * Resolves the names and plans the archive. Everything it will read is attached to a lease in
 * the same transaction that resolves the names, so a concurrent `rmi` can untag and delete the
 * images without pulling content from under the stream.
 */
export async function prepareArchive(engine: EngineCore, names: string[], opts: SaveOptions = {}): Promise<PreparedArchive> {
  const store = engine.store;
  const lease = store.lease('save');
  try {
    const plan = store.tx(() => {
      const selected = selectImages(store, names);
      const images: { sel: Selected; layers: { chain: string; diffId: string; tarSize: number; blobs: { blob: string; media_type: string }[] }[] }[] = [];
      for (const sel of selected.values()) {
        imageEvent(store, 'save', sel.row.id);
        lease.attach('blob', sel.row.id);
        const layers = store.meta.layerChain(sel.row.id).map((chain) => {
          const l = store.meta.layer(chain);
          if (!l) throw corrupt(`layer ${chain} of image ${sel.row.id} is not recorded`);
          lease.attach('layer', chain);
          const blobs = store.meta.layerBlobs(l.diff_id);
          for (const b of blobs) lease.attach('blob', b.blob);
          return { chain, diffId: l.diff_id, tarSize: l.tar_size, blobs };
        });
        images.push({ sel, layers });
      }
      return images;
    });

    const archive: ArchiveImage[] = [];
    for (const { sel, layers } of plan) {
      const configRaw = await store.content.readBuffer(sel.row.id);
      const config = JSON.parse(configRaw.toString('utf8')) as ImageConfig;
      const alayers: ArchiveLayer[] = layers.map((l) => {
        const plain = l.blobs.find((b) => b.blob === l.diffId);
        const stored = l.blobs.find((b) => layerCompression(b.media_type) !== 'none') ?? plain;
        if (!stored) throw corrupt(`no stored blob for layer ${l.diffId}`);
        const open = () => {
          if (plain) return store.content.createReadStream(plain.blob);
          const c = layerCompression(stored.media_type);
          return store.content.createReadStream(stored.blob).pipe(createDecompressor(c === 'zstd' ? 'zstd' : 'gzip'));
        };
        return {
          diffId: l.diffId,
          chainId: l.chain,
          tarSize: l.tarSize,
          open,
          stored: {
            digest: stored.blob,
            size: store.content.size(stored.blob) ?? 0,
            mediaType: stored.media_type,
            open: () => store.content.createReadStream(stored.blob),
          },
        };
      });
      archive.push({ id: sel.row.id, configRaw, config, layers: alayers, tags: sel.tags, parent: sel.row.parent ?? undefined });
    }
    if (opts.tagAs !== undefined) {
      const t = parseTagTarget(opts.tagAs);
      for (const a of archive) a.tags = [{ repo: t.repo, tag: t.tag }];
    }
    const entries = dockerArchiveEntries(archive, { format: opts.format, refName: opts.refName });
    return { entries, done: () => store.release(lease) };
  } catch (err) {
    store.release(lease);
    throw err;
  }
}

/** `save`: streams the named images as one archive. */
export async function saveImages(engine: EngineCore, names: string[], out: Writable, opts: SaveOptions = {}): Promise<void> {
  const prepared = await prepareArchive(engine, names, opts);
  try {
    const tar = tarStream(prepared.entries);
    if (opts.keepOpen) await copyOpen(tar, out);
    else await pipeline(tar, out);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_PREMATURE_CLOSE') throw new BerthError('unavailable', 'write error: output closed');
    throw err;
  } finally {
    prepared.done();
  }
}

/** Copies a stream into a writable that must stay open (stdout), honouring backpressure. */
async function copyOpen(src: AsyncIterable<Buffer>, out: Writable): Promise<void> {
  for await (const chunk of src) {
    if (!out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          out.off('drain', onDrain);
          out.off('error', done);
          out.off('close', onClose);
          if (err) reject(err);
          else resolve();
        };
        const onDrain = () => done();
        const onClose = () => done(Object.assign(new Error('output closed'), { code: 'EPIPE' }));
        out.once('drain', onDrain);
        out.once('error', done);
        out.once('close', onClose);
      });
    }
  }
}
