// Helpers shared by the benchmarks: timing child processes, medians, tables, the cache directory.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Populated stores and generated archives are cached here so reruns are quick. */
export const CACHE_DIR = process.env.BERTH_BENCH_DIR ?? '/var/tmp/berth-bench';

/** The compiled CLI this benchmark measures ($BERTH_BENCH_MAIN: another build's main.js). */
export const BERTH_MAIN = process.env.BERTH_BENCH_MAIN ?? fileURLToPath(new URL('../src/bin/berth.js', import.meta.url));

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Args {
  /** Positional scale list, e.g. "1000,10000". */
  scales: number[] | undefined;
  runs: number | undefined;
  /** --name=value options. */
  options: Map<string, string>;
  /** Other --name flags. */
  flags: Set<string>;
}

/** `node dist/bench/x.js [SCALES] [--runs N] [--flag]`; SCALES is a comma-separated list (k/m suffixes allowed). */
export function parseBenchArgs(argv: string[]): Args {
  const out: Args = { scales: undefined, runs: undefined, options: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') out.runs = Number(argv[++i]);
    else if (a.startsWith('--runs=')) out.runs = Number(a.slice(7));
    else if (a === '--baseline') out.options.set('baseline', argv[++i]!);
    else if (a.startsWith('--') && a.includes('=')) out.options.set(a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1));
    else if (a.startsWith('--')) out.flags.add(a.slice(2));
    else out.scales = a.split(',').filter(Boolean).map(parseCount);
  }
  if (out.runs !== undefined && !(out.runs >= 1)) throw new Error('--runs needs a positive number');
  return out;
}

function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`not a count: ${s}`);
  const mult = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1e3 : 1e6;
  return Math.round(Number(m[1]) * mult);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Timed {
  ms: number;
  status: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

/**
 * Runs a command to completion and returns its wall time, spawn included (the same cost is in
 * every measurement, the `node -e 0` baseline too). stdout goes to a pipe that is read whole,
 * as when a script consumes the output.
 */
export function timeRun(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdout?: 'pipe' | 'ignore' } = {}): Timed {
  const t0 = process.hrtime.bigint();
  const r: SpawnSyncReturns<Buffer> = spawnSync(cmd, args, {
    stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    maxBuffer: 1 << 30,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return { ms, status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr ?? Buffer.alloc(0) };
}

export function mustSucceed(what: string, r: Timed): Timed {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${r.stderr.toString().trim()}`);
  return r;
}

/** Runs `node dist/src/bin/berth.js --root ROOT ...args`. */
export function timeBerth(root: string, args: string[], opts: { stdout?: 'pipe' | 'ignore' } = {}): Timed {
  return timeRun(process.execPath, [BERTH_MAIN, '--root', root, ...args], opts);
}

export interface PeakRun {
  ms: number;
  /** Peak resident set size of the process, in KiB. */
  maxRssKiB: number;
}

/**
 * Runs a command and reports wall time and its peak RSS: from GNU time when installed, otherwise
 * from /proc/PID/status VmHWM polled until the process exits (VmHWM is itself a high-water mark).
 */
export async function runWithPeakRss(cmd: string, args: string[], opts: { stdout?: string } = {}): Promise<PeakRun> {
  const gnuTime = existsSync('/usr/bin/time');
  const rssFile = join(ensureDir(CACHE_DIR), `.rss-${process.pid}`);
  const argv = gnuTime ? ['-f', '%M', '-o', rssFile, cmd, ...args] : args;
  const t0 = process.hrtime.bigint();
  const child = spawn(gnuTime ? '/usr/bin/time' : cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let hwm = 0;
  let poll: NodeJS.Timeout | undefined;
  if (!gnuTime) {
    poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 5);
  }
  const err: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const out = opts.stdout;
  if (out === undefined) child.stdout.resume();
  else {
    const { createWriteStream } = await import('node:fs');
    child.stdout.pipe(createWriteStream(out));
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (poll) clearInterval(poll);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${code}): ${Buffer.concat(err).toString().trim()}`);
  if (gnuTime) hwm = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  return { ms, maxRssKiB: hwm };
}

/** Prints rows as an aligned text table (first column left, the rest right aligned). */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
}

export const ms = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(x < 100 ? 1 : 0)} ms` : '-');
export const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-');
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** JSON marker files that say a cached artefact is complete (written last, renamed into place). */
export function readMarker<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function writeMarker(file: string, value: unknown): void {
  writeFileSync(file + '.tmp', JSON.stringify(value, null, 2) + '\n');
  renameSync(file + '.tmp', file);
}

/** Bounded parallelism for async work. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
