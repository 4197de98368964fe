// docker run, exec, diff, commit, export, ps, logs, wait, stop, rm through berth serve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture as dockerFixture, haveDockerCli, noAge, run, startServe, type Served } from './helpers.js';
import { busyboxTar } from '../containers/helpers.js';
import { haveBusybox } from '../helpers/rootfs.js';

const skip = (!haveDockerCli() && 'the docker CLI is not installed') || (!haveBusybox() && 'busybox-static is not installed') || (process.getuid?.() !== 0 && 'containers need root');

async function withBusybox(): Promise<Served> {
  const s = await startServe();
  const r = await s.docker(['import', busyboxTar(), 'busybox:latest']);
  assert.equal(r.code, 0, r.stderr);
  return s;
}

test('the seed scenario with the docker CLI: run -d, exec, diff, commit, history, run --rm, ps, logs', { skip }, async (t) => {
  const s = await withBusybox();
  t.after(s.cleanup);
  let r = await s.docker(['run', '-d', '--name', 'seed', 'busybox', 'sh', '-c', 'echo started; sleep 600']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
  r = await s.docker(['exec', 'seed', 'sh', '-c', 'echo changed > /changed.txt && rm /bin/true && mkdir -p /a/b && echo x > /a/b/c && echo >> /etc/passwd']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  r = await s.docker(['diff', 'seed']);
  assert.equal(r.stdout, ['A /a', 'A /a/b', 'A /a/b/c', 'C /bin', 'D /bin/true', 'A /changed.txt', 'C /etc', 'C /etc/passwd', ''].join('\n'));
  assert.equal(r.stdout, (await s.berth('diff', 'seed')).stdout);
  r = await s.docker(['commit', '--author', 'Jane Doe <jane@example.com>', '--message', 'seed commit', 'seed', 'lab/seed:1']);
  assert.equal(r.code, 0, r.stderr);
  const imageId = r.stdout.trim();
  assert.match(imageId, /^sha256:[0-9a-f]{64}$/);
  r = await s.docker(['history', 'lab/seed:1']);
  const cols = (x: string) => noAge(x).replace(/ {2,}/g, '  ');
  assert.equal(cols(r.stdout), cols((await s.berth('history', 'lab/seed:1')).stdout));
  assert.match(r.stdout.split('\n')[1]!, new RegExp(`^${imageId.slice(7, 19)}\\s+.*\\s+sh -c echo started; sleep 600\\s+88B\\s+seed commit$`));
  r = await s.docker(['image', 'inspect', '-f', '{{.Author}}|{{.Comment}}|{{.Config.Cmd}}|{{len .RootFS.Layers}}', 'lab/seed:1']);
  assert.equal(r.stdout, 'Jane Doe <jane@example.com>|seed commit|[sh -c echo started; sleep 600]|2\n');
  r = await s.docker(['run', '--rm', 'lab/seed:1', 'sh', '-c', 'cat /changed.txt /a/b/c; test -e /bin/true || echo gone']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'changed\nx\ngone\n', '']);
  assert.deepEqual((await s.docker(['ps', '-a', '--format', '{{.Names}}'])).stdout, 'seed\n');
  assert.equal((await s.docker(['logs', 'seed'])).stdout, 'started\n');
  assert.equal((await s.docker(['logs', '--tail', '1', '--timestamps', 'seed'])).stdout.replace(/^\S+ /, ''), 'started\n');
  // docker ps and inspect print what the berth CLI prints
  const ps = (x: string) => noAge(x).replace(/Up (Less than a second|About an? \w+|\d+ \w+)/g, 'Up X').replace(/ {2,}/g, '  ');
  assert.equal(ps((await s.docker(['ps'])).stdout), ps((await s.berth('ps')).stdout));
  assert.equal(ps((await s.docker(['ps', '-a', '--no-trunc'])).stdout), ps((await s.berth('ps', '-a', '--no-trunc')).stdout));
  const di = JSON.parse((await s.docker(['inspect', 'seed'])).stdout)[0];
  const bi = JSON.parse((await s.berth('inspect', 'seed')).stdout)[0];
  assert.deepEqual(Object.keys(di), Object.keys(bi));
  assert.deepEqual([di.Id, di.Name, di.State.Status, di.Config.Cmd, di.Image], [bi.Id, '/seed', 'running', ['sh', '-c', 'echo started; sleep 600'], bi.Image]);
  // export: the container's file system with its changes
  r = await run('/bin/sh', ['-c', `/usr/local/bin/docker export seed | tar -t | sort`], { env: { DOCKER_HOST: `unix://${s.sock}`, DOCKER_CONFIG: join(s.dir, 'docker-config') } });
  assert.ok(r.stdout.split('\n').includes('changed.txt'));
  assert.ok(!r.stdout.split('\n').includes('bin/true'));
  r = await s.docker(['stop', '-t', '1', 'seed']);
  assert.deepEqual([r.code, r.stdout], [0, 'seed\n']);
  assert.match((await s.docker(['ps', '-a', '--format', '{{.Status}}'])).stdout, /^Exited \(\d+\) /);
  r = await s.docker(['rm', 'seed']);
  assert.deepEqual([r.code, r.stdout], [0, 'seed\n']);
  assert.equal((await s.docker(['ps', '-a', '-q'])).stdout, '');
});

test('exit codes, stdin, stderr, terminals and start failures pass through the API', { skip }, async (t) => {
  const s = await withBusybox();
  t.after(s.cleanup);
  let r = await s.docker(['run', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'out\n', 'err\n']);
  r = await s.docker(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'tr a-z A-Z; exit 42'], { input: 'hello\n' });
  assert.deepEqual([r.code, r.stdout], [42, 'HELLO\n']);
  r = await s.docker(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty; echo err >&2']);
  assert.deepEqual([r.code, r.stdout], [0, '/dev/pts/0\r\nerr\r\n']);
  r = await s.docker(['run', '--name', 'nocmd', 'busybox', 'no-such-command']);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /^docker: Error response from daemon: failed to create task for container: .*exec: "no-such-command": executable file not found in \$PATH: unknown\n\nRun 'docker run --help' for more information\n$/);
  assert.equal((await s.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'nocmd'])).stdout, 'created 127\n');
  r = await s.docker(['run', '--rm', 'busybox', '/etc/passwd']);
  assert.equal(r.code, 126);
  // --rm: removed once it exited, its exit code still reported
  r = await s.docker(['run', '--rm', '--name', 'gone', 'busybox', 'sh', '-c', 'exit 9']);
  assert.equal(r.code, 9);
  assert.equal((await s.docker(['ps', '-a', '--filter', 'name=gone', '-q'])).stdout, '');
  // exec: exit codes, a missing command, stdin
  assert.equal((await s.docker(['run', '-d', '--name', 'box', 'busybox', 'sleep', '600'])).code, 0);
  r = await s.docker(['exec', 'box', 'sh', '-c', 'echo o; echo e >&2; exit 7']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [7, 'o\n', 'e\n']);
  r = await s.docker(['exec', 'box', 'nope']);
  assert.equal(r.code, 127);
  assert.match(r.stdout + r.stderr, /OCI runtime exec failed: exec failed: .*exec: "nope": executable file not found in \$PATH: unknown/);
  r = await s.docker(['exec', '-i', 'box', 'sh', '-c', 'cat; echo done'], { input: 'piped\n' });
  assert.deepEqual([r.code, r.stdout], [0, 'piped\ndone\n']);
  r = await s.docker(['exec', '-t', 'box', 'sh', '-c', 'tty']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\/dev\/pts\/\d+\r\n$/);
  r = await s.docker(['exec', '-d', 'box', 'sh', '-c', 'echo bg > /bg.txt']);
  assert.equal(r.code, 0, r.stderr);
  for (let i = 0; i < 50 && (await s.docker(['exec', 'box', 'cat', '/bg.txt'])).stdout !== 'bg\n'; i++) await new Promise((x) => setTimeout(x, 100));
  assert.equal((await s.docker(['exec', 'box', 'cat', '/bg.txt'])).stdout, 'bg\n');
  // wait, kill, start -a
  assert.equal((await s.docker(['run', '-d', '--name', 'five', 'busybox', 'sh', '-c', 'sleep 1; echo bye; exit 5'])).code, 0);
  assert.deepEqual((await s.docker(['wait', 'five'])).stdout, '5\n');
  r = await s.docker(['start', '-a', 'five']);
  assert.deepEqual([r.code, r.stdout], [5, 'bye\n']);
  r = await s.docker(['kill', 'box']);
  assert.deepEqual([r.code, r.stdout], [0, 'box\n']);
  r = await s.docker(['kill', 'box']);
  assert.equal(r.code, 1, `${r.stdout}${r.stderr}${(await s.docker(['ps', '-a'])).stdout}${s.log()}`);
  assert.match(r.stderr, /^Error response from daemon: cannot kill container: box: container [0-9a-f]{64} is not running\n$/);
  // rmi of an image a container uses: Docker's conflicts
  assert.equal((await s.docker(['tag', 'busybox', 'lab/other:1'])).code, 0);
  assert.equal((await s.docker(['create', '--name', 'user', 'lab/other:1', 'true'])).code, 0);
  r = await s.docker(['rmi', 'lab/other:1']);
  assert.equal(r.stdout, 'Untagged: lab/other:1\n');
  r = await s.docker(['container', 'prune', '-f']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Deleted Containers:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: /);
  assert.equal((await s.docker(['ps', '-a', '-q'])).stdout, '');
});

test('docker commit with changes, and the system prune of containers and images', { skip }, async (t) => {
  const s = await withBusybox();
  t.after(s.cleanup);
  let r = await s.docker(['run', '--name', 'lab-commit-src', 'busybox', 'sh', '-c', 'echo changed > /changed.txt']);
  assert.equal(r.code, 0, r.stderr);
  r = await s.docker(['commit', '-m', 'commit msg', '-c', 'LABEL committed=yes', 'lab-commit-src', 'lab/committed:1']);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal((await s.docker(['image', 'inspect', '-f', '{{.Config.Labels}}', 'lab/committed:1'])).stdout, 'map[committed:yes]\n');
  assert.equal((await s.docker(['history', '--format', '{{.Comment}}', 'lab/committed:1'])).stdout.split('\n')[0], 'commit msg');
  r = await s.docker(['commit', 'lab-commit-src']);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal((await s.docker(['images', '--filter', 'dangling=true', '-q'])).stdout, r.stdout.slice(7, 19) + '\n');
  r = await s.docker(['system', 'prune', '-f']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Images:\ndeleted: sha256:[0-9a-f]{64}\n(deleted: sha256:[0-9a-f]{64}\n)*\nTotal reclaimed space: .*\n$/);
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('docker build (classic builder) through berth serve: steps, cache, quiet, failures, as Docker prints them', { skip }, async (t) => {
  const s = await withBusybox();
  t.after(s.cleanup);
  const ctx = join(s.dir, 'ctx');
  execFileSync('mkdir', ['-p', ctx]);
  writeFileSync(join(ctx, 'payload.txt'), 'payload of the small fixture context\n');
  writeFileSync(
    join(ctx, 'Dockerfile'),
    'FROM busybox\nLABEL org.opencontainers.image.title="lab-small" com.example.fixture="small"\nENV APP_HOME=/app GREETING="hello fixture"\nRUN mkdir -p /app && echo "$GREETING" > /app/greeting.txt\nCOPY payload.txt /app/payload.txt\nWORKDIR /app\nCMD ["cat", "/app/greeting.txt"]\n',
  );
  const env = { DOCKER_BUILDKIT: '0' };
  const banner = (e: string) => e.replace(/^DEPRECATED: The legacy builder[\s\S]*?\n\n/, '');
  const ids = (x: string) => x.replace(/\b[0-9a-f]{12}\b/g, '<ID>');
  const fixture = (n: string) => dockerFixture(n, 'stdout');
  let r = await s.docker(['build', '-t', 'lab/small:1.0', ctx], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(ids(r.stdout), ids(fixture('build-small')).replace('FROM busybox:local', 'FROM busybox'));
  assert.equal(banner(r.stderr), '');
  r = await s.docker(['build', '-t', 'lab/small:1.0', ctx], { env });
  assert.equal(ids(r.stdout), ids(fixture('build-small-cached')).replace('FROM busybox:local', 'FROM busybox'));
  const id = (await s.docker(['images', '-q', '--no-trunc', 'lab/small:1.0'])).stdout;
  r = await s.docker(['build', '-q', '-t', 'lab/small:1.0', ctx], { env });
  assert.deepEqual([r.code, r.stdout], [0, id]);
  assert.equal((await s.docker(['run', '--rm', 'lab/small:1.0'])).stdout, 'hello fixture\n');
  // from stdin, a failing step (its exit code), an empty Dockerfile
  r = await s.docker(['build', '-t', 'lab/fail:1', '-'], { env, input: 'FROM busybox\nRUN echo about to fail && exit 3\n' });
  assert.equal(r.code, 3);
  assert.equal(ids(r.stdout), ids(fixture('build-fail')).replace('FROM busybox:local', 'FROM busybox'));
  assert.equal(banner(r.stderr), "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3\n");
  r = await s.docker(['build', '-t', 'lab/x:1', '-f', '-', ctx], { env, input: '' });
  assert.equal(r.code, 1);
  assert.match(banner(r.stderr), /^Error response from daemon: the Dockerfile \(\.dockerfile\.[0-9a-f]+\) cannot be empty\n$/);
  r = await s.docker(['build', '-q', '-t', 'lab/fail:1', '-'], { env, input: 'FROM busybox\nRUN echo about to fail && exit 4\n' });
  assert.equal(r.code, 4);
  assert.match(banner(r.stderr), /Step 2\/2 : RUN echo about to fail && exit 4\n.*about to fail\n/s);
  // the builder's tags are events, and builder prune drops its cache
  const ev = await s.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=tag', '--format', '{{.Actor.Attributes.name}}']);
  assert.match(ev.stdout, /lab\/small:1\.0\n/);
  r = await s.docker(['builder', 'prune', '-f']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Total reclaimed space: /);
});

test('privileges and limits sent by the docker CLI are applied and shown, bad ones refused with the daemon words', { skip }, async (t) => {
  const s = await withBusybox();
  t.after(s.cleanup);
  const script = 'grep CapEff /proc/self/status | tr -d "\\t"; ulimit -n; cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; tail -1 /etc/hosts';
  let r = await s.docker(['run', '--name', 'lim', '--cap-drop', 'ALL', '--cap-add', 'net_admin', '--ulimit', 'nofile=64:128', '-m', '32m', '--add-host', 'db:10.1.2.3', 'busybox', 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `CapEff:0000000000001000\n64\n${32 << 20}\n10.1.2.3\tdb\n`);
  r = await s.docker(['inspect', '-f', '{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} {{.HostConfig.Memory}} {{json .HostConfig.Ulimits}} {{json .HostConfig.ExtraHosts}} {{.HostConfig.Privileged}}', 'lim']);
  assert.equal(r.stdout, `["CAP_NET_ADMIN"] ["ALL"] ${32 << 20} [{"Name":"nofile","Hard":128,"Soft":64}] ["db:10.1.2.3"] false\n`);
  r = await s.docker(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'grep " /sys " /proc/mounts | cut -d" " -f4 | cut -d, -f1']);
  assert.deepEqual([r.code, r.stdout], [0, 'rw\n']);
  r = await s.docker(['run', '--rm', '--cap-add', 'bogus', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /Error response from daemon: invalid CapAdd: unknown capability: "CAP_BOGUS"/);
  r = await s.docker(['run', '--rm', '-m', '1m', 'busybox', 'true']);
  assert.match(r.stderr, /Error response from daemon: Minimum memory limit allowed is 6MB/);
  // Published ports: the daemon's warning, as for any container on the host's network.
  r = await s.docker(['create', '-p', '8080:80', '--device', '/dev/null:/dev/mynull', 'busybox', 'true']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, 'WARNING: Published ports are discarded when using host network mode\n');
  assert.equal((await s.docker(['inspect', '-f', '{{json .HostConfig.Devices}}', r.stdout.trim()])).stdout, '[{"PathOnHost":"/dev/null","PathInContainer":"/dev/mynull","CgroupPermissions":"rwm"}]\n');
});

test('docker restart and docker rename through the API', { skip }, async (t) => {
  const s = await withBusybox();
  t.after(s.cleanup);
  let r = await s.docker(['run', '-d', '--name', 'a1', 'busybox', 'sleep', '600']);
  assert.equal(r.code, 0, r.stderr);
  const pid = (await s.docker(['inspect', '-f', '{{.State.Pid}}', 'a1'])).stdout;
  r = await s.docker(['restart', '-t', '1', 'a1']);
  assert.deepEqual([r.code, r.stdout], [0, 'a1\n']);
  assert.notEqual((await s.docker(['inspect', '-f', '{{.State.Pid}}', 'a1'])).stdout, pid);
  r = await s.docker(['top', 'a1', '-o', 'pid,args']);
  assert.deepEqual([r.code, r.stdout.split('\n')[0]], [0, 'PID                 COMMAND']);
  assert.match(r.stdout.split('\n')[1]!, /^\d+ +sleep 600$/);
  r = await s.docker(['pause', 'a1']);
  assert.deepEqual([r.code, r.stdout], [0, 'a1\n']);
  assert.equal((await s.docker(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'a1'])).stdout, 'paused true\n');
  assert.match((await s.docker(['ps', '--format', '{{.Status}}'])).stdout, /\(Paused\)\n$/);
  r = await s.docker(['unpause', 'a1']);
  assert.deepEqual([r.code, r.stdout], [0, 'a1\n']);
  r = await s.docker(['rename', 'a1', 'b1']);
  assert.deepEqual([r.code, r.stderr], [0, '']);
  assert.equal((await s.docker(['ps', '--format', '{{.Names}}'])).stdout, 'b1\n');
  r = await s.docker(['rename', 'b1', 'b1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error response from daemon: Renaming a container with the same name as its current name/);
  assert.equal((await s.docker(['rm', '-f', 'b1'])).code, 0);
});

test('docker cp through the archive endpoints (HEAD, GET, PUT /containers/{id}/archive)', { skip }, async (t) => {
  const s = await withBusybox();
  t.after(s.cleanup);
  const d = join(s.dir, 'cp');
  execFileSync('mkdir', ['-p', join(d, 'dir', 'sub')]);
  writeFileSync(join(d, 'f.txt'), 'hello\n');
  writeFileSync(join(d, 'dir', 'sub', 'y'), 'y\n');
  let r = await s.docker(['run', '-d', '--name', 'k1', 'busybox', 'sleep', '600']);
  assert.equal(r.code, 0, r.stderr);
  r = await s.docker(['cp', join(d, 'f.txt'), 'k1:/f.txt']);
  assert.deepEqual([r.code, r.stderr], [0, '']);
  r = await s.docker(['cp', join(d, 'dir'), 'k1:/tmp/']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await s.docker(['exec', 'k1', 'sh', '-c', 'cat /f.txt /tmp/dir/sub/y; stat -c %u:%g /f.txt'])).stdout, 'hello\ny\n0:0\n');
  r = await s.docker(['cp', 'k1:/tmp/dir', join(d, 'back')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(execFileSync('cat', [join(d, 'back', 'sub', 'y')], { encoding: 'utf8' }), 'y\n');
  r = await s.docker(['cp', 'k1:/etc/passwd', '-']);
  assert.equal(r.code, 0, r.stderr);
  r = await s.docker(['cp', 'k1:/nope', join(d, 'x')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error response from daemon: Could not find the file \/nope in container k1/);
  r = await s.docker(['cp', join(d, 'dir'), 'k1:/f.txt']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot copy directory/);
});
