import { invalidArgument } from '../image/errors.js';

/** Where an image lives, named with skopeo-style transport URLs. */
export type Location =
  | { kind: 'berth'; ref: string }
  | { kind: 'docker'; ref: string }
  | { kind: 'docker-archive' | 'oci-archive' | 'oci'; path: string; ref?: string };

export const TRANSPORTS = ['berth:', 'docker://', 'docker-archive:', 'oci-archive:', 'oci:'] as const;

/**
 * Parses `berth:REF`, `docker://REF`, `docker-archive:PATH[:REF]`, `oci-archive:PATH[:REF]` and
 * `oci:DIR[:REF]`. As in skopeo, a path cannot contain ':' (everything after it is the reference).
 */
export function parseLocation(s: string): Location {
  if (s.startsWith('docker://')) return { kind: 'docker', ref: nonEmpty(s.slice(9), s) };
  if (s.startsWith('berth:')) return { kind: 'berth', ref: nonEmpty(s.slice(6), s) };
  for (const kind of ['docker-archive', 'oci-archive', 'oci'] as const) {
    if (!s.startsWith(kind + ':')) continue;
    const rest = s.slice(kind.length + 1);
    const colon = rest.indexOf(':');
    const path = nonEmpty(colon < 0 ? rest : rest.slice(0, colon), s);
    const ref = colon < 0 ? undefined : rest.slice(colon + 1) || undefined;
    return ref === undefined ? { kind, path } : { kind, path, ref };
  }
  throw invalidArgument(`invalid image location "${s}": expected one of ${TRANSPORTS.join(', ')} followed by a name`);
}

function nonEmpty(v: string, whole: string): string {
  if (v === '') throw invalidArgument(`invalid image location "${whole}": missing name`);
  return v;
}
