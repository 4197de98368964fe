/** The Engine API versions berth serves: shapes of API 1.41 up to API_VERSION; older clients get 1.41's. */
export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

/** Compares "major.minor" versions numerically, as Docker's versions.compare does. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10) || 0;
    const y = Number.parseInt(pb[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export const versionLess = (a: string, b: string): boolean => compareVersions(a, b) < 0;
export const versionAtLeast = (a: string, b: string): boolean => compareVersions(a, b) >= 0;
