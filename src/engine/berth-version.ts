import { readFileSync } from 'node:fs';

let version: string | undefined;

/**
 * The package's version. Read relative to this module, which sits two directories below the
 * package root both as compiled (dist/src/engine) and in the CLI bundle (dist/src/bin).
 */
export function berthVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
      version = pkg.version;
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
