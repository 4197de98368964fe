import { posix } from 'node:path';
import type { Store, Lease } from '../store/store.js';
import { readTar } from '../archive/tar-reader.js';
import { TarType } from '../archive/tar-header.js';
import { LayerAnalyzer, type LayerAnalysis } from './layer-analysis.js';
import { BerthError, invalidArgument } from '../image/errors.js';
import type { ProgressFn } from '../image/progress.js';

export interface IngestedFile {
  digest: string;
  size: number;
  layer?: LayerAnalysis;
}

export interface IngestedArchive {
  /** Regular files streamed into the content store (under the lease), by normalized path. */
  files: Map<string, IngestedFile>;
  /** Small metadata files kept in memory. */
  meta: Map<string, Buffer>;
  /** Symlinks and hardlinks: path → target path (normalized, archive-relative). */
  links: Map<string, string>;
}

const META_NAMES = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);
const META_BASENAMES = new Set(['json', 'VERSION']);
const META_MAX = 16 << 20;

function normalize(p: string): string {
  const n = posix.normalize('/' + p).slice(1);
  return n.endsWith('/') ? n.slice(0, -1) : n;
}

/**
 * Streams an image archive (docker save layouts, OCI layout archives) into the store in one pass:
 * every blob-like file goes straight into the content store under the lease (layers analysed on
 * the way), metadata files are kept in memory. Nothing is recorded as an image here; the caller
 * commits once it has validated the whole archive. Memory does not grow with the archive's size.
 */
export async function ingestArchive(
  store: Store,
  lease: Lease,
  input: AsyncIterable<Buffer>,
  progress?: ProgressFn,
): Promise<IngestedArchive> {
  const out: IngestedArchive = { files: new Map(), meta: new Map(), links: new Map() };
  for await (const entry of readTar(input, { requireEndMarker: false })) {
    const h = entry.header;
    const name = normalize(h.name);
    if (h.type === TarType.Symlink) {
      out.links.set(name, normalize(posix.join(posix.dirname(name), h.linkname)));
      continue;
    }
    if (h.type === TarType.Link) {
      out.links.set(name, normalize(h.linkname));
      continue;
    }
    if (h.type !== TarType.File && h.type !== TarType.RegA) continue;
    if (META_NAMES.has(name) || META_BASENAMES.has(posix.basename(name))) {
      if (h.size > META_MAX) throw invalidArgument(`invalid archive: ${name} is too large (${h.size} bytes)`);
      const chunks: Buffer[] = [];
      for await (const c of entry.body) chunks.push(Buffer.from(c));
      out.meta.set(name, Buffer.concat(chunks));
      continue;
    }
    const analyzer = new LayerAnalyzer();
    // Layers are `<id>/layer.tar` (docker save) or content-addressed blobs (OCI layouts).
    const layerId = posix.basename(name) === 'layer.tar' ? posix.basename(posix.dirname(name)) : name.startsWith('blobs/') ? posix.basename(name) : undefined;
    let current = 0;
    const w = await store.content.write(lease, entry.body as AsyncIterable<Buffer>, {
      expectedSize: h.size,
      onData: async (chunk) => {
        current += chunk.length;
        if (layerId && h.size > 4096) progress?.({ kind: 'progress', id: layerId.slice(0, 12), action: 'Loading layer', current, total: h.size });
        await analyzer.push(chunk);
      },
    });
    const layer = await analyzer.finish();
    out.files.set(name, { digest: w.digest, size: w.size, ...(layer ? { layer } : {}) });
  }
  return out;
}

/** Follows symlinks/hardlinks inside the archive to the stored file, if any. */
export function archiveFile(a: IngestedArchive, path: string): IngestedFile | undefined {
  let p = normalize(path);
  for (let hops = 0; hops < 16; hops++) {
    const f = a.files.get(p);
    if (f) return f;
    const next = a.links.get(p);
    if (next === undefined) return undefined;
    p = next;
  }
  throw new BerthError('invalid-argument', `invalid archive: too many levels of links at ${path}`);
}
