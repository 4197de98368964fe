/** OCI / AUFS whiteout naming used in layer tars. */

export const WHITEOUT_PREFIX = '.wh.';
/** AUFS metadata names (".wh..wh.plnk", ...); never extracted. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

export type WhiteoutKind =
  | { kind: 'none' }
  | { kind: 'opaque' }
  | { kind: 'meta' }
  | { kind: 'file'; target: string };

/** Classifies the base name of a layer entry. */
export function classifyWhiteout(base: string): WhiteoutKind {
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === WHITEOUT_OPAQUE) return { kind: 'opaque' };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  return { kind: 'file', target: base.slice(WHITEOUT_PREFIX.length) };
}
