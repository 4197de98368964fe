import type { EngineCore } from './engine.js';
import type { DeleteItem } from './types.js';
import type { Store } from '../store/store.js';
import { BerthError, conflict } from '../image/errors.js';
import { shortId, type Digest } from '../image/digest.js';
import { lookupImage, NoSuchImage, displayRef } from './resolve.js';
import { familiarRef } from '../image/familiar.js';
import type { RefRow } from '../store/metadata.js';
import { containersUsing } from './containers-using.js';
import type { Collected } from '../store/gc.js';
import { imageEvent } from './events.js';

export interface RemoveOptions {
  force?: boolean;
  /** Do not delete untagged parents (`--no-prune`). */
  noPrune?: boolean;
}

const DEPENDENT_CHILD = 1;
const RUNNING_CONTAINER = 2;
const ACTIVE_REFERENCE = 4;
const STOPPED_CONTAINER = 8;
const HARD = DEPENDENT_CHILD | RUNNING_CONTAINER;
const SOFT = ACTIVE_REFERENCE | STOPPED_CONTAINER;

export class DeleteConflict extends BerthError {
  constructor(
    readonly imageId: Digest,
    readonly hard: boolean,
    readonly used: boolean,
    detail: string,
  ) {
    super('conflict', `conflict: unable to delete ${shortId(imageId)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${detail}`);
  }
}

/**
 * `rmi` of one image argument, as one transaction: Docker's ImageDelete semantics (untag first,
 * delete only when no reference remains, conflicts for children, containers and other repos,
 * then the untagged parent chain unless noPrune). Files are unlinked after the commit.
 */
export function removeImage(engine: EngineCore, input: string, opts: RemoveOptions = {}): DeleteItem[] {
  const store = engine.store;
  const res = store.tx(() => deleteInTx(store, input, opts));
  store.gc.sweep();
  return res.records;
}

export interface DeleteResult {
  records: DeleteItem[];
  /** Content size of the layers released. */
  reclaimed: number;
}

function isIdPrefix(id: Digest, s: string): boolean {
  return id.startsWith(s) || id.slice(7).startsWith(s);
}

function isCanonical(r: RefRow): boolean {
  return r.digest !== null;
}

function fam(r: RefRow): string {
  return familiarRef(r.repo, r.tag, r.digest);
}

/** All references are from one repository and there is at most one tag (false when empty). */
function isSingleReference(refs: RefRow[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: RefRow | undefined;
  const repos = new Set<string>();
  for (const r of refs) {
    if (isCanonical(r)) repos.add(r.repo);
    else if (!single) {
      repos.add(r.repo);
      single = r;
    } else return false;
  }
  single ??= refs[0]!;
  return repos.size === 1 && repos.has(single.repo);
}

/** Docker's ImageDelete for one argument; joins the caller's transaction. */
export function deleteInTx(store: Store, input: string, opts: RemoveOptions): DeleteResult {
  const meta = store.meta;
  const found = lookupImage(store, input);
  if (!found) throw new NoSuchImage(displayRef(input));
  const id = found.image.id;
  const res: DeleteResult = { records: [], reclaimed: 0 };
  const records = res.records;
  let refs = meta.refsOf(id);
  let removedRepositoryRef = false;

  if (!isIdPrefix(id, input) && found.refName) {
    if (!opts.force && isSingleReference(refs)) {
      const c = containersUsing(store, id)[0];
      if (c) {
        throw conflict(
          `conflict: unable to remove repository reference "${input}" (must force) - container ${c.id.slice(0, 12)} is using its referenced image ${shortId(id)}`,
        );
      }
    }
    const removed = meta.q.ref.get(found.refName)!;
    meta.q.deleteRef.run(removed.name);
    records.push({ Untagged: fam(removed) });
    imageEvent(store, 'untag', id, fam(removed));
    refs = meta.refsOf(id);
    if (!isCanonical(removed) && !refs.some((r) => !isCanonical(r) && r.repo === removed.repo)) {
      const remaining: RefRow[] = [];
      for (const r of refs) {
        if (isCanonical(r) && r.repo === removed.repo) {
          meta.q.deleteRef.run(r.name);
          records.push({ Untagged: fam(r) });
          imageEvent(store, 'untag', id, fam(r));
        } else remaining.push(r);
      }
      refs = remaining;
    }
    if (refs.length > 0) return res;
    removedRepositoryRef = true;
  } else if (isSingleReference(refs)) {
    const mask = HARD | (opts.force ? 0 : SOFT & ~ACTIVE_REFERENCE);
    const c = checkConflict(store, id, mask);
    if (c) throw c;
    for (const r of refs) {
      meta.q.deleteRef.run(r.name);
      records.push({ Untagged: fam(r) });
      imageEvent(store, 'untag', id, fam(r));
    }
  }
  deleteHelper(store, id, res, Boolean(opts.force), !opts.noPrune, removedRepositoryRef);
  return res;
}

function checkConflict(store: Store, id: Digest, mask: number): DeleteConflict | undefined {
  const meta = store.meta;
  if (mask & DEPENDENT_CHILD && meta.hasChildren(id)) {
    return new DeleteConflict(id, true, false, 'image has dependent child images');
  }
  const users = mask & (RUNNING_CONTAINER | STOPPED_CONTAINER) ? containersUsing(store, id) : [];
  if (mask & RUNNING_CONTAINER) {
    const c = users.find((u) => u.running);
    if (c) return new DeleteConflict(id, true, true, `image is being used by running container ${c.id.slice(0, 12)}`);
  }
  if (mask & ACTIVE_REFERENCE && meta.refsOf(id).length > 0) {
    return new DeleteConflict(id, false, false, 'image is referenced in multiple repositories');
  }
  if (mask & STOPPED_CONTAINER) {
    const c = users.find((u) => !u.running);
    if (c) return new DeleteConflict(id, false, true, `image is being used by stopped container ${c.id.slice(0, 12)}`);
  }
  return undefined;
}

function isDangling(store: Store, id: Digest): boolean {
  return store.meta.refsOf(id).length === 0 && !store.meta.hasChildren(id);
}

function deleteHelper(
  store: Store,
  id: Digest,
  res: DeleteResult,
  force: boolean,
  prune: boolean,
  quiet: boolean,
): void {
  const meta = store.meta;
  const c = checkConflict(store, id, HARD | (force ? 0 : SOFT));
  if (c) {
    if (quiet && (!isDangling(store, id) || c.used)) return;
    throw c;
  }
  const img = meta.image(id)!;
  for (const r of meta.refsOf(id)) {
    meta.q.deleteRef.run(r.name);
    res.records.push({ Untagged: fam(r) });
    imageEvent(store, 'untag', id, fam(r));
  }
  imageEvent(store, 'delete', id);
  const removed = deleteImageRow(store, id);
  res.records.push({ Deleted: id });
  for (const l of removed.layers) res.records.push({ Deleted: l });
  res.reclaimed += removed.layerBytes;
  if (!prune || !img.parent || !meta.image(img.parent)) return;
  deleteHelper(store, img.parent, res, false, true, true);
}

/**
 * Removes an image's own rows and collects what only it used (layers released, top first).
 * Joins the caller's transaction.
 */
export function deleteImageRow(store: Store, id: Digest): Collected {
  const meta = store.meta;
  const chain = meta.layerChain(id);
  const manifests = meta.q.imageManifests.all(id).map((m) => m.digest);
  meta.q.deleteImageLayers.run(id);
  meta.q.deleteImageManifests.run(id);
  meta.q.deleteImage.run(id);
  const top = chain.length ? [chain[chain.length - 1]!] : [];
  return store.gc.collect({ layers: top, blobs: [id, ...manifests] });
}
