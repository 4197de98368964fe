import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berthBin } from './paths.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer | NodeJS.ReadableStream;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Return raw stdout bytes too. */
  raw?: boolean;
  /** Ends the command after this long (SIGTERM, then SIGKILL 5 s later); it then fails with code 124. */
  timeoutMs?: number;
}

/** Runs the real berth CLI as a separate process against a given store root. */
export function runBerth(root: string, args: string[], opts: RunOptions = {}): Promise<RunResult & { out: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [berthBin, '--root', root, ...args], {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    if (opts.input === undefined) child.stdin.end();
    else if (typeof opts.input === 'string' || Buffer.isBuffer(opts.input)) child.stdin.end(opts.input);
    else opts.input.pipe(child.stdin);
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
            killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          }, opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      const o = Buffer.concat(out);
      resolve({
        code: timedOut ? 124 : (code ?? (signal ? 128 : 1)),
        stdout: o.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (timedOut ? `\n[test] berth ${args.join(' ')} did not finish within ${opts.timeoutMs} ms\n` : ''),
        out: o,
      });
    });
  });
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'berth-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store root plus a bound runner: `const s = newStore(); await s.berth('images')`. */
export function newStore(): { root: string; berth: (...args: string[]) => Promise<RunResult>; run: (args: string[], opts?: RunOptions) => Promise<RunResult & { out: Buffer }>; cleanup: () => void } {
  const t = tempDir('berth-store-');
  const root = join(t.dir, 'store');
  return {
    root,
    berth: (...args: string[]) => runBerth(root, args),
    run: (args: string[], opts?: RunOptions) => runBerth(root, args, opts),
    cleanup: t.cleanup,
  };
}
