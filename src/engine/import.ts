import type { EngineCore } from './engine.js';
import { decompressAuto } from '../archive/compression.js';
import { LayerAnalyzer } from '../transport/layer-analysis.js';
import { commitImages } from './commit-images.js';
import { imageEvent } from './events.js';
import { parseTagTarget } from './refs.js';
import { applyChanges } from '../build/apply-config.js';
import { goContainerConfig } from '../transport/v1-id.js';
import { goMarshal } from '../image/gojson.js';
import { MediaType } from '../image/mediatypes.js';
import { invalidArgument, BerthError } from '../image/errors.js';
import { defaultPlatform } from '../image/platform.js';
import type { ImageConfig, Platform } from '../image/types.js';
import type { ProgressFn } from '../image/progress.js';

export interface ImportOptions {
  /** REPO[:TAG] to tag the new image with. */
  ref?: string;
  /** Dockerfile instructions applied to the config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR). */
  changes?: string[];
  message?: string;
  platform?: Platform;
  /** What the history comment names as the source ("-" for a stream, or the URL). */
  source?: string;
  progress?: ProgressFn;
}

/** What Go's archive/tar says where berth's reader gave the details (Docker's untar runs in a child: "exit status 1"). */
function goTarError(err: Error | undefined): string {
  const msg = err?.message ?? '';
  if (msg.includes('unexpected EOF')) return 'unexpected EOF';
  return 'archive/tar: invalid tar header';
}

/** Go's time.Now().UTC() in RFC 3339 with nanoseconds. */
export function nowRfc3339Nano(): string {
  const ms = Date.now();
  const sub = Number(process.hrtime.bigint() % 1_000_000n);
  const iso = new Date(ms).toISOString();
  const frac = (iso.slice(20, 23) + String(sub).padStart(6, '0')).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? '.' + frac : ''}Z`;
}

/**
 * `import`: a root filesystem tarball (plain or compressed) becomes a one-layer image. Everything
 * is validated before any byte is read; the layer streams into the store once; the image and its
 * tag are recorded in one transaction.
 */
export async function importImage(engine: EngineCore, input: AsyncIterable<Buffer>, opts: ImportOptions = {}): Promise<string> {
  const target = opts.ref ? parseTagTarget(opts.ref) : undefined;
  const platform = opts.platform ?? defaultPlatform();
  const config = applyChanges({}, opts.changes ?? []);
  const store = engine.store;
  const lease = store.lease('import');
  try {
    const { stream } = await decompressAuto(input);
    const analyzer = new LayerAnalyzer();
    let current = 0;
    const blob = await store.content.write(lease, stream as AsyncIterable<Buffer>, {
      onData: async (c) => {
        current += c.length;
        opts.progress?.({ kind: 'progress', id: '', action: 'Importing', current });
        await analyzer.push(c);
      },
    });
    let layer = await analyzer.finish();
    // An empty input is an empty layer to Docker (diff ID of no bytes), not an error.
    if (!layer && current === 0) layer = { compression: 'none', diffId: blob.digest, tarSize: 0, size: 0 };
    if (!layer || layer.diffId !== blob.digest) throw invalidArgument(`Error processing tar file(exit status 1): ${goTarError(analyzer.failure)}`);

    const msg = opts.message || `Imported from ${opts.source ?? '-'}`;
    const created = nowRfc3339Nano();
    const cfg: Record<string, unknown> = { architecture: platform.architecture, comment: msg };
    cfg.config = goContainerConfig(config);
    cfg.container_config = goContainerConfig(undefined);
    cfg.created = created;
    cfg.history = [{ created, comment: msg }];
    cfg.os = platform.os;
    cfg.rootfs = { type: 'layers', diff_ids: [layer.diffId] };
    if (platform.variant) cfg.variant = platform.variant;
    const raw = Buffer.from(goMarshal(cfg));
    const written = await store.content.writeBuffer(lease, raw);
    const id = written.digest;
    store.tx(() => {
      const moves = commitImages(store, [
        {
          image: {
            id,
            config: cfg as unknown as ImageConfig,
            layers: [{ diffId: layer.diffId, size: layer.size, tarSize: layer.tarSize, blobs: [{ digest: blob.digest, mediaType: MediaType.dockerLayer }] }],
          },
          tags: target ? [{ repo: target.repo, tag: target.tag }] : [],
        },
      ]);
      for (const m of moves) imageEvent(store, 'tag', id, m.tag);
      imageEvent(store, 'import', id);
    });
    return id;
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw invalidArgument((err as Error).message, err);
  } finally {
    store.release(lease);
    store.gc.opportunistic();
  }
}
