import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildStore, mountsUnder, normalizeIds, scratchLeft } from './helpers.js';
import { fixturesDir } from '../helpers/paths.js';

const canRun = existsSync('/usr/sbin/runc') || existsSync('/usr/bin/runc') || existsSync('/usr/bin/crun');
const skip = !canRun && 'runc/crun is not installed (scripts/install.sh installs them)';
const fixture = (name: string, ext: string) => readFileSync(join(fixturesDir(), 'cli-20.10.24', `${name}.${ext}`), 'utf8');

test('build RUN: output and failure as the classic builder prints them (build-small, build-fail)', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const small = s.ctx('small', {
    Dockerfile: [
      'FROM busybox:local',
      'LABEL org.opencontainers.image.title="lab-small" com.example.fixture="small"',
      'ENV APP_HOME=/app GREETING="hello fixture"',
      'RUN mkdir -p /app && echo "$GREETING" > /app/greeting.txt',
      'COPY payload.txt /app/payload.txt',
      'WORKDIR /app',
      'CMD ["cat", "/app/greeting.txt"]',
      '',
    ].join('\n'),
    'payload.txt': 'payload for the small fixture image\n',
  });
  const r = await s.berth('build', '-t', 'lab/small:1.0', small);
  assert.equal(r.code, 0, r.stderr);
  const want = normalizeIds(fixture('build-small', 'stdout')).replace(/daemon {2}[0-9.]+kB/, 'daemon  <size>');
  assert.equal(normalizeIds(r.stdout).replace(/daemon {2}[0-9.]+kB/, 'daemon  <size>'), want);
  const cached = await s.berth('build', '-t', 'lab/small:1.0', small);
  assert.equal(
    normalizeIds(cached.stdout).replace(/daemon {2}[0-9.]+kB/, 'daemon  <size>'),
    normalizeIds(fixture('build-small-cached', 'stdout')).replace(/daemon {2}[0-9.]+kB/, 'daemon  <size>'),
  );
  const out = join(s.dir, 'small-out');
  assert.equal((await s.berth('build', '-o', `type=local,dest=${out}`, small)).code, 0);
  assert.equal(readFileSync(join(out, 'app/greeting.txt'), 'utf8'), 'hello fixture\n');
  assert.equal(existsSync(join(out, 'etc/hosts')), false, 'runtime mounts are not part of the layer');

  const fail = s.ctx('fail', { Dockerfile: 'FROM busybox:local\nRUN echo about to fail && exit 3\n' });
  const f = await s.berth('build', '-t', 'lab/fail:1', fail);
  assert.equal(f.code, 3);
  assert.equal(normalizeIds(f.stdout), normalizeIds(fixture('build-fail', 'stdout')));
  assert.equal(f.stderr, fixture('build-fail', 'stderr'));
});

test('build RUN: exec form, heredocs, SHELL, USER, WORKDIR, build args in history, deletions, mounts', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const secret = join(s.dir, 'secret.txt');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(secret, 'top-secret');
  const dir = s.ctx('runs', {
    Dockerfile: [
      'FROM busybox:local',
      'ARG WHO=world',
      'RUN ["/bin/sh", "-c", "echo exec-form > /exec.txt"]',
      'RUN <<EOF',
      'echo "hello $WHO" > /heredoc.txt',
      'rm /bin/sleep',
      'EOF',
      'SHELL ["/bin/sh", "-ec"]',
      'WORKDIR /work',
      'USER 1000',
      'RUN echo "uid=$(id -u)"',
      'USER root',
      'RUN <<EOT',
      '#!/bin/sh',
      'echo "from a script: $0" > /tmp/script.txt',
      'EOT',
      'RUN --mount=type=bind,source=data.txt,target=/mnt/data.txt cat /mnt/data.txt > /bound.txt',
      'RUN --mount=type=secret,id=tok cat /run/secrets/tok > /secret-len && test ! -e /run/secrets/tok.keep',
      'RUN --mount=type=secret,id=tok,env=TOK test "$TOK" = top-secret && test ! -e /run/secrets/tok',
      'RUN --mount=type=bind,source=escape,target=/esc test "$(cat /esc/passwd)" = "context passwd"',
      'RUN --mount=type=bind,target=/ctx test -f /ctx/data.txt && test ! -e /ctx/ignored.txt',
      'RUN --mount=type=tmpfs,target=/scratch echo tmp > /scratch/x && test -f /scratch/x',
      'RUN --mount=type=cache,target=/cache echo cached >> /cache/log && cat /cache/log > /cache-seen',
      '',
    ].join('\n'),
    'data.txt': 'from the context\n',
    // A symlink out of the context: bind mounts resolve it inside the context.
    'etc/passwd': 'context passwd',
    'ignored.txt': 'not for the build',
    '.dockerignore': 'ignored.txt\n',
  });
  const { symlinkSync } = await import('node:fs');
  symlinkSync('../../../../../../etc', join(dir, 'escape'));
  const out = join(s.dir, 'runs-out');
  const r = await s.berth('build', '--build-arg', 'WHO=berth', '--secret', `id=tok,src=${secret}`, '-t', 'runs:1', dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal((await s.berth('build', '--build-arg', 'WHO=berth', '--secret', `id=tok,src=${secret}`, '-o', `type=local,dest=${out}`, dir)).code, 0);
  assert.equal(readFileSync(join(out, 'exec.txt'), 'utf8'), 'exec-form\n');
  assert.equal(readFileSync(join(out, 'heredoc.txt'), 'utf8'), 'hello berth\n');
  assert.equal(existsSync(join(out, 'bin/sleep')), false, 'a deletion is a whiteout in the RUN layer');
  assert.match(r.stdout, /^uid=1000$/m);
  assert.equal(readFileSync(join(out, 'tmp/script.txt'), 'utf8'), 'from a script: /dev/pipes/EOT\n');
  assert.equal(statSync(join(out, 'work')).isDirectory(), true);
  assert.equal(readFileSync(join(out, 'bound.txt'), 'utf8'), 'from the context\n');
  assert.equal(existsSync(join(out, 'mnt')), false, 'mount points are not left in the layer');
  assert.equal(readFileSync(join(out, 'secret-len'), 'utf8'), 'top-secret');
  assert.equal(existsSync(join(out, 'scratch')), false, 'tmpfs contents are not in the layer');
  assert.equal(existsSync(join(out, 'cache')), false, 'cache mounts are not in the layer');
  assert.equal(readFileSync(join(out, 'cache-seen'), 'utf8'), 'cached\n', 'the second build hit the step cache');
  const hist = await s.berth('history', '--no-trunc', '--format', '{{.CreatedBy}}', 'runs:1');
  assert.match(hist.stdout, /^\|1 WHO=berth \/bin\/sh -c echo "hello \$WHO"/m);
  assert.match(hist.stdout, /^\|1 WHO=berth \/bin\/sh -c \["\/bin\/sh", "-c", "echo exec-form > \/exec.txt"\]|^\|1 WHO=berth \/bin\/sh -c echo exec-form/m);
});

test('build RUN: a foreign platform without emulation fails clearly; steps without RUN need none', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const foreign = process.arch === 'arm64' ? 'linux/amd64' : 'linux/arm64';
  const qemu = foreign.endsWith('arm64') ? 'aarch64' : 'x86_64';
  const registered = existsSync(`/proc/sys/fs/binfmt_misc/qemu-${qemu}`);
  const noRun = s.ctx('plat', { Dockerfile: 'FROM scratch\nCOPY f /f\nCMD ["/f"]\n', f: 'x' });
  const r = await s.berth('build', '--platform', foreign, '-t', 'plat:1', noRun);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await s.berth('image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', 'plat:1')).stdout.trim(), foreign);
  // A base of the foreign platform (its files do not matter: the RUN must not start).
  const { makeRootfsTar } = await import('../helpers/rootfs.js');
  assert.equal((await s.berth('import', '--platform', foreign, makeRootfsTar(s.dir, 'foreign.tar'), 'foreign:base')).code, 0);
  const mismatch = await s.berth('build', '--platform', foreign, s.ctx('plat-mismatch', { Dockerfile: 'FROM busybox:local\n' }));
  assert.match(mismatch.stderr, /was found but its platform \(linux\/\w+\) does not match the specified platform/);
  const withRun = s.ctx('plat-run', { Dockerfile: 'FROM foreign:base\nRUN true\n' });
  const r2 = await s.berth('build', '--platform', foreign, withRun);
  if (!registered) {
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, new RegExp(`no qemu-${qemu} handler is registered with binfmt_misc`));
  }
  // Several platforms at once: an OCI archive with one manifest per platform.
  const oci = join(s.dir, 'multi.tar');
  const m = await s.berth('build', '--platform', `linux/amd64,linux/arm64`, '-o', `type=oci,dest=${oci}`, noRun);
  assert.equal(m.code, 0, m.stderr);
  const { execFileSync } = await import('node:child_process');
  const index = JSON.parse(execFileSync('tar', ['-xOf', oci, 'index.json']).toString());
  assert.ok(index.manifests.length >= 2 || index.manifests[0].mediaType.includes('index'));
});

test('build RUN: an interrupted build leaves no container, mount or temporary directory', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const { spawn, execFileSync } = await import('node:child_process');
  const { berthBin } = await import('../helpers/paths.js');
  const tmp = join(s.dir, 'tmp');
  const { mkdirSync, readdirSync } = await import('node:fs');
  mkdirSync(tmp);
  const dir = s.ctx('interrupt', { Dockerfile: 'FROM busybox:local\nRUN sleep 60\n' });
  const child = spawn(process.execPath, [berthBin, '--root', s.root, 'build', dir], { env: { ...process.env, BERTH_BUILD_TMP: tmp } });
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (/Running in/.test(out)) resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  assert.equal(code, 143);
  assert.deepEqual(readdirSync(tmp), [], 'nothing of the build outside the store');
  assert.deepEqual(scratchLeft(s.root), [], 'the scratch space is removed on the way out');
  assert.deepEqual(mountsUnder(s.root), []);
  assert.doesNotMatch(execFileSync('mount').toString(), new RegExp(tmp));
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('build RUN: a build killed with SIGKILL leaves only what the next GC reclaims: its RUN process, mounts and scratch space', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const { spawn, execFileSync } = await import('node:child_process');
  const { berthBin } = await import('../helpers/paths.js');
  const marker = `berth-killed-build-${process.pid}-${Date.now()}`;
  const dir = s.ctx('sigkill', { Dockerfile: `FROM busybox:local\nRUN sleep 600 && echo ${marker}\n` });
  const child = spawn(process.execPath, [berthBin, '--root', s.root, 'build', dir]);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the RUN step did not start: ${out}`)), 60_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (/Running in/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const running = () => execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes(marker));
  // Left behind by the dead process: the step's scratch space (and the RUN still running in it).
  assert.notDeepEqual(scratchLeft(s.root), []);
  assert.notDeepEqual(running(), [], 'the RUN step outlives the killed build until the collector runs');
  const gc = await s.berth('system', 'gc');
  assert.equal(gc.code, 0, gc.stderr);
  assert.deepEqual(scratchLeft(s.root), [], 'the collector removes the scratch space of a dead build');
  assert.deepEqual(mountsUnder(s.root), []);
  for (let i = 0; i < 50 && running().length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(running(), [], 'the RUN step of the dead build is killed');
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('build RUN: --add-host and --network=none', { skip }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('net', {
    Dockerfile: 'FROM busybox:local\nRUN grep -q "myhost" /etc/hosts && echo hosts-ok\nRUN --network=none cat /proc/net/dev | grep -c ":" > /ifaces\n',
  });
  const out = join(s.dir, 'net-out');
  const r = await s.berth('build', '--add-host', 'myhost:192.0.2.10', '-o', `type=local,dest=${out}`, dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^hosts-ok$/m);
  assert.equal(readFileSync(join(out, 'ifaces'), 'utf8').trim(), '1', 'only the loopback interface without a network');
  assert.equal(existsSync(join(out, 'etc/hosts')), false);
});
