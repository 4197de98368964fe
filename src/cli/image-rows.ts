import type { ImageSummary } from '../engine/types.js';
import { parseNormalizedNamed } from '../image/reference.js';
import { cellsOf, type RefCell } from './image-cells.js';

export type { RefCell } from './image-cells.js';

/**
 * docker/cli's imageFormatTaggedAndDigest: the (repository, tag, digest) lines of one image.
 * Repositories come out in sorted order (docker iterates a Go map, so its order is random).
 */
export function imageRefCells(img: ImageSummary, withDigests: boolean): RefCell[] {
  const dangling =
    img.RepoTags.length === 1 && img.RepoTags[0] === '<none>:<none>' && img.RepoDigests.length === 1 && img.RepoDigests[0] === '<none>@<none>';
  if (dangling) return [{ repo: '<none>', tag: '<none>', digest: '<none>' }];
  const tagged: [string, string][] = [];
  const digested: [string, string][] = [];
  for (const s of img.RepoTags) {
    const r = safeParse(s);
    if (r && r.tag !== undefined) tagged.push([r.familiarName, r.tag]);
  }
  for (const s of img.RepoDigests) {
    const r = safeParse(s);
    if (r && r.digest !== undefined) digested.push([r.familiarName, r.digest]);
  }
  return cellsOf(tagged, digested, withDigests);
}

function safeParse(s: string) {
  try {
    return parseNormalizedNamed(s);
  } catch {
    return undefined;
  }
}

