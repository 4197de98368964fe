import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClient, backoffDelay, retryPolicy } from '../registry/client.js';
import { credentialsForDomain } from '../registry/credentials.js';
import type { AuthConfig } from '../registry/docker-config.js';
import { header, transportError } from '../registry/http.js';
import { RawBody } from '../registry/raw-http.js';
import { FreshBuffers, type BatchBuffers } from '../registry/buffer-ring.js';
import { TruncatedBodyError, isTransient, RegistryTransportError } from '../registry/errors.js';
import { BerthError, corrupt, invalidArgument } from '../image/errors.js';
import { MediaType, isIndexType, isManifestType } from '../image/mediatypes.js';
import type { Descriptor, ImageIndex, Manifest } from '../image/types.js';
import type { NamedReference } from '../image/reference.js';

/** A manifest or index as fetched: its exact bytes (what its digest covers) and parsed form. */
export type FetchedDocument =
  | { kind: 'manifest'; digest: string; mediaType: string; bytes: Buffer; manifest: Manifest }
  | { kind: 'index'; digest: string; mediaType: string; bytes: Buffer; index: ImageIndex };

const SCHEMA1_TYPES = new Set<string>([
  MediaType.dockerManifestV1,
  MediaType.dockerManifestV1Signed,
  'application/json',
]);

/** Docker 28's refusal of schema 1 images. */
export function schema1Error(ref: string): BerthError {
  return invalidArgument(
    'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. ' +
      `Suggest the author of ${ref} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. ` +
      'More information at https://docs.docker.com/go/deprecated-image-specs/',
  );
}

const BATCH = 1 << 20;

export interface BlobReadOptions {
  /** Called before a retry of an interrupted transfer, with the offset it resumes from. */
  onRetry?: (attempt: number, offset: number, err: unknown, delayMs: number) => void;
  signal?: AbortSignal;
  /**
   * Buffers to read into, reused as chunks are given back (a {@link BufferRing}); reading waits
   * while all are out. Without, every chunk is freshly allocated and may be kept.
   */
  buffers?: BatchBuffers;
  /**
   * Sees every chunk as it is handed to the consumer, to work on it meanwhile (read only). With
   * `buffers`, the chunk's buffer is given back once the consumer is done with it (it asked for
   * the next one) and the promise this returns has settled. Without, chunks are fresh and
   * unshared, so this may take ownership of their memory; the next chunk waits for the promise.
   */
  alongside?: (chunk: Buffer) => Promise<void> | void;
}

/** A body's chunks copied into buffers taken from `buffers`, each handed on when full. */
async function* copyInto(body: AsyncIterable<Buffer | Uint8Array>, buffers: BatchBuffers): AsyncGenerator<Buffer> {
  let cur: Buffer | undefined;
  let fill = 0;
  try {
    let failure: { err: unknown } | undefined;
    try {
      for await (const c of body) {
        let rest = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
        while (rest.length > 0) {
          while (!cur) {
            cur = buffers.take();
            if (!cur) await new Promise<void>((r) => buffers.onFree(r));
            fill = 0;
          }
          const n = Math.min(rest.length, cur.length - fill);
          rest.copy(cur, fill, 0, n);
          rest = rest.subarray(n);
          fill += n;
          if (fill === cur.length) {
            const out = cur;
            cur = undefined;
            yield out;
          }
        }
      }
    } catch (err) {
      failure = { err };
    }
    // What arrived before a failure is handed on too: the retry resumes after it.
    if (cur && fill > 0) {
      const out = cur.subarray(0, fill);
      cur = undefined;
      yield out;
    }
    if (failure) throw failure.err;
  } finally {
    if (cur) buffers.release(cur);
  }
}

/**
 * Images in a registry repository, as a source of the copy routine: resolves a tag or digest
 * to a manifest or index, fetches child manifests and configs verified against their digests,
 * and reads blobs as streams that survive dropped connections (resumed with Range requests).
 */
export class RegistrySource {
  constructor(
    readonly client: RegistryClient,
    /** Repository path on the registry, e.g. `library/busybox`. */
    readonly repo: string,
    /** The reference as the user named it (for messages). */
    readonly ref: NamedReference,
  ) {}

  /** `auth`, when given, replaces the credentials of the Docker config (an API client's X-Registry-Auth). */
  static forReference(ref: NamedReference, actions: ('pull' | 'push')[] = ['pull'], auth?: AuthConfig): RegistrySource {
    const client = new RegistryClient({ domain: ref.domain, credentials: () => (auth ? Promise.resolve(auth) : credentialsForDomain(ref.domain)), actions });
    return new RegistrySource(client, ref.path, ref);
  }

  /** Resolves a tag or digest to the document it names. Schema 1 is refused. */
  async resolve(reference: string, signal?: AbortSignal): Promise<FetchedDocument> {
    const m = await this.client.getManifest(this.repo, reference, signal);
    return this.parse(m.bytes, m.mediaType, m.digest);
  }

  /** Fetches a document a descriptor points to (a child of an index). */
  async fetch(desc: Descriptor, signal?: AbortSignal): Promise<FetchedDocument> {
    const m = await this.client.getManifest(this.repo, desc.digest, signal);
    if (desc.size !== undefined && desc.size >= 0 && m.bytes.length !== desc.size) {
      throw corrupt(`manifest verification failed for digest ${desc.digest}: size ${m.bytes.length}, expected ${desc.size}`);
    }
    return this.parse(m.bytes, desc.mediaType || m.mediaType, m.digest);
  }

  private parse(bytes: Buffer, mediaType: string, digest: string): FetchedDocument {
    if (SCHEMA1_TYPES.has(mediaType)) throw schema1Error(this.ref.toString());
    let doc: Omit<Manifest, 'schemaVersion'> & Omit<ImageIndex, 'schemaVersion'> & { schemaVersion?: number };
    try {
      doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
    } catch (err) {
      throw corrupt(`invalid manifest ${digest}: ${(err as Error).message}`);
    }
    if (doc.schemaVersion === 1) throw schema1Error(this.ref.toString());
    if (isIndexType(mediaType) || (!isManifestType(mediaType) && Array.isArray(doc.manifests))) {
      if (!Array.isArray(doc.manifests)) throw corrupt(`invalid image index ${digest}: no manifests`);
      return { kind: 'index', digest, mediaType: isIndexType(mediaType) ? mediaType : MediaType.ociIndex, bytes, index: doc as ImageIndex };
    }
    if (isManifestType(mediaType) || (doc.config && Array.isArray(doc.layers))) {
      if (!doc.config || !Array.isArray(doc.layers)) throw corrupt(`invalid manifest ${digest}: no config or layers`);
      return { kind: 'manifest', digest, mediaType: isManifestType(mediaType) ? mediaType : MediaType.ociManifest, bytes, manifest: doc as Manifest };
    }
    throw invalidArgument(`unsupported manifest media type and no default available: ${mediaType}`);
  }

  /** Reads a config (small blob) whole, verified. */
  config(desc: Descriptor): Promise<Buffer> {
    if (desc.size > 64 << 20) throw invalidArgument(`image config ${desc.digest} is too large (${desc.size} bytes)`);
    return this.client.getBlobBytes(this.repo, desc.digest, Math.max(desc.size, 0) || 64 << 20);
  }

  /** All tags of the repository, in the registry's order. */
  tags(): Promise<string[]> {
    return this.client.listTags(this.repo);
  }

  /**
   * A blob as a stream of chunks. A transfer cut short (reset, timeout, 5xx, truncated body) is
   * taken up again where it stopped with `Range: bytes=N-`; a registry that ignores the range
   * answers 200 and the bytes already seen are skipped. The caller verifies the digest of what
   * it receives; this reader only guarantees the length.
   */
  async *blob(desc: Descriptor, opts: BlobReadOptions = {}): AsyncGenerator<Buffer> {
    const { attempts } = retryPolicy();
    const ring = opts.buffers;
    const buffers = ring ?? new FreshBuffers(BATCH);
    let offset = 0;
    for (let attempt = 0; ; attempt++) {
      let url = '';
      try {
        const res = await this.client.openBlob(this.repo, desc.digest, offset, opts.signal, true);
        url = res.url;
        let skip = 0;
        if (offset > 0 && res.status === 200) skip = offset;
        else if (offset > 0) {
          const cr = header(res.headers, 'content-range');
          const m = cr ? /^bytes (\d+)-/.exec(cr) : null;
          if (m && Number(m[1]) !== offset) skip = -1;
        }
        if (skip < 0) {
          res.body.destroy();
          throw new TruncatedBodyError(`registry answered an unexpected range for ${desc.digest}`);
        }
        const body = res.body;
        const chunks = body instanceof RawBody && body.batchable ? body.batches(buffers) : copyInto(body, buffers);
        let consumerFailure: { err: unknown } | undefined;
        try {
          for await (let chunk of chunks) {
            if (skip > 0) {
              if (chunk.length <= skip) {
                skip -= chunk.length;
                buffers.release(chunk);
                continue;
              }
              chunk = chunk.subarray(skip);
              skip = 0;
            }
            offset += chunk.length;
            let r: Promise<void> | void;
            try {
              r = opts.alongside?.(chunk);
            } catch (err) {
              buffers.release(chunk);
              consumerFailure = { err };
              throw err;
            }
            let handed = false;
            try {
              yield chunk;
              handed = true;
            } finally {
              if (ring && r) {
                const c = chunk;
                r.then(
                  () => ring.release(c),
                  () => ring.release(c),
                );
              } else if (ring || !handed) buffers.release(chunk);
            }
            if (!ring) {
              try {
                await r;
              } catch (err) {
                consumerFailure = { err };
                throw err;
              }
              buffers.release(chunk);
            }
          }
        } catch (err) {
          throw err instanceof BerthError || consumerFailure?.err === err ? err : transportError('GET', url, err);
        }
        if (desc.size >= 0 && offset < desc.size) {
          throw new TruncatedBodyError(`unexpected EOF reading ${desc.digest}: ${offset} of ${desc.size} bytes`);
        }
        return;
      } catch (err) {
        if (attempt + 1 >= attempts || !isTransient(err) || opts.signal?.aborted) {
          if (err instanceof TruncatedBodyError && url) throw new RegistryTransportError(`GET ${JSON.stringify(url)}: ${err.message}`, true, false);
          throw err;
        }
        const delay = backoffDelay(attempt, err);
        opts.onRetry?.(attempt + 1, offset, err, delay);
        await sleep(delay);
      }
    }
  }
}
