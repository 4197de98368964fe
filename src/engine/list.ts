import type { EngineCore } from './engine.js';
import type { ImageSummary } from './types.js';
import { validateFilters, matchLabels, parseTimestamp, type Filters } from './filters.js';
import { familiarRef, familiarRepo } from '../image/familiar.js';
import { resolveImage } from './resolve.js';
import { goPathMatch } from '../image/reference.js';
import { invalidArgument } from '../image/errors.js';

const ACCEPTED = ['dangling', 'label', 'before', 'since', 'reference', 'until'];

export interface ListOptions {
  all?: boolean;
  filters?: Filters;
}

type Row = [id: string, created: number, size: number, parent: string | null, labels: string | null];
type RefRowRaw = [image: string, repo: string, tag: string | null, digest: string | null];

/** `images`: Docker's image list semantics (moby's Images()), newest first. */
export function listImages(engine: EngineCore, opts: ListOptions = {}): ImageSummary[] {
  const filters = opts.filters ?? new Map<string, string[]>();
  validateFilters(filters, ACCEPTED);
  let danglingOnly = false;
  const dangling = filters.get('dangling');
  if (dangling) {
    if (dangling.every((v) => v.toLowerCase() === 'true' || v === '1')) danglingOnly = true;
    else if (!dangling.every((v) => v.toLowerCase() === 'false' || v === '0')) {
      throw invalidArgument(`invalid filter 'dangling=${dangling[0]}'`);
    }
  }
  const store = engine.store;
  const createdOf = (ref: string) => resolveImage(store, ref).created;
  let before = Infinity;
  let since = -Infinity;
  let until = Infinity;
  for (const v of filters.get('before') ?? []) before = Math.min(before, createdOf(v));
  for (const v of filters.get('since') ?? []) since = Math.max(since, createdOf(v));
  for (const v of filters.get('until') ?? []) until = Math.min(until, parseTimestamp(v));
  const labelFilter = filters.get('label');
  const refPatterns = filters.get('reference');

  const db = store.db;
  const readTx = db.transaction(() => {
    const images = db.prepare('SELECT id, created, size, parent, labels FROM images').raw().all() as Row[];
    const refs = db.prepare('SELECT image_id, repo, tag, digest FROM refs ORDER BY name').raw().all() as RefRowRaw[];
    const parents = new Set(
      db.prepare('SELECT DISTINCT parent FROM images WHERE parent IS NOT NULL').pluck().all() as string[],
    );
    return { images, refs, parents };
  });
  const { images, refs, parents } = readTx.deferred();

  const refsByImage = new Map<string, RefRowRaw[]>();
  for (const r of refs) {
    const l = refsByImage.get(r[0]);
    if (l) l.push(r);
    else refsByImage.set(r[0], [r]);
  }

  const out: ImageSummary[] = [];
  for (const [id, created, size, parent, labelsJson] of images) {
    if (created >= before || created <= since || created > until) continue;
    const labels = labelsJson ? (JSON.parse(labelsJson) as Record<string, string>) : null;
    if (labelFilter && !matchLabels(labelFilter, labels)) continue;
    if (danglingOnly && parents.has(id)) continue;
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const [, repo, tag, digest] of refsByImage.get(id) ?? []) {
      const fam = familiarRef(repo, tag, digest);
      if (refPatterns && !refPatterns.some((p) => referenceMatches(p, fam, familiarRepo(repo)))) continue;
      if (tag !== null) repoTags.push(fam);
      else repoDigests.push(fam);
    }
    if (repoTags.length === 0 && repoDigests.length === 0) {
      if (!(opts.all || !parents.has(id))) continue;
      if (dangling && !danglingOnly) continue;
      if (refPatterns) continue;
      repoTags.push('<none>:<none>');
      repoDigests.push('<none>@<none>');
    } else if (danglingOnly && repoTags.length > 0) continue;
    out.push({
      Containers: -1,
      Created: Math.floor(created / 1000),
      Id: id,
      Labels: labels,
      ParentId: parent ?? '',
      RepoDigests: repoDigests,
      RepoTags: repoTags,
      SharedSize: -1,
      Size: size,
      VirtualSize: size,
    });
    createdMs.set(out[out.length - 1]!, created);
  }
  out.sort((a, b) => createdMs.get(b)! - createdMs.get(a)! || (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
  return out;
}

const createdMs = new WeakMap<ImageSummary, number>();

/** Docker's reference.FamiliarMatch: the pattern against the familiar string, then the familiar name. */
export function referenceMatches(pattern: string, familiar: string, familiarName: string): boolean {
  try {
    return goPathMatch(pattern, familiar) || goPathMatch(pattern, familiarName);
  } catch (err) {
    throw invalidArgument((err as Error).message, err);
  }
}
