import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from './paths.js';

/** A Docker 28.2.2 CLI transcript: stdout, stderr and exit code of one recorded command. */
export function dockerTranscript(name: string, dir = 'cli-28.2.2'): { stdout: string; stderr: string; rc: number } {
  const read = (ext: string) => readFileSync(join(fixturesDir(), dir, `${name}.${ext}`), 'utf8');
  return { stdout: read('stdout'), stderr: read('stderr'), rc: Number(read('rc').trim()) };
}

/**
 * Makes outputs of different runs comparable: the registry address, digests, short IDs and
 * sizes become placeholders.
 */
export function normalize(s: string, registry: string): string {
  return s
    .split(registry)
    .join('<REG>')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<DIGEST>')
    .replace(/\b[0-9a-f]{12}\b/g, '<ID>')
    .replace(/size: \d+/g, 'size: <N>');
}

/** Lines, sorted: for outputs whose per-layer lines interleave differently from run to run. */
export function sortedLines(s: string, drop: RegExp[] = []): string[] {
  return s
    .split('\n')
    .filter((l) => l !== '' && !drop.some((d) => d.test(l)))
    .sort();
}

/** Statuses of each layer ID in the order printed, e.g. { abc: ['Pulling fs layer', 'Pull complete'] }. */
export function layerStatuses(s: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of s.split('\n')) {
    const r = /^([0-9a-f]{12}): (.*)$/.exec(line);
    if (!r) continue;
    if (!m.has(r[1]!)) m.set(r[1]!, []);
    m.get(r[1]!)!.push(r[2]!);
  }
  return m;
}
