import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStore, normalizeIds } from './helpers.js';
import { fixturesDir } from '../helpers/paths.js';
import type { RunResult } from '../helpers/berth.js';
import { freePort } from '../helpers/registry.js';

const fixture = (name: string, ext: string) => readFileSync(join(fixturesDir(), 'cli-20.10.24', `${name}.${ext}`), 'utf8');

test('build: classic builder output, Successfully built/tagged, as Docker prints it (build-dangle-v1)', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('dangle', { Dockerfile: 'FROM busybox:local\nCOPY version.txt /version.txt\n', 'version.txt': 'v1\n' });
  const r = await s.berth('build', '-t', 'lab/dangle:1', dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(normalizeIds(r.stdout), normalizeIds(fixture('build-dangle-v1', 'stdout')));
  const again = await s.berth('build', '-t', 'lab/dangle:1', dir);
  assert.match(again.stdout, /Step 2\/2 : COPY version.txt \/version.txt\n ---> Using cache\n/);
  assert.equal(again.stdout.split('\n').at(-3), r.stdout.split('\n').at(-3), 'same image on a cache hit');
  // -q prints only the full ID; --iidfile writes it.
  const iid = join(s.dir, 'iid');
  const q = await s.berth('build', '-q', '--iidfile', iid, '-t', 'lab/dangle:1', dir);
  assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(readFileSync(iid, 'utf8'), q.stdout.trim());
  const img = await s.inspect('lab/dangle:1');
  assert.equal(img.Id, q.stdout.trim());
  assert.equal(img.Config.Env[0], 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  // Each step is an intermediate image whose parent is the previous step's.
  const base = await s.inspect('busybox:local');
  assert.equal(img.Parent, base.Id);
  const hist = await s.berth('history', '-q', 'lab/dangle:1');
  assert.deepEqual(hist.stdout.trim().split('\n'), [img.Id.slice(7, 19), base.Id.slice(7, 19)]);
});

test('build: every metadata instruction sets the config as Docker does', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('meta', {
    Dockerfile: [
      'FROM busybox:local',
      'ARG NAME=world',
      'ENV GREETING="hello ${NAME}" OTHER=x',
      'LABEL a=1 "b c"="d e"',
      'EXPOSE 80 53/udp 8000-8001',
      'VOLUME /data',
      'VOLUME ["/other"]',
      'USER 1000:50',
      'STOPSIGNAL SIGUSR1',
      'WORKDIR /srv',
      'WORKDIR sub',
      'SHELL ["/bin/sh", "-ec"]',
      'HEALTHCHECK --interval=5s --retries=2 CMD true',
      'ONBUILD COPY x /x',
      'ENTRYPOINT ["/bin/echo"]',
      'CMD echo $GREETING',
      '',
    ].join('\n'),
  });
  const r = await s.berth('build', '--build-arg', 'NAME=berth', '--label', 'from.cli=yes', '-t', 'meta:1', dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Step 17\/17 : LABEL from.cli=yes\n/);
  const c = (await s.inspect('meta:1')).Config;
  assert.deepEqual(c.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello berth', 'OTHER=x']);
  assert.deepEqual(c.Labels, { a: '1', 'b c': 'd e', 'from.cli': 'yes' });
  assert.deepEqual(Object.keys(c.ExposedPorts).sort(), ['53/udp', '80/tcp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(Object.keys(c.Volumes).sort(), ['/data', '/other']);
  assert.equal(c.User, '1000:50');
  assert.equal(c.StopSignal, 'SIGUSR1');
  assert.equal(c.WorkingDir, '/srv/sub');
  assert.deepEqual(c.Shell, ['/bin/sh', '-ec']);
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5000000000, Retries: 2 });
  assert.deepEqual(c.OnBuild, ['COPY x /x']);
  assert.deepEqual(c.Entrypoint, ['/bin/echo']);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-ec', 'echo $GREETING']);
  // WORKDIR made the directory (owned by the USER in effect).
  const out = join(s.dir, 'meta-out');
  assert.equal((await s.berth('build', '-o', `type=local,dest=${out}`, dir)).code, 0);
  assert.equal(statSync(join(out, 'srv/sub')).isDirectory(), true);
  assert.equal(statSync(join(out, 'srv/sub')).uid, 1000);
});

test('build: ONBUILD triggers run in the child build', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const parent = s.ctx('onbuild-parent', { Dockerfile: 'FROM busybox:local\nONBUILD COPY trigger.txt /trigger.txt\nONBUILD ENV TRIGGERED=1\n' });
  assert.equal((await s.berth('build', '-t', 'parent:1', parent)).code, 0);
  const child = s.ctx('onbuild-child', { Dockerfile: 'FROM parent:1\nLABEL child=1\n', 'trigger.txt': 'fired\n' });
  const out = join(s.dir, 'child-out');
  const r = await s.berth('build', '-t', 'child:1', '-o', 'type=docker', child);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /# Executing 2 build triggers\n/);
  const c = (await s.inspect('child:1')).Config;
  assert.equal(c.OnBuild, null, 'triggers are not inherited');
  assert.ok(c.Env.includes('TRIGGERED=1'));
  assert.equal((await s.berth('build', '-o', out, child)).code, 0);
  assert.equal(readFileSync(join(out, 'trigger.txt'), 'utf8'), 'fired\n');
});

test('build: COPY and ADD (globs, directories, --chown, --chmod, --parents, --exclude, heredocs, archives, dest through symlinks)', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const tarDir = join(s.dir, 'tarsrc');
  mkdirSync(join(tarDir, 'pkg'), { recursive: true });
  writeFileSync(join(tarDir, 'pkg/inside.txt'), 'from the tarball\n');
  const dir = s.ctx('copy', {
    Dockerfile: [
      'FROM busybox:local',
      'COPY *.txt /texts/',
      'COPY dir /copied',
      'COPY --chown=1000:staff --chmod=600 one.txt /owned.txt',
      'COPY --parents dir/./deep/f.txt /parents/',
      'COPY --exclude=*.skip dir /excl/',
      'COPY <<EOF /inline.txt',
      'inline ${HOME:-none}',
      'EOF',
      'ADD archive.tar.gz /unpacked/',
      'RUN_PLACEHOLDER',
      'COPY one.txt /bin/viabin',
      '',
    ].join('\n').replace('RUN_PLACEHOLDER\n', ''),
    'one.txt': '1\n',
    'two.txt': '2\n',
    'dir/a': 'a\n',
    'dir/b.skip': 'skip\n',
    'dir/deep/f.txt': 'deep\n',
  });
  execFileSync('tar', ['-C', tarDir, '-czf', join(dir, 'archive.tar.gz'), 'pkg']);
  const out = join(s.dir, 'copy-out');
  const r = await s.berth('build', '-o', `type=local,dest=${out}`, dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(readFileSync(join(out, 'texts/one.txt'), 'utf8'), '1\n');
  assert.equal(readFileSync(join(out, 'texts/two.txt'), 'utf8'), '2\n');
  assert.equal(readFileSync(join(out, 'copied/a'), 'utf8'), 'a\n');
  assert.equal(readFileSync(join(out, 'copied/deep/f.txt'), 'utf8'), 'deep\n');
  const owned = statSync(join(out, 'owned.txt'));
  assert.equal(owned.mode & 0o777, 0o600);
  assert.equal(owned.uid, 1000);
  assert.equal(owned.gid, 50);
  assert.equal(readFileSync(join(out, 'parents/deep/f.txt'), 'utf8'), 'deep\n');
  assert.equal(existsSync(join(out, 'excl/a')), true);
  assert.equal(existsSync(join(out, 'excl/b.skip')), false);
  assert.equal(readFileSync(join(out, 'inline.txt'), 'utf8'), 'inline none\n');
  assert.equal(readFileSync(join(out, 'unpacked/pkg/inside.txt'), 'utf8'), 'from the tarball\n');
  // /bin/viabin is a new file in /bin (COPY does not replace the directory).
  assert.equal(readFileSync(join(out, 'bin/viabin'), 'utf8'), '1\n');
  assert.equal(lstatSync(join(out, 'bin/sh')).isSymbolicLink(), true);
});

test('build: hostile context symlinks are copied as symlinks, never followed out of the context', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('hostile', {
    Dockerfile: 'FROM busybox:local\nCOPY . /ctx/\nCOPY passwd-link /followed\n',
    'passwd-link': { link: '/etc/passwd' },
    'up-link': { link: '../../../../../etc/shadow' },
    // Inside the context, "/etc/passwd" resolves to the context's own etc/passwd.
    'etc/passwd': 'context passwd\n',
  });
  const out = join(s.dir, 'hostile-out');
  const r = await s.berth('build', '-o', `type=local,dest=${out}`, dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(readlinkSync(join(out, 'ctx/passwd-link')), '/etc/passwd');
  assert.equal(readlinkSync(join(out, 'ctx/up-link')), '../../../../../etc/shadow');
  assert.equal(readFileSync(join(out, 'followed'), 'utf8'), 'context passwd\n');
  const bad = s.ctx('hostile2', { Dockerfile: 'FROM busybox:local\nCOPY ../outside /x\n' });
  const r2 = await s.berth('build', bad);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /Forbidden path outside the build context: \.\.\/outside/);
});

test('build: .dockerignore and <Dockerfile>.dockerignore decide what COPY sees', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('ignore', {
    Dockerfile: 'FROM busybox:local\nCOPY . /ctx/\n',
    'alt.Dockerfile': 'FROM busybox:local\nCOPY . /ctx/\n',
    'alt.Dockerfile.dockerignore': 'keep.md\n',
    '.dockerignore': '*.md\n!keep.md\nsecret/\n**/*.tmp\n.dockerignore\n',
    'keep.md': 'k',
    'drop.md': 'd',
    'secret/key': 's',
    'a/b/c.tmp': 't',
    'a/b/c.txt': 'c',
  });
  const out = join(s.dir, 'ignore-out');
  assert.equal((await s.berth('build', '-o', `type=local,dest=${out}`, dir)).code, 0);
  assert.equal(existsSync(join(out, 'ctx/keep.md')), true);
  assert.equal(existsSync(join(out, 'ctx/drop.md')), false);
  assert.equal(existsSync(join(out, 'ctx/secret')), false);
  assert.equal(existsSync(join(out, 'ctx/a/b/c.tmp')), false);
  assert.equal(existsSync(join(out, 'ctx/a/b/c.txt')), true);
  assert.equal(existsSync(join(out, 'ctx/.dockerignore')), false);
  assert.equal(existsSync(join(out, 'ctx/Dockerfile')), true);
  const out2 = join(s.dir, 'ignore-out2');
  assert.equal((await s.berth('build', '-f', join(dir, 'alt.Dockerfile'), '-o', `type=local,dest=${out2}`, dir)).code, 0);
  assert.equal(existsSync(join(out2, 'ctx/keep.md')), false, 'the Dockerfile-specific ignore file wins');
  assert.equal(existsSync(join(out2, 'ctx/drop.md')), true);
});

test('build: cache hits and misses, never a result for different inputs', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const id = async (dir: string, ...args: string[]) => {
    const r = await s.berth('build', '-q', ...args, dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return r.stdout.trim();
  };
  // FROM scratch: equal instructions over different files must not share a result.
  const a = s.ctx('scratch-a', { Dockerfile: 'FROM scratch\nCOPY f /f\n', f: 'A' });
  const b = s.ctx('scratch-b', { Dockerfile: 'FROM scratch\nCOPY f /f\n', f: 'B' });
  const ia = await id(a);
  assert.notEqual(await id(b), ia);
  assert.equal(await id(a), ia);
  // A changed file misses; the same content again hits.
  writeFileSync(join(a, 'f'), 'A2');
  const ia2 = await id(a);
  assert.notEqual(ia2, ia);
  writeFileSync(join(a, 'f'), 'A');
  assert.equal(await id(a), ia);
  // ONBUILD / HEALTHCHECK changes are different configs.
  const o1 = s.ctx('ob1', { Dockerfile: 'FROM busybox:local\nONBUILD RUN echo 1\nLABEL x=1\n' });
  const o2 = s.ctx('ob2', { Dockerfile: 'FROM busybox:local\nONBUILD RUN echo 2\nLABEL x=1\n' });
  assert.notEqual(await id(o1), await id(o2));
  const h1 = s.ctx('hc1', { Dockerfile: 'FROM busybox:local\nHEALTHCHECK CMD true\nLABEL x=1\n' });
  const h2 = s.ctx('hc2', { Dockerfile: 'FROM busybox:local\nHEALTHCHECK --interval=3s CMD true\nLABEL x=1\n' });
  const ih1 = await id(h1);
  assert.notEqual(ih1, await id(h2));
  assert.equal((await s.inspect(ih1)).Config.Healthcheck.Interval, undefined);
  // Build args: a different value is a different result, the same one hits.
  const ba = s.ctx('args', { Dockerfile: 'FROM busybox:local\nARG V\nCOPY f /f\n', f: 'x' });
  const v1 = await id(ba, '--build-arg', 'V=1');
  assert.notEqual(await id(ba, '--build-arg', 'V=2'), v1);
  assert.equal(await id(ba, '--build-arg', 'V=1'), v1);
  // --no-cache rebuilds every step.
  const nc = await s.berth('build', '--no-cache', ba);
  assert.doesNotMatch(nc.stdout, /Using cache/);
  // The cache survives the removal of the images and goes with builder prune.
  assert.equal((await s.berth('rmi', ia)).code, 0);
  assert.equal(await id(a), ia);
  const pr = await s.berth('builder', 'prune', '-f');
  assert.equal(pr.code, 0, pr.stderr);
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('build: stages build as a graph; --target; unused stages are skipped; COPY --from stage, index and image', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('stages', {
    Dockerfile: [
      'ARG BASE=busybox:local',
      'FROM ${BASE} AS one',
      'COPY a /a',
      'FROM does-not-exist:never AS unused',
      'COPY a /a',
      'FROM scratch AS two',
      'COPY b /b',
      'FROM ${BASE}',
      'COPY --from=one /a /from-one',
      'COPY --from=2 /b /from-two',
      'COPY --from=busybox:local /etc/passwd /from-image',
      '',
    ].join('\n'),
    a: 'A',
    b: 'B',
  });
  const out = join(s.dir, 'stages-out');
  const r = await s.berth('build', '-o', `type=local,dest=${out}`, dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.doesNotMatch(r.stdout, /does-not-exist/);
  assert.match(r.stdout, /Step 1\/8 : FROM \$\{BASE\} AS one/);
  assert.equal(readFileSync(join(out, 'from-one'), 'utf8'), 'A');
  assert.equal(readFileSync(join(out, 'from-two'), 'utf8'), 'B');
  assert.match(readFileSync(join(out, 'from-image'), 'utf8'), /^root:/);
  const tr = await s.berth('build', '--target', 'two', '-t', 'two:1', dir);
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stdout, /Step 2\/2 : COPY b \/b/);
  const bad = await s.berth('build', '--target', 'nope', dir);
  assert.match(bad.stderr, /failed to reach build target nope in Dockerfile/);
  const missing = await s.berth('build', '--target', 'unused', dir);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /\(Dockerfile:4\)/);
});

test('build: context sources: stdin Dockerfile, stdin tarball, -f -, -f outside the context, tarball URL, git URL', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  // A Dockerfile on stdin: no context.
  let r: RunResult = await s.run(['build', '-t', 'stdin:1', '-'], { input: 'FROM busybox:local\nLABEL from=stdin\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Sending build context to Docker daemon {2}2\.048kB\r\r\n/);
  // A context tarball on stdin.
  const dir = s.ctx('tarctx', { Dockerfile: 'FROM busybox:local\nCOPY f /f\n', f: 'from tar\n', 'sub/Dockerfile.alt': 'FROM busybox:local\nCOPY f /g\n' });
  const tar = execFileSync('tar', ['-C', dir, '-cz', '.']);
  const out = join(s.dir, 'tar-out');
  r = await s.run(['build', '-o', `type=local,dest=${out}`, '-'], { input: tar });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(out, 'f'), 'utf8'), 'from tar\n');
  // -f - with a directory context; -f outside the context.
  r = await s.run(['build', '-f', '-', '-o', `type=local,dest=${join(s.dir, 'fdash')}`, dir], { input: 'FROM busybox:local\nCOPY f /h\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(s.dir, 'fdash/h'), 'utf8'), 'from tar\n');
  const outside = join(s.dir, 'Outside.Dockerfile');
  writeFileSync(outside, 'FROM busybox:local\nCOPY f /o\n');
  r = await s.berth('build', '-f', outside, '-o', `type=local,dest=${join(s.dir, 'fout')}`, dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(s.dir, 'fout/o'), 'utf8'), 'from tar\n');
  // An empty Dockerfile is refused as Docker does.
  r = await s.run(['build', '-f', '-', dir], { input: '' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the Dockerfile \(-\) cannot be empty/);

  // A tarball at a URL.
  const server = createServer((req, res) => {
    if (req.url === '/ctx.tar.gz') res.end(tar);
    else if (req.url === '/file.txt') {
      res.setHeader('Last-Modified', 'Tue, 01 Jan 2030 00:00:00 GMT');
      res.end('downloaded\n');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  r = await s.berth('build', '-f', 'sub/Dockerfile.alt', '-o', `type=local,dest=${join(s.dir, 'url-out')}`, `http://127.0.0.1:${port}/ctx.tar.gz`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(s.dir, 'url-out/g'), 'utf8'), 'from tar\n');
  // ADD from a URL, with --checksum.
  const good = 'sha256:' + execFileSync('sh', ['-c', "printf 'downloaded\\n' | sha256sum | cut -d' ' -f1"]).toString().trim();
  const add = s.ctx('addurl', { Dockerfile: `FROM busybox:local\nADD --checksum=${good} http://127.0.0.1:${port}/file.txt /dl/\n` });
  r = await s.berth('build', '-o', `type=local,dest=${join(s.dir, 'add-out')}`, add);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(readFileSync(join(s.dir, 'add-out/dl/file.txt'), 'utf8'), 'downloaded\n');
  assert.equal(statSync(join(s.dir, 'add-out/dl/file.txt')).mode & 0o777, 0o600);
  const badsum = s.ctx('addbad', { Dockerfile: `FROM busybox:local\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/file.txt /dl/\n` });
  r = await s.berth('build', badsum);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /digest mismatch/);

  // A git repository served by git daemon, with #ref:subdir.
  const repos = join(s.dir, 'repos');
  const repo = join(repos, 'proj.git');
  mkdirSync(join(repo, 'app'), { recursive: true });
  writeFileSync(join(repo, 'app/Dockerfile'), 'FROM busybox:local\nCOPY msg /msg\n');
  writeFileSync(join(repo, 'app/msg'), 'from git\n');
  const g = (...a: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=t@t', '-c', 'user.name=t', ...a]);
  g('init', '-q', '-b', 'main');
  g('add', '.');
  g('commit', '-qm', 'one');
  g('checkout', '-qb', 'release');
  writeFileSync(join(repo, 'app/msg'), 'from the release branch\n');
  g('commit', '-qam', 'two');
  g('checkout', '-q', 'main');
  const gport = await freePort();
  const daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${repos}`, '--listen=127.0.0.1', `--port=${gport}`, repos], { stdio: 'ignore' });
  t.after(() => daemon.kill());
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync('git', ['ls-remote', `git://127.0.0.1:${gport}/proj.git`], { stdio: 'ignore' });
      break;
    } catch {
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  r = await s.berth('build', '-o', `type=local,dest=${join(s.dir, 'git-out')}`, `git://127.0.0.1:${gport}/proj.git#release:app`);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(readFileSync(join(s.dir, 'git-out/msg'), 'utf8'), 'from the release branch\n');
  // ADD of a git repository: its files (without .git) at the destination.
  const addGit = s.ctx('addgit', { Dockerfile: `FROM busybox:local\nADD git://127.0.0.1:${gport}/proj.git#main:app /src/\n` });
  r = await s.berth('build', '-o', `type=local,dest=${join(s.dir, 'addgit-out')}`, addGit);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(readFileSync(join(s.dir, 'addgit-out/src/msg'), 'utf8'), 'from git\n');
  assert.equal(existsSync(join(s.dir, 'addgit-out/src/.git')), false);
});

test('build: concurrent builds of the same Dockerfile converge on one result and leave no residue', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('conc', { Dockerfile: 'FROM busybox:local\nENV A=1\nCOPY f /f\nLABEL done=yes\n', f: 'same\n' });
  const results = await Promise.all([1, 2, 3, 4].map((i) => s.berth('build', '-q', '-t', `conc:${i}`, dir)));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const ids = new Set(results.map((r) => r.stdout.trim()));
  assert.equal(ids.size, 1, 'every build ends on the same image');
  const all = new Set((await s.berth('images', '-a', '-q')).stdout.trim().split('\n'));
  assert.equal(all.size, 4, 'base + 3 steps, nothing else');
  assert.equal((await s.berth('system', 'check')).code, 0);
  assert.match((await s.berth('system', 'gc')).stdout, /Removed 0 blob\(s\), 0 layer\(s\)/, 'nothing was left for the collector');
});

test('build: errors name the Dockerfile line; unknown instructions and bad flags fail cleanly', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('errs', { Dockerfile: 'FROM busybox:local\nLABEL ok=1\nCOPY missing.txt /x\n' });
  const r = await s.berth('build', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat missing\.txt: file does not exist \(Dockerfile:3\)/);
  const dir2 = s.ctx('errs2', { Dockerfile: 'FROM busybox:local\nFOO bar\n' });
  const r2 = await s.berth('build', dir2);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /unknown instruction: FOO/i);
  const r3 = await s.berth('build', join(s.dir, 'nope'));
  assert.match(r3.stderr, /unable to prepare context: path ".*nope" not found/);
});

test('build cache: system prune collects it; the store stays consistent', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('sysprune', { Dockerfile: 'FROM busybox:local\nCOPY f /f\n', f: 'x'.repeat(100_000) });
  const first = await s.berth('build', '-q', dir);
  assert.equal(first.code, 0, first.stderr);
  assert.equal((await s.berth('rmi', first.stdout.trim())).code, 0);
  const again = await s.berth('build', dir);
  assert.match(again.stdout, /Using cache/);
  assert.equal((await s.berth('rmi', again.stdout.match(/Successfully built (\w+)/)![1]!)).code, 0);
  const pr = await s.berth('system', 'prune', '-f');
  assert.equal(pr.code, 0, pr.stderr);
  assert.match(pr.stdout, /Total reclaimed space: 10\d(\.\d+)?kB/);
  const after = await s.berth('build', dir);
  assert.doesNotMatch(after.stdout, /Using cache/);
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('build: intermediate images form the parent chain (images -a, rmi of the chain); --no-parent records none', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dir = s.ctx('parents', { Dockerfile: 'FROM busybox:local\nENV A=1\nCOPY f /f\nLABEL l=1\n', f: 'x' });
  assert.equal((await s.berth('build', '-t', 'chain:1', dir)).code, 0);
  const count = async () => new Set((await s.berth('images', '-a', '-q')).stdout.trim().split('\n').filter(Boolean)).size;
  assert.equal(await count(), 4, 'base + 3 steps');
  assert.equal((await s.berth('images', '-q')).stdout.trim().split('\n').length, 2, 'intermediate images are hidden without -a');
  const rmi = await s.berth('rmi', 'chain:1');
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.equal((rmi.stdout.match(/^Deleted: /gm) ?? []).length, 3, 'the untagged parent chain goes with it');
  assert.equal(await count(), 1);
  const np = await s.berth('build', '--no-parent', '-t', 'chain:2', dir);
  assert.equal(np.code, 0, np.stderr);
  assert.match(np.stdout, /Using cache/, 'the step cache does not need the intermediate images');
  assert.equal(await count(), 2, 'only the base and the result');
  assert.equal((await s.inspect('chain:2')).Parent, '');
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('build: prune and gc running during a build never collect what it is building', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const files: Record<string, string> = { Dockerfile: 'FROM busybox:local\n' };
  for (let i = 0; i < 8; i++) {
    files[`d${i}/big`] = String(i).repeat(2_000_000);
    files.Dockerfile += `COPY d${i} /d${i}/\nLABEL step=${i}\n`;
  }
  const dir = s.ctx('gcrace', files);
  let done = false;
  const build = s.berth('build', '-q', '-t', 'race:1', dir).finally(() => (done = true));
  let rounds = 0;
  while (!done) {
    await Promise.all([s.berth('image', 'prune', '-f'), s.berth('system', 'gc'), s.berth('builder', 'prune', '-f')]);
    rounds++;
  }
  const r = await build;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(rounds > 0);
  const out = join(s.dir, 'race-out');
  assert.equal((await s.berth('build', '-o', `type=local,dest=${out}`, dir)).code, 0);
  assert.equal(readFileSync(join(out, 'd7/big'), 'utf8').length, 2_000_000);
  const check = await s.berth('system', 'check');
  assert.equal(check.code, 0, check.stdout + check.stderr);
});

test('buildx: create --use, ls, use, version, and buildx build with the build flags', async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const env = { BERTH_BUILDX_CONFIG: join(s.dir, 'buildx.json') };
  const bx = (...a: string[]) => s.run(['buildx', ...a], { env });
  const c = await bx('create', '--use', '--name', 'ci');
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout, 'ci\n');
  const ls = await bx('ls');
  assert.match(ls.stdout, /^NAME\/NODE\s+DRIVER\/ENDPOINT\s+STATUS\s+BUILDKIT\s+PLATFORMS$/m);
  assert.match(ls.stdout, /^ci\*/m);
  assert.equal((await bx('use', 'default')).code, 0);
  assert.match((await bx('ls')).stdout, /^default\*/m);
  assert.notEqual((await bx('use', 'nope')).code, 0);
  assert.match((await bx('version')).stdout, /^github\.com\/docker\/buildx /);
  const dir = s.ctx('bx', { Dockerfile: 'FROM busybox:local\nARG A\nLABEL a=$A\n' });
  const b = await bx('build', '--build-arg', 'A=1', '--load', '-t', 'bx:1', dir);
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await s.inspect('bx:1')).Config.Labels.a, '1');
});
