import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { berthBin, fixturesDir } from '../helpers/paths.js';
import { runBerth, tempDir, type RunResult } from '../helpers/berth.js';

export const DOCKER = '/usr/local/bin/docker';

export function haveDockerCli(): boolean {
  return existsSync(DOCKER);
}

export interface CliRun {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Served {
  dir: string;
  root: string;
  sock: string;
  /** The docker CLI (28.2) against this server; `DOCKER_API_VERSION` can pin the API version. */
  docker(args: string[], opts?: CliRun): Promise<RunResult>;
  /** The berth CLI on the same store. */
  berth(...args: string[]): Promise<RunResult>;
  berthRun(args: string[], opts?: CliRun): Promise<RunResult & { out: Buffer }>;
  request(method: string, path: string, opts?: { body?: string | Buffer; headers?: Record<string, string> }): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer; text: string }>;
  /** Sends a signal to the server and waits for it to exit; its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  log(): string;
  child: ChildProcess;
  /** The server's exit code, once it exited. */
  exited: Promise<number>;
  cleanup(): Promise<void>;
}

/** Runs a program, collecting its output. */
export function run(cmd: string, args: string[], opts: CliRun = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

/**
 * Starts `berth serve` on a socket in a fresh directory, over a fresh store (or `root`), with its
 * own HOME and Docker config so nothing of this machine's leaks in.
 */
export async function startServe(opts: { root?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  const t = tempDir('berth-serve-');
  const dir = t.dir;
  const root = opts.root ?? join(dir, 'store');
  const sock = join(dir, 'berth.sock');
  const home = join(dir, 'home');
  const dockerConfig = join(dir, 'docker-config');
  mkdirSync(home, { recursive: true });
  mkdirSync(dockerConfig, { recursive: true });
  // The server has a Docker config of its own, apart from its clients' (registry credentials
  // then come with the requests, as X-Registry-Auth).
  const serverConfig = join(dir, 'server-config');
  mkdirSync(serverConfig, { recursive: true });
  const env = { ...process.env, HOME: home, DOCKER_CONFIG: serverConfig, ...opts.env };
  const child = spawn(process.execPath, [berthBin, '--root', root, 'serve', '--host', `unix://${sock}`, ...(opts.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  for (let i = 0; !log.includes('API listen on'); i++) {
    if (child.exitCode !== null) throw new Error(`berth serve exited: ${log}`);
    if (i > 400) {
      child.kill('SIGKILL');
      throw new Error(`berth serve did not start: ${log}`);
    }
    await sleep(25);
  }
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const served: Served = {
    dir,
    root,
    sock,
    child,
    exited,
    docker: (args, o = {}) => run(DOCKER, args, { ...o, env: { HOME: home, DOCKER_CONFIG: dockerConfig, DOCKER_HOST: `unix://${sock}`, ...o.env } }),
    berth: (...args) => runBerth(root, args, { env: { HOME: home, DOCKER_CONFIG: dockerConfig } }),
    berthRun: (args, o = {}) => runBerth(root, args, { input: o.input, cwd: o.cwd, env: { HOME: home, DOCKER_CONFIG: dockerConfig, ...o.env } }),
    request: (method, path, o = {}) =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ socketPath: sock, method, path, headers: { Host: 'docker', ...o.headers } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () => {
            const body = Buffer.concat(parts);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(o.body);
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
    log: () => log,
    cleanup: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // Containers of the test are removed through the CLI, which also unmounts what they used
      // (not when the store is gone already: the CLI would make a new one, left behind).
      const ids = existsSync(root) ? (await runBerth(root, ['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean) : [];
      if (ids.length) await runBerth(root, ['rm', '-f', ...ids]);
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((p): p is string => p !== undefined && p.startsWith(dir))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) await run('umount', ['-l', m]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return served;
}

export const fixture = (name: string, ext: 'stdout' | 'stderr' | 'rc' | 'cmd'): string => readFileSync(join(fixturesDir(), 'cli-28.2.2', `${name}.${ext}`), 'utf8');
export const archive = (name: string): string => join(fixturesDir(), 'archives', name);

/** "N units ago" and CREATED columns depend on when the command ran. */
export const noAge = (s: string): string => s.replace(/(Less than a second|About an? \w+|\d+ \w+) ago/g, 'AGO');

/** The legacy builder's deprecation banner the 28.2 CLI prints on every DOCKER_BUILDKIT=0 build. */
export const withoutBanner = (s: string): string => s.replace(/^DEPRECATED: The legacy builder[\s\S]*?\n\n/, '');
