import { parseAnyReference, parseNormalizedNamed, type NamedReference } from '../image/reference.js';
import { invalidArgument } from '../image/errors.js';

export type UserRef =
  | { kind: 'id'; id: string }
  | {
      kind: 'named';
      ref: NamedReference;
      /** Canonical repository, e.g. docker.io/library/busybox. */
      repo: string;
      tag: string | null;
      digest: string | null;
      /** The refs-table key this reference looks up: repo:tag, or repo@digest when a digest is given. */
      canonical: string;
      /** As Docker prints it, e.g. busybox:latest. */
      familiar: string;
    };

/**
 * Parses what a user typed to name an image (Docker's ParseAnyReference): a 64-hex ID,
 * `sha256:<hex>`, or a reference, which gets a default `latest` tag and, with both tag and
 * digest, is looked up by digest.
 */
export function parseUserReference(input: string): UserRef {
  const any = parseAnyReference(input);
  if (any.kind === 'digest') return { kind: 'id', id: any.digest };
  const key = any.dockerRef();
  return {
    kind: 'named',
    ref: any,
    repo: key.name,
    tag: key.tag ?? null,
    digest: key.digest ?? null,
    canonical: key.toString(),
    familiar: key.familiarString(),
  };
}

/** Parses a tag target (`tag SRC TARGET`, `import … REPO[:TAG]`): a name with an optional tag. */
export function parseTagTarget(input: string): { repo: string; tag: string; canonical: string; familiar: string } {
  const ref = parseNormalizedNamed(input);
  if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
  const t = ref.tagNameOnly();
  return { repo: t.name, tag: t.tag!, canonical: t.toString(), familiar: t.familiarString() };
}
