/**
 * `commit`: a container's changes become a new image on top of the container's image, as
 * Docker's CommitImage and NewChildImage make it: the layer written reproducibly from the
 * changes (whiteouts for deletions), the config rebuilt with container_config, author and a
 * history entry, the image's parent set to the container's image. One transaction records it.
 */
import type { EngineCore } from './engine.js';
import { commitImages } from './commit-images.js';
import { containerEvent, imageEvent } from './events.js';
import { parseTagTarget } from './refs.js';
import { applyChanges } from '../build/apply-config.js';
import { goContainerConfig } from '../transport/v1-id.js';
import { goMarshal } from '../image/gojson.js';
import { MediaType } from '../image/mediatypes.js';
import { BerthError, notFound } from '../image/errors.js';
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../image/types.js';
import type { NewLayer } from '../store/store.js';
import { LayerAnalyzer } from '../transport/layer-analysis.js';
import { isRunning, parseSpec } from '../runtime/container-store.js';
import { containerFs, containerPaths } from '../runtime/container-files.js';
import { Runc } from '../runtime/runc.js';
import { nowNs, rfc3339Nano } from '../runtime/time.js';
import { getContainer } from './containers.js';
import { chainOf, mergeConfig } from './container-create.js';

/** The digest of an empty layer tar (Docker's layer.EmptyLayer). */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** The version string written in committed images' docker_version. */
export const DOCKER_VERSION = '28.2.2';

export interface CommitOptions {
  /** REPO[:TAG] for the new image. */
  ref?: string;
  author?: string;
  message?: string;
  changes?: string[];
  /** Pause the container while committing (default true, as Docker). */
  pause?: boolean;
  /** The new image's config (the API's request body); unset fields come from the container's. */
  config?: ContainerConfig;
}

/** ocispec.History as Go marshals it: created, created_by, author, comment, empty_layer. */
function historyEntry(h: HistoryEntry): HistoryEntry {
  const o: HistoryEntry = {};
  if (h.created) o.created = h.created;
  if (h.created_by) o.created_by = h.created_by;
  if (h.author) o.author = h.author;
  if (h.comment) o.comment = h.comment;
  if (h.empty_layer) o.empty_layer = true;
  return o;
}

export async function commitContainer(engine: EngineCore, input: string, opts: CommitOptions = {}): Promise<string> {
  const store = engine.store;
  const target = opts.ref ? parseTagTarget(opts.ref) : undefined;
  const row = getContainer(engine, input);
  if (row.state === 'dead') throw new BerthError('conflict', `You cannot commit container ${row.id} which is Dead`);
  if (row.state === 'removing') throw new BerthError('conflict', `You cannot commit container ${row.id} which is being removed`);
  const spec = parseSpec(row);
  const parent = store.meta.image(row.image_id);
  if (!parent) throw notFound(`No such image: ${row.image_id}`);
  const parentConfig = JSON.parse((await store.content.readBuffer(parent.id)).toString('utf8')) as ImageConfig;

  const containerConfig = spec.Config as ContainerConfig;
  const newConfig = applyChanges(opts.config ?? containerConfig, opts.changes ?? []);
  mergeConfig(newConfig, containerConfig);

  const lease = store.lease('commit');
  const paused = opts.pause !== false && isRunning(row) ? pauseContainer(engine, row.id) : undefined;
  try {
    const parentChain = chainOf(engine, parent.top_layer);
    store.tx(() => {
      for (const c of parentChain) lease.attach('layer', c);
    });
    const fs = containerFs(store, row);
    const { stream, release } = fs.changesLayer();
    let layer;
    let blob;
    try {
      const analyzer = new LayerAnalyzer();
      blob = await store.content.write(lease, stream, { onData: (c) => analyzer.push(c) });
      layer = await analyzer.finish();
    } finally {
      release();
    }
    paused?.();
    if (!layer) throw new BerthError('internal', 'the container changes are not a valid layer');
    const empty = layer.diffId === EMPTY_LAYER_DIFF_ID;
    const created = rfc3339Nano(nowNs());

    const layers: NewLayer[] = parentChain.map((c) => {
      const l = store.meta.layer(c)!;
      return {
        diffId: l.diff_id,
        size: l.size,
        tarSize: l.tar_size,
        blobs: store.meta.layerBlobs(l.diff_id).map((b) => ({ digest: b.blob, mediaType: b.media_type })),
      };
    });
    if (!empty) layers.push({ diffId: layer.diffId, size: layer.size, tarSize: layer.tarSize, blobs: [{ digest: blob.digest, mediaType: MediaType.dockerLayer }] });

    const history = [
      ...(parentConfig.history ?? []).map(historyEntry),
      historyEntry({
        created,
        created_by: (containerConfig.Cmd ?? []).join(' '),
        author: opts.author,
        comment: opts.message,
        empty_layer: empty,
      }),
    ];
    // Docker marshals the image through a map, so the keys come out sorted.
    const cfg: Record<string, unknown> = {};
    cfg.architecture = parentConfig.architecture || (process.arch === 'x64' ? 'amd64' : process.arch);
    if (opts.author) cfg.author = opts.author;
    cfg.config = goContainerConfig(newConfig);
    cfg.container = row.id;
    cfg.container_config = goContainerConfig(containerConfig);
    cfg.created = created;
    cfg.docker_version = DOCKER_VERSION;
    cfg.history = history;
    cfg.os = parentConfig.os || spec.Platform || 'linux';
    if (parentConfig['os.features']?.length) cfg['os.features'] = parentConfig['os.features'];
    if (parentConfig['os.version']) cfg['os.version'] = parentConfig['os.version'];
    cfg.rootfs = { type: 'layers', diff_ids: [...(parentConfig.rootfs?.diff_ids ?? []), ...(empty ? [] : [layer.diffId])] };
    if (parentConfig.variant) cfg.variant = parentConfig.variant;
    const written = await store.content.writeBuffer(lease, Buffer.from(goMarshal(cfg)));
    const id = written.digest;
    store.tx(() => {
      if (!store.meta.image(parent.id) && !parentChain.every((c) => store.meta.layer(c))) {
        throw new BerthError('conflict', `image ${parent.id} was removed during the commit`);
      }
      const moves = commitImages(store, [
        {
          image: { id, config: cfg as unknown as ImageConfig, layers, parent: store.meta.image(parent.id) ? parent.id : null },
          tags: target ? [{ repo: target.repo, tag: target.tag }] : [],
        },
      ]);
      for (const m of moves) imageEvent(store, 'tag', id, m.tag);
      containerEvent(store, row, 'commit', { comment: opts.message ?? '', imageID: id, imageRef: moves[0]?.tag ?? '' });
    });
    return id;
  } finally {
    paused?.();
    store.release(lease);
    store.gc.opportunistic();
  }
}

/** Freezes a running container (runc pause); returns the function that resumes it once. */
function pauseContainer(engine: EngineCore, id: string): (() => void) | undefined {
  const runc = new Runc(containerPaths(engine.store, id).runDir);
  try {
    runc.run('pause', ['pause', id]);
  } catch {
    return undefined;
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    try {
      runc.run('resume', ['resume', id]);
    } catch {
      /* the container exited meanwhile */
    }
  };
}
