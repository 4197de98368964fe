// berth build on a 20-step Dockerfile with a 200 MiB, 10,000-file context:
// cold build, no-change rebuild (target: under 1 s) and rebuild after changing one file.
//   node dist/bench/build.js [--runs N] [--with-run]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CACHE_DIR, ensureDir, median, mustSucceed, ms, parseBenchArgs, printTable, timeBerth } from './lib.js';

const FILES = 10_000;
const TOTAL = 200 * 2 ** 20;
const DIRS = 10;

function makeContext(dir: string, withRun: boolean): void {
  if (existsSync(join(dir, 'Dockerfile'))) return;
  mkdirSync(dir, { recursive: true });
  // Sizes vary (a few large files, many small ones) but add up to 200 MiB.
  const big = 20;
  const bigSize = Math.floor((TOTAL * 0.8) / big);
  const smallSize = Math.floor((TOTAL * 0.2) / (FILES - big));
  for (let i = 0; i < FILES; i++) {
    const d = join(dir, `src${i % DIRS}`, `g${Math.floor(i / 100) % 10}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}.bin`), randomBytes(i < big ? bigSize : smallSize));
  }
  writeFileSync(join(dir, '.dockerignore'), '**/*.tmp\n');
  const steps = ['FROM busybox:local', 'ARG VERSION=1', 'ENV APP=/app VERSION=${VERSION}', 'LABEL bench=build', 'WORKDIR /app'];
  for (let i = 0; i < DIRS; i++) steps.push(`COPY src${i} /app/src${i}/`);
  steps.push(withRun ? 'RUN ls /app > /app/listing' : 'EXPOSE 8080', 'USER 1000', 'VOLUME /data', 'ENTRYPOINT ["/bin/sh"]', 'CMD ["-c", "ls /app"]');
  writeFileSync(join(dir, 'Dockerfile'), steps.join('\n') + '\n');
}

function main(): void {
  const args = parseBenchArgs(process.argv.slice(2));
  const runs = args.runs ?? 3;
  const withRun = args.flags.has('with-run');
  const base = ensureDir(join(CACHE_DIR, 'build'));
  const ctx = join(base, withRun ? 'ctx-run' : 'ctx');
  makeContext(ctx, withRun);
  const rows: string[][] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  const touched: number[] = [];
  for (let r = 0; r < runs; r++) {
    const root = join(base, `store-${r}`);
    rmSync(root, { recursive: true, force: true });
    const rootfsDir = ensureDir(join(base, 'rootfs'));
    const rootfs = join(rootfsDir, 'rootfs.tar');
    if (!existsSync(rootfs)) {
      const tree = join(rootfsDir, 'tree');
      mkdirSync(join(tree, 'bin'), { recursive: true });
      execFileSync('cp', ['/bin/busybox', join(tree, 'bin/busybox')]);
      execFileSync('ln', ['-sf', 'busybox', join(tree, 'bin/sh')]);
      execFileSync('ln', ['-sf', 'busybox', join(tree, 'bin/ls')]);
      mkdirSync(join(tree, 'etc'), { recursive: true });
      writeFileSync(join(tree, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      execFileSync('tar', ['-C', tree, '-cf', rootfs, '.']);
    }
    mustSucceed('import', timeBerth(root, ['import', rootfs, 'busybox:local']));
    cold.push(mustSucceed('cold build', timeBerth(root, ['build', '-q', '-t', 'bench:1', ctx])).ms);
    warm.push(mustSucceed('no-change rebuild', timeBerth(root, ['build', '-q', '-t', 'bench:1', ctx])).ms);
    // Change one file's content in the middle of the context (src5): steps before it stay cached.
    writeFileSync(join(ctx, 'src5', 'g0', 'f5.bin'), randomBytes(1024 + r));
    touched.push(mustSucceed('rebuild after one change', timeBerth(root, ['build', '-q', '-t', 'bench:1', ctx])).ms);
    rmSync(root, { recursive: true, force: true });
  }
  rows.push(['cold build', ms(median(cold)), cold.map((x) => x.toFixed(0)).join(' ')]);
  rows.push(['no-change rebuild', ms(median(warm)), warm.map((x) => x.toFixed(0)).join(' ')]);
  rows.push(['rebuild, one file changed', ms(median(touched)), touched.map((x) => x.toFixed(0)).join(' ')]);
  console.log(`berth build: 20 steps${withRun ? ' (one RUN)' : ''}, ${FILES} files, ${TOTAL / 2 ** 20} MiB context, ${runs} runs`);
  printTable(['case', 'median', 'runs (ms)'], rows);
}

main();
