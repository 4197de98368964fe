import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const berthBin = join(repoRoot, 'dist', 'src', 'bin', 'berth.js');

/**
 * The project brief's shared/ directory (fixtures, conformance data): $BERTH_SHARED, or a
 * `shared` directory beside or above the checkout.
 */
export function sharedDir(): string {
  const candidates = [process.env.BERTH_SHARED, join(repoRoot, 'test', 'shared')];
  for (let d = repoRoot; ; d = dirname(d)) {
    candidates.push(join(d, 'shared'), join(d, '..', 'shared'));
    if (dirname(d) === d) break;
  }
  for (const c of candidates) if (c && existsSync(join(c, 'fixtures'))) return c;
  throw new Error('shared/ fixtures not found: set BERTH_SHARED');
}

export const fixturesDir = (): string => join(sharedDir(), 'fixtures', 'docker');
