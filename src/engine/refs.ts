import { familiarRef } from './familiar.js';
import { parseNormalizedReference } from './refs-parse.js';

export type UserRef =
  | { kind: 'id'; id: string }
  | {
      kind: 'named';
      /** Canonical repository, e.g. docker.io/library/busybox. */
      repo: string;
      tag: string | null;
      digest: string | null;
      /** The key of the refs table this reference looks up: repo:tag, or repo@digest when a digest is given. */
      canonical: string;
      /** As Docker prints it, e.g. busybox:latest. */
      familiar: string;
    };

/**
 * Parses what a user typed to name an image: a 64-hex ID, `sha256:<hex>`, or a reference with a
 * default `latest` tag.
 */
export function parseUserReference(input: string): UserRef {
  if (/^[a-f0-9]{64}$/.test(input)) return { kind: 'id', id: 'sha256:' + input };
  if (/^sha256:[a-f0-9]{64}$/.test(input)) return { kind: 'id', id: input };
  const p = parseNormalizedReference(input);
  const tag = p.tag ?? (p.digest ? null : 'latest');
  const digest = p.digest ?? null;
  const canonical = digest ? `${p.repo}@${digest}` : `${p.repo}:${tag}`;
  return {
    kind: 'named',
    repo: p.repo,
    tag,
    digest,
    canonical,
    familiar: digest ? familiarRef(p.repo, null, digest) : familiarRef(p.repo, tag, null),
  };
}

/** Parses a tag target (`docker tag SRC TARGET`): must be a name with an optional tag, no digest. */
export function parseTagTarget(input: string): { repo: string; tag: string; canonical: string; familiar: string } {
  const p = parseNormalizedReference(input);
  if (p.digest) throw new Error('refusing to create a tag with a digest reference');
  const tag = p.tag ?? 'latest';
  return { repo: p.repo, tag, canonical: `${p.repo}:${tag}`, familiar: familiarRef(p.repo, tag, null) };
}
