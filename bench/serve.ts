// `docker images` through `berth serve` against the berth CLI itself, on the populated store of
// bench/images-scale (10,000 images by default): whole-process wall times of the docker CLI and
// of berth, the latency of GET /images/json alone, and the docker CLI's own cost (`docker version`).
// Usage: node dist/bench/serve.js [10000] [--runs N]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BERTH_MAIN, CACHE_DIR, median, ms, mustSucceed, parseBenchArgs, printTable, readMarker, timeBerth, timeRun } from './lib.js';

const DOCKER = process.env.BERTH_BENCH_DOCKER ?? '/usr/local/bin/docker';

/** The store bench/images-scale populates and caches (populated by it when missing). */
function populatedStore(n: number): { root: string; rows: number } {
  const root = join(CACHE_DIR, `images-${n}`);
  let marker = readMarker<{ images: number; rows: number }>(`${root}.json`);
  if (!marker || marker.images !== n || !existsSync(root)) {
    process.stderr.write(`serve: populating ${n} images with bench/images-scale\n`);
    const script = fileURLToPath(new URL('./images-scale.js', import.meta.url));
    const r = spawnSync(process.execPath, [script, String(n), '--runs', '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('bench/images-scale could not populate the store');
    marker = readMarker<{ images: number; rows: number }>(`${root}.json`);
    if (!marker) throw new Error(`no marker for ${root}`);
  }
  return { root, rows: marker.rows };
}

async function startServer(root: string, sock: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BERTH_MAIN, '--root', root, 'serve', '--host', `unix://${sock}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  for (let i = 0; !log.includes('API listen on'); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`berth serve did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return child;
}

/** One GET over the socket, timed from the request to the last byte. */
function get(sock: string, path: string): Promise<{ ms: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ socketPath: sock, path, headers: { Host: 'docker' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const lines = (b: Buffer) => b.toString().split('\n').filter(Boolean).length;

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const n = args.scales?.[0] ?? 10000;
  const runs = args.runs ?? 7;
  if (!existsSync(DOCKER)) throw new Error(`${DOCKER} not found (BERTH_BENCH_DOCKER)`);
  const { root, rows } = populatedStore(n);
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-serve-'));
  const sock = join(dir, 'berth.sock');
  const server = await startServer(root, sock);
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  const docker = (a: string[]) => timeRun(DOCKER, a, { env });
  try {
    // warm: page cache, the server's prepared statements, the docker CLI binary
    mustSucceed('docker images', docker(['images']));
    mustSucceed('berth images', timeBerth(root, ['images']));
    await get(sock, '/images/json');
    const t = { node: [] as number[], dockerVersion: [] as number[], api: [] as number[], docker: [] as number[], dockerQ: [] as number[], berth: [] as number[], berthQ: [] as number[] };
    for (let r = 0; r < runs; r++) {
      t.node.push(mustSucceed('node -e 0', timeRun(process.execPath, ['-e', '0'])).ms);
      t.dockerVersion.push(mustSucceed('docker version', docker(['version', '--format', '{{.Server.APIVersion}}'])).ms);
      const api = await get(sock, '/images/json');
      if ((JSON.parse(api.body.toString()) as unknown[]).length !== n) throw new Error('GET /images/json: wrong count');
      t.api.push(api.ms);
      const d = mustSucceed('docker images', docker(['images']));
      if (lines(d.stdout) !== rows + 1) throw new Error(`docker images printed ${lines(d.stdout)} lines, expected ${rows + 1}`);
      t.docker.push(d.ms);
      const dq = mustSucceed('docker images -q', docker(['images', '-q']));
      if (lines(dq.stdout) !== rows) throw new Error('docker images -q: wrong count');
      t.dockerQ.push(dq.ms);
      const b = mustSucceed('berth images', timeBerth(root, ['images']));
      if (lines(b.stdout) !== rows + 1) throw new Error('berth images: wrong count');
      t.berth.push(b.ms);
      t.berthQ.push(mustSucceed('berth images -q', timeBerth(root, ['images', '-q'])).ms);
    }
    console.log(`\nserve: ${n} images (${rows} rows), median of ${runs} runs; whole-process wall times except GET /images/json\n`);
    printTable(
      ['what', 'time'],
      [
        ['node -e 0', ms(median(t.node))],
        ['docker version (CLI start + ping + /version)', ms(median(t.dockerVersion))],
        ['GET /images/json (server only)', ms(median(t.api))],
        ['docker images via berth serve', ms(median(t.docker))],
        ['docker images -q via berth serve', ms(median(t.dockerQ))],
        ['berth images', ms(median(t.berth))],
        ['berth images -q', ms(median(t.berthQ))],
      ],
    );
    console.log(`\ndocker images via serve / berth images: ${(median(t.docker) / median(t.berth)).toFixed(2)}x`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
