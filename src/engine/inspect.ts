import type { EngineCore } from './engine.js';
import { resolveImage } from './resolve.js';
import { readImageConfig, fullContainerConfig, goTime, goTimeFromMs } from './image-config.js';
import { familiarRef } from '../image/familiar.js';

/** Docker's image inspect object (API 1.41 field order). */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container: string;
  ContainerConfig: object;
  DockerVersion: string;
  Author: string;
  Config: object | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Data: Record<string, string> | null; Name: string };
  RootFS: { Type: string; Layers?: string[] };
  Metadata: { LastTagTime: string };
}

export async function inspectImage(engine: EngineCore, input: string): Promise<ImageInspect> {
  const store = engine.store;
  const { img, refs } = store.db
    .transaction(() => {
      const img = resolveImage(store, input);
      return { img, refs: store.meta.refsOf(img.id) };
    })
    .deferred();
  const cfg = await readImageConfig(store, img.id);
  const tags = refs.filter((r) => r.tag !== null);
  const digests = refs.filter((r) => r.digest !== null);
  const lastTag = refs.reduce((m, r) => Math.max(m, r.created), 0);
  // Built field by field: key order is Docker's, and Variant/OsVersion appear only when set.
  const out: Record<string, unknown> = {
    Id: img.id,
    RepoTags: tags.map((r) => familiarRef(r.repo, r.tag, null)).sort(),
    RepoDigests: digests.map((r) => familiarRef(r.repo, null, r.digest)).sort(),
    Parent: img.parent ?? '',
    // Docker's daemon falls back to the last history entry's comment (what commit -m writes).
    Comment: cfg.comment || (cfg.history?.length ? (cfg.history[cfg.history.length - 1]!.comment ?? '') : ''),
    Created: goTime(cfg.created),
    Container: cfg.container ?? '',
    ContainerConfig: fullContainerConfig(cfg.container_config),
    DockerVersion: cfg.docker_version ?? '',
    Author: cfg.author ?? '',
    Config: cfg.config ? fullContainerConfig(cfg.config) : null,
    Architecture: cfg.architecture ?? '',
  };
  if (cfg.variant) out.Variant = cfg.variant;
  out.Os = cfg.os ?? '';
  if (cfg['os.version']) out.OsVersion = cfg['os.version'];
  out.Size = img.size;
  out.VirtualSize = img.size;
  out.GraphDriver = { Data: null, Name: 'overlayfs' };
  const rootfs: ImageInspect['RootFS'] = { Type: cfg.rootfs?.type ?? 'layers' };
  if (cfg.rootfs?.diff_ids?.length) rootfs.Layers = cfg.rootfs.diff_ids;
  out.RootFS = rootfs;
  out.Metadata = { LastTagTime: goTimeFromMs(lastTag) };
  return out as unknown as ImageInspect;
}
