/** Shared pieces of registry transfers: concurrency limits and a bounded parallel runner. */
import { daemonConfig } from '../registry/hosts.js';

/** A limit from the environment, else from Docker's daemon.json, else the default. */
function limit(env: string, daemonKey: string, fallback: number): number {
  for (const v of [Number(process.env[env]), Number(daemonConfig()[daemonKey])]) if (Number.isInteger(v) && v >= 1) return v;
  return fallback;
}

/** Parallel layer downloads: $BERTH_MAX_CONCURRENT_DOWNLOADS, else daemon.json's max-concurrent-downloads, else 3 (Docker's default). */
export function maxConcurrentDownloads(): number {
  return limit('BERTH_MAX_CONCURRENT_DOWNLOADS', 'max-concurrent-downloads', 3);
}

/** Parallel layer uploads: $BERTH_MAX_CONCURRENT_UPLOADS, else daemon.json's max-concurrent-uploads, else 5 (Docker's default). */
export function maxConcurrentUploads(): number {
  return limit('BERTH_MAX_CONCURRENT_UPLOADS', 'max-concurrent-uploads', 5);
}

/**
 * Runs `fn` over the items with at most `limit` at a time, in order. Items that cannot start at
 * once are reported to `onWaiting` (Docker's "Waiting"). The first failure aborts the signal
 * handed to the others; all settle before the first error is thrown.
 */
export async function runLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<void>,
  onWaiting?: (item: T, index: number) => void,
): Promise<void> {
  const ac = new AbortController();
  let next = 0;
  let firstError: unknown;
  let failed = false;
  if (onWaiting) for (let i = limit; i < items.length; i++) onWaiting(items[i]!, i);
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        await fn(items[i]!, i, ac.signal);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
          ac.abort(err);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw firstError;
}
