import { Transform, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClient, backoffDelay, retryPolicy } from '../registry/client.js';
import { credentialsForDomain } from '../registry/credentials.js';
import type { AuthConfig } from '../registry/docker-config.js';
import { RegistryResponseError, isTransient } from '../registry/errors.js';
import type { NamedReference } from '../image/reference.js';
import type { Descriptor } from '../image/types.js';

export interface UploadOptions {
  /** Bytes sent so far for this blob (restarts from 0 when an upload starts over). */
  onProgress?: (sent: number) => void;
  /** An upload session already open (e.g. left by a mount the registry declined). */
  location?: string;
  signal?: AbortSignal;
}

/** Opens a byte range [start, end] (inclusive) of the content to upload. */
export type RangeOpener = (start: number, end: number) => Readable;

/** $BERTH_UPLOAD_CHUNK_SIZE: blobs larger than this go up in PATCH chunks of that size (default 64 MiB). */
export function uploadChunkSize(): number {
  const v = Number(process.env.BERTH_UPLOAD_CHUNK_SIZE);
  return Number.isInteger(v) && v > 0 ? v : 64 << 20;
}

function counting(src: Readable, onBytes: (n: number) => void): Readable {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  src.on('error', (err) => t.destroy(err));
  t.on('close', () => src.destroy());
  return src.pipe(t);
}

/**
 * A registry repository as a destination of the copy routine: has-blob (HEAD), cross-repository
 * mount, blob upload (monolithic POST+PUT for small blobs, PATCH chunks for large ones, resumed
 * from the offset the registry reports after a failure) and manifest PUT.
 */
export class RegistrySink {
  constructor(
    readonly client: RegistryClient,
    readonly repo: string,
    readonly ref: NamedReference,
  ) {}

  /** `auth`, when given, replaces the credentials of the Docker config (an API client's X-Registry-Auth). */
  static forReference(ref: NamedReference, auth?: AuthConfig): RegistrySink {
    const client = new RegistryClient({
      domain: ref.domain,
      credentials: () => (auth ? Promise.resolve(auth) : credentialsForDomain(ref.domain)),
      actions: ['push', 'pull'],
    });
    return new RegistrySink(client, ref.path, ref);
  }

  async has(digest: string): Promise<boolean> {
    return (await this.client.statBlob(this.repo, digest)) !== undefined;
  }

  /**
   * Asks the registry to mount a blob from another repository it holds. Returns true when
   * mounted; otherwise the upload session the registry opened instead (or none).
   */
  async mount(digest: string, from: string): Promise<{ mounted: true } | { mounted: false; location?: string }> {
    try {
      return await this.client.startUpload(this.repo, { from, digest });
    } catch (err) {
      if (err instanceof RegistryResponseError && err.kind !== 'unavailable') return { mounted: false };
      throw err;
    }
  }

  /**
   * Uploads a blob whose digest and size are known. Transient failures are retried with
   * backoff: a chunked upload resumes from what the registry acknowledges, a monolithic one
   * starts a new session. The registry checks the digest when the upload completes.
   */
  async upload(desc: Descriptor, open: RangeOpener, opts: UploadOptions = {}): Promise<void> {
    const { attempts } = retryPolicy();
    const chunk = uploadChunkSize();
    const size = desc.size;
    let location = opts.location;
    let offset = 0;
    let sent = 0;
    const report = (n: number) => {
      sent += n;
      opts.onProgress?.(sent);
    };
    for (let attempt = 0; ; attempt++) {
      try {
        if (!location) {
          const started = await this.client.startUpload(this.repo);
          if (started.mounted) return;
          location = started.location;
          offset = 0;
          sent = 0;
        }
        if (size === 0) {
          await this.client.finishUpload(this.repo, location, desc.digest);
          return;
        }
        if (size <= chunk) {
          await this.client.finishUpload(this.repo, location, desc.digest, {
            size,
            stream: () => {
              sent = 0;
              return counting(open(0, size - 1), report);
            },
          });
          return;
        }
        while (offset < size) {
          const len = Math.min(chunk, size - offset);
          const start = offset;
          location = await this.client.patchChunk(this.repo, location, start, len, () => {
            sent = start;
            return counting(open(start, start + len - 1), report);
          });
          offset = start + len;
        }
        await this.client.finishUpload(this.repo, location, desc.digest);
        return;
      } catch (err) {
        if (attempt + 1 >= attempts || !isTransient(err) || opts.signal?.aborted) {
          if (location) await this.client.cancelUpload(this.repo, location);
          throw err;
        }
        await sleep(backoffDelay(attempt, err));
        if (location && size > chunk) {
          try {
            const st = await this.client.uploadOffset(this.repo, location);
            location = st.location;
            offset = Math.min(st.offset, size);
            continue;
          } catch {
            // the session is gone: start again
          }
        }
        if (location) await this.client.cancelUpload(this.repo, location);
        location = undefined;
      }
    }
  }

  /** PUTs a manifest or index under a tag or digest; returns the digest the registry reports. */
  putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    return this.client.putManifest(this.repo, reference, bytes, mediaType);
  }
}
