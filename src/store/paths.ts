import { join } from 'node:path';
import { homedir } from 'node:os';

/** The default store root: /var/lib/berth as root, else $XDG_DATA_HOME/berth. */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_ROOT) return env.BERTH_ROOT;
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/lib/berth';
  const xdg = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(xdg, 'berth');
}

export interface StorePaths {
  root: string;
  db: string;
  blobs: string;
  ingest: string;
  snapshots: string;
  containers: string;
  tmp: string;
  /** RUN --mount=type=cache directories and their index. */
  cacheMounts: string;
  /** The images listing's cached base (listing-cache.ts). */
  listingCache: string;
}

export function storePaths(root: string): StorePaths {
  return {
    root,
    db: join(root, 'berth.db'),
    blobs: join(root, 'blobs', 'sha256'),
    ingest: join(root, 'ingest'),
    snapshots: join(root, 'snapshots'),
    containers: join(root, 'containers'),
    tmp: join(root, 'tmp'),
    cacheMounts: join(root, 'cache-mounts'),
    listingCache: join(root, 'listing-cache'),
  };
}
