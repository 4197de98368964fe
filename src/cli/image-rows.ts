import type { ImageSummary } from '../engine/types.js';
import { parseNormalizedNamed } from '../image/reference.js';

export interface RefCell {
  repo: string;
  tag: string;
  digest: string;
}

/**
 * docker/cli's imageFormatTaggedAndDigest: the (repository, tag, digest) lines of one image.
 * Repositories come out in sorted order (docker iterates a Go map, so its order is random).
 */
export function imageRefCells(img: ImageSummary, withDigests: boolean): RefCell[] {
  const dangling =
    img.RepoTags.length === 1 && img.RepoTags[0] === '<none>:<none>' && img.RepoDigests.length === 1 && img.RepoDigests[0] === '<none>@<none>';
  if (dangling) return [{ repo: '<none>', tag: '<none>', digest: '<none>' }];
  const tags = new Map<string, string[]>();
  const digests = new Map<string, string[]>();
  for (const s of img.RepoTags) {
    const r = safeParse(s);
    if (!r || r.tag === undefined) continue;
    const name = r.familiarName;
    tags.set(name, [...(tags.get(name) ?? []), r.tag]);
  }
  for (const s of img.RepoDigests) {
    const r = safeParse(s);
    if (!r || r.digest === undefined) continue;
    const name = r.familiarName;
    digests.set(name, [...(digests.get(name) ?? []), r.digest]);
  }
  const out: RefCell[] = [];
  for (const repo of [...tags.keys()].sort()) {
    const ds = withDigests ? (digests.get(repo) ?? []) : [];
    digests.delete(repo);
    for (const tag of tags.get(repo)!) {
      if (ds.length === 0) out.push({ repo, tag, digest: '<none>' });
      else for (const d of ds) out.push({ repo, tag, digest: d });
    }
  }
  for (const repo of [...digests.keys()].sort()) {
    if (withDigests) for (const d of digests.get(repo)!) out.push({ repo, tag: '<none>', digest: d });
    else out.push({ repo, tag: '<none>', digest: '' });
  }
  return out;
}

function safeParse(s: string) {
  try {
    return parseNormalizedNamed(s);
  } catch {
    return undefined;
  }
}
