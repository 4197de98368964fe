import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { storeWithBusybox, ok, tempDir } from './helpers.js';
import { berthBin } from '../helpers/paths.js';

const noAge = (s: string) => s.replace(/(Less than a second|About an? \w+|\d+ \w+)( ago)?/g, 'AGE');

test('create, start, stop, kill, wait, rm: states, exit codes and Docker messages', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const id = ok(await s.berth('create', '--name', 'c1', 'busybox', 'sh', '-c', 'trap "exit 9" TERM; echo up; while :; do sleep 0.1; done')).trim();
  assert.equal((await s.berth('ps', '-a', '--format', '{{.Names}}|{{.State}}|{{.Status}}')).stdout, 'c1|created|Created\n');
  assert.equal((await s.berth('ps', '-q')).stdout, '');
  // docker create passes the daemon's refusal through (exit 1); docker run adds the hint and 125.
  let r = await s.berth('create', '--name', 'c1', 'busybox', 'true');
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `Error response from daemon: Conflict. The container name "/c1" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n`,
  );
  r = await s.berth('run', '--name', 'c1', 'busybox', 'true');
  assert.equal(r.code, 125);
  assert.equal(
    r.stderr,
    `berth: Error response from daemon: Conflict. The container name "/c1" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n\nRun 'berth run --help' for more information\n`,
  );
  r = await s.berth('create', '--name', 'bad name', 'busybox', 'true');
  assert.match(r.stderr, /Invalid container name \(bad name\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);

  assert.deepEqual([(await s.berth('start', 'c1')).stdout], ['c1\n']);
  assert.equal((await s.berth('ps', '--format', '{{.ID}} {{.State}}')).stdout, `${id.slice(0, 12)} running\n`);
  r = await s.berth('rm', 'c1');
  assert.deepEqual([r.code, r.stderr], [1, 'Error response from daemon: cannot remove container "c1": container is running: stop the container before removing or force remove\n']);
  // stop sends SIGTERM: the trap exits 9
  r = await s.berth('stop', '-t', '5', 'c1');
  assert.deepEqual([r.code, r.stdout], [0, 'c1\n']);
  assert.equal((await s.berth('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', 'c1')).stdout, 'exited 9 false\n');
  assert.equal((await s.berth('wait', 'c1')).stdout, '9\n');
  r = await s.berth('kill', 'c1');
  assert.deepEqual([r.code, r.stderr], [1, `Error response from daemon: cannot kill container: c1: container ${id} is not running\n`]);
  // started again: the log keeps both runs
  ok(await s.berth('start', 'c1'));
  r = await s.berth('kill', '-s', 'USR1', 'c1');
  assert.equal(r.code, 0);
  assert.equal((await s.berth('inspect', '-f', '{{.State.Running}}', 'c1')).stdout, 'true\n');
  ok(await s.berth('kill', 'c1'));
  assert.equal((await s.berth('wait', id.slice(0, 8))).stdout, '137\n');
  assert.equal((await s.berth('logs', 'c1')).stdout, 'up\nup\n');
  // stop ignores a stopped container; rm removes it and its directory
  assert.equal((await s.berth('stop', 'c1')).code, 0);
  assert.deepEqual((await s.berth('rm', 'c1')).stdout, 'c1\n');
  r = await s.berth('rm', 'c1');
  assert.deepEqual([r.code, r.stderr], [1, 'Error response from daemon: No such container: c1\n']);
  r = await s.berth('rm', '-f', 'c1');
  assert.deepEqual([r.code, r.stderr], [0, 'Error response from daemon: No such container: c1\n']);
  // rm -f of a running container kills it first
  ok(await s.berth('run', '-d', '--name', 'c2', 'busybox', 'sleep', '600'));
  assert.deepEqual((await s.berth('rm', '-f', 'c2')).stdout, 'c2\n');
  assert.equal((await s.berth('ps', '-aq')).stdout, '');
  // a pid 1 that ignores SIGTERM is killed after the timeout
  ok(await s.berth('run', '-d', '--name', 'c3', 'busybox', 'sleep', '600'));
  const t0 = Date.now();
  ok(await s.berth('stop', '-t', '1', 'c3'));
  assert.ok(Date.now() - t0 < 8000);
  assert.equal((await s.berth('inspect', '-f', '{{.State.ExitCode}}', 'c3')).stdout, '137\n');
});

test('ps: default table, -a, -q, --no-trunc, -n/-l, -s, filters, --format json', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(await s.berth('tag', 'busybox', 'lab/bb:2'));
  assert.equal((await s.berth('run', '--name', 'exited3', '-l', 'tier=db', 'busybox', 'sh', '-c', 'echo hello > /x; exit 3')).code, 3);
  const b = ok(await s.berth('run', '-d', '--name', 'runner', '-l', 'tier=web', '-l', 'x', 'lab/bb:2', 'sleep', '600')).trim();
  const c = ok(await s.berth('create', '--name', 'fresh', 'busybox', 'echo', 'a b')).trim();

  let r = await s.berth('ps');
  const cells = (out: string) => out.split('\n').filter(Boolean).map((l) => noAge(l).split(/\s{2,}/));
  assert.deepEqual(cells(r.stdout), [
    ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
    [b.slice(0, 12), 'lab/bb:2', '"sleep 600"', 'AGE', 'Up AGE', 'runner'],
  ]);
  const header = r.stdout.split('\n')[0]!;
  assert.equal(header.indexOf('IMAGE'), 15);
  r = await s.berth('ps', '-a', '--format', 'table {{.Names}}\t{{.Image}}\t{{.Command}}\t{{.Status}}');
  assert.deepEqual(cells(r.stdout), [
    ['NAMES', 'IMAGE', 'COMMAND', 'STATUS'],
    ['fresh', 'busybox', '"echo \'a b\'"', 'Created'],
    ['runner', 'lab/bb:2', '"sleep 600"', 'Up AGE'],
    ['exited3', 'busybox', '"sh -c \'echo hello >…"', 'Exited (3) AGE'],
  ]);
  assert.equal((await s.berth('ps', '-aq', '--no-trunc')).stdout.split('\n')[0], c);
  assert.equal((await s.berth('ps', '-l', '--format', '{{.Names}}')).stdout, 'fresh\n');
  assert.equal((await s.berth('ps', '-n', '2', '--format', '{{.Names}}')).stdout, 'fresh\nrunner\n');
  const f = async (...filters: string[]) => (await s.berth('ps', '-a', '--format', '{{.Names}}', ...filters.flatMap((x) => ['-f', x]))).stdout.trim().split('\n').filter(Boolean);
  assert.deepEqual(await f('status=exited'), ['exited3'], 'status=exited');
  assert.deepEqual(await f('status=created'), ['fresh'], 'status=created');
  assert.deepEqual(await f('exited=3'), ['exited3'], 'exited=3');
  assert.deepEqual(await f('exited=0'), [], 'exited=0');
  assert.deepEqual(await f('name=run'), ['runner'], 'name=run');
  assert.deepEqual(await f('label=tier=web'), ['runner'], 'label=tier=web');
  assert.deepEqual(await f('label=x'), ['runner'], 'label=x');
  assert.deepEqual(await f('label=tier'), ['runner', 'exited3'], 'label=tier');
  assert.deepEqual(await f('ancestor=busybox'), ['fresh', 'runner', 'exited3'], 'ancestor=busybox');
  assert.deepEqual(await f(`id=${c.slice(0, 6)}`), ['fresh']);
  assert.deepEqual(await f('before=fresh'), ['runner', 'exited3'], 'before=fresh');
  assert.deepEqual(await f('since=exited3'), ['fresh', 'runner'], 'since=exited3');
  r = await s.berth('ps', '-f', 'bogus=1');
  assert.deepEqual([r.code, r.stderr], [1, "Error response from daemon: Invalid filter 'bogus'\n"]);
  r = await s.berth('ps', '-a', '-s', '--format', '{{.Names}} {{.Size}}', '-f', 'name=exited3');
  assert.match(r.stdout, /^exited3 6B \(virtual \d+(\.\d+)?MB\)\n$/);
  r = await s.berth('ps', '--format', 'json');
  const row = JSON.parse(r.stdout) as Record<string, string>;
  assert.deepEqual(Object.keys(row), ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
  assert.equal(row.Labels, 'tier=web,x=');
  assert.equal(row.Networks, 'host');
  assert.equal(row.Platform, null);
  assert.equal((await s.berth('ps', '--format', '{{.Label "tier"}}')).stdout, 'web\n');
  // container ls and container list are ps
  assert.equal((await s.berth('container', 'ls', '-q')).stdout, `${b.slice(0, 12)}\n`);
  // an image whose tag moved is shown by ID
  ok(await s.berth('rmi', 'lab/bb:2'));
  const imgId = (await s.berth('images', '-q', 'busybox')).stdout.trim();
  assert.equal((await s.berth('ps', '--format', '{{.Image}}')).stdout, `${imgId}\n`);
});

test('inspect of a container: Docker\'s shape; inspect finds containers first; logs', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const host = tempDir('berth-bind-');
  t.after(host.cleanup);
  writeFileSync(join(host.dir, 'in.txt'), 'from host\n');
  const id = ok(
    await s.berth('run', '-d', '--name', 'insp', '-v', `${host.dir}:/data`, '--mount', `type=bind,source=${host.dir},target=/ro,readonly`, '-e', 'A=1', 'busybox', 'sh', '-c', 'cat /data/in.txt; echo out > /data/out.txt; echo to-stderr >&2; touch /ro/x 2>/dev/null || echo ro; sleep 600'),
  ).trim();
  for (let i = 0; i < 50 && !(await s.berth('logs', 'insp')).stdout.includes('ro'); i++) await new Promise((r) => setTimeout(r, 100));
  const full = JSON.parse((await s.berth('inspect', 'insp')).stdout) as Record<string, unknown>[];
  const c = full[0]!;
  assert.deepEqual(Object.keys(c), [
    'Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name', 'RestartCount', 'Driver',
    'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig', 'GraphDriver', 'Mounts', 'Config', 'NetworkSettings',
  ]);
  assert.equal(c.Id, id);
  assert.equal(c.Name, '/insp');
  assert.equal(c.Path, 'sh');
  const state = c.State as Record<string, unknown>;
  assert.deepEqual(Object.keys(state), ['Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ExitCode', 'Error', 'StartedAt', 'FinishedAt']);
  assert.equal(state.Status, 'running');
  assert.equal(state.FinishedAt, '0001-01-01T00:00:00Z');
  assert.match(state.StartedAt as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const cfg = c.Config as Record<string, unknown>;
  assert.deepEqual(Object.keys(cfg), ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels']);
  assert.deepEqual(cfg.Env, ['A=1']);
  assert.equal(cfg.Image, 'busybox');
  assert.deepEqual(c.Mounts, [
    { Type: 'bind', Source: host.dir, Destination: '/data', Mode: '', RW: true, Propagation: 'rprivate' },
    { Type: 'bind', Source: host.dir, Destination: '/ro', Mode: '', RW: false, Propagation: 'rprivate' },
  ]);
  const hc = c.HostConfig as Record<string, unknown>;
  assert.deepEqual(hc.Binds, [`${host.dir}:/data`]);
  assert.equal(hc.NetworkMode, 'host');
  assert.equal(hc.ShmSize, 67108864);
  assert.equal(readFileSync(join(host.dir, 'out.txt'), 'utf8'), 'out\n');
  // templates see Go field names; .Id works through the JSON fallback too
  assert.equal((await s.berth('inspect', '-f', '{{.ID}} {{.Name}} {{.State.Pid}}', 'insp')).stdout.split(' ')[0], id);
  assert.equal((await s.berth('container', 'inspect', '-f', '{{json .Config.Cmd}}', 'insp')).stdout, '["sh","-c","cat /data/in.txt; echo out > /data/out.txt; echo to-stderr >&2; touch /ro/x 2>/dev/null || echo ro; sleep 600"]\n');
  let r = await s.berth('inspect', '--type', 'container', 'busybox');
  assert.deepEqual([r.code, r.stderr], [1, 'Error response from daemon: No such container: busybox\n']);
  r = await s.berth('container', 'inspect', 'nope');
  assert.deepEqual([r.code, r.stderr], [1, 'Error response from daemon: No such container: nope\n']);
  r = await s.berth('inspect', 'nope');
  assert.deepEqual([r.code, r.stderr], [1, 'Error: No such object: nope\n']);
  // an image is still found
  assert.equal((await s.berth('inspect', '-f', '{{.Os}}', 'busybox')).stdout, 'linux\n');
  r = await s.berth('inspect', '-s', '-f', '{{.SizeRw}}', 'insp');
  assert.match(r.stdout, /^\d+\n$/);

  // logs: both streams, --tail, -t
  r = await s.berth('logs', 'insp');
  assert.deepEqual([r.stdout, r.stderr], ['from host\nro\n', 'to-stderr\n']);
  r = await s.berth('logs', '--tail', '2', 'insp');
  assert.equal(r.stdout + r.stderr, r.stdout === 'ro\n' ? 'ro\nto-stderr\n' : 'from host\nro\n');
  assert.match((await s.berth('logs', '-t', 'insp')).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z from host\n/);
  const log = readFileSync((c.LogPath as string), 'utf8').split('\n')[0]!;
  assert.deepEqual(Object.keys(JSON.parse(log) as object), ['log', 'stream', 'time']);
  // logs -f follows until the container stops
  const follow = s.berth('logs', '-f', '--tail', '0', 'insp');
  await new Promise((res) => setTimeout(res, 300));
  ok(await s.berth('exec', 'insp', 'sh', '-c', 'kill 1'));
  await s.berth('kill', 'insp');
  const fr = await follow;
  assert.equal(fr.code, 0);

  mkdirSync(join(host.dir, 'sub'));
  r = await s.berth('run', '--rm', '--mount', `type=bind,source=${host.dir}/missing,target=/m`, 'busybox', 'true');
  assert.equal(r.code, 125);
  assert.match(r.stderr, /bind source path does not exist: .*\/missing/);
});

test('exec: options, exit codes, errors', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(await s.berth('run', '-d', '--name', 'xx', '-e', 'BASE=1', '-w', '/tmp', 'busybox', 'sleep', '600'));
  let r = await s.berth('exec', 'xx', 'sh', '-c', 'echo $BASE $(pwd) $(id -u); exit 4');
  assert.deepEqual([r.code, r.stdout], [4, '1 /tmp 0\n']);
  r = await s.berth('exec', '-u', 'tester', '-w', '/', '-e', 'BASE=2', '-e', 'NEW=n', 'xx', 'sh', '-c', 'echo $BASE $NEW $(pwd) $(id -u) $(id -G) $HOME');
  assert.equal(r.stdout, '2 n / 1000 1000 50 /home/tester\n');
  r = await s.run(['exec', '-i', 'xx', 'sh', '-c', 'cat; echo eof'], { input: 'piped\n' });
  assert.equal(r.stdout, 'piped\neof\n');
  r = await s.berth('exec', '-d', 'xx', 'sh', '-c', 'echo detached > /tmp/d');
  assert.deepEqual([r.code, r.stdout], [0, '']);
  for (let i = 0; i < 20 && (await s.berth('exec', 'xx', 'cat', '/tmp/d')).stdout !== 'detached\n'; i++) await new Promise((res) => setTimeout(res, 100));
  assert.equal((await s.berth('exec', 'xx', 'cat', '/tmp/d')).stdout, 'detached\n');
  r = await s.berth('exec', 'xx', 'no-such-cmd');
  assert.deepEqual(
    [r.code, r.stderr],
    [127, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-cmd": executable file not found in $PATH: unknown\n'],
  );
  r = await s.berth('exec', 'xx');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^berth: 'berth exec' requires at least 2 arguments\n\nUsage: {2}berth exec \[OPTIONS\] CONTAINER COMMAND \[ARG\.\.\.\]\n/);
  // a terminal without one of our own: the output comes through the pty
  r = await s.berth('exec', '-t', 'xx', 'sh', '-c', 'tty; echo two');
  assert.equal(r.stdout, '/dev/pts/0\r\ntwo\r\n');
  r = await s.berth('run', '--rm', '-t', 'busybox', 'sh', '-c', 'test -t 1 && echo is-a-tty');
  assert.equal(r.stdout, 'is-a-tty\r\n');
  ok(await s.berth('stop', '-t', '0', 'xx'));
  r = await s.berth('exec', 'xx', 'true');
  const id = (await s.berth('inspect', '-f', '{{.Id}}', 'xx')).stdout.trim();
  assert.deepEqual([r.code, r.stderr], [1, `Error response from daemon: container ${id} is not running\n`]);
});

test('run -it and exec -it on a real terminal (script(1) provides it): raw mode, window size, exit code', { skip: !existsSync('/usr/bin/script') && 'script(1) is not installed' }, async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const term = (cmd: string, input: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      const child = spawn('script', ['-eqfc', `stty rows 33 cols 101; ${cmd}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      let i = 0;
      const next = () => {
        if (i < input.length) child.stdin.write(input[i++]!);
        if (i < input.length) setTimeout(next, 400);
      };
      setTimeout(next, 1500);
      child.on('exit', (code) => resolve({ code: code ?? -1, out }));
    });
  const berth = `${process.execPath} ${berthBin} --root ${s.root}`;
  let r = await term(`${berth} run -it --rm --name tty1 busybox sh`, ['stty size; echo "in-$((6*7))"\r', 'exit 5\r']);
  assert.equal(r.code, 5);
  assert.match(r.out, /33 101\r\n/);
  assert.match(r.out, /in-42\r\n/);
  assert.doesNotMatch(r.out, /\r\r\n/, 'no second output processing on our side');
  ok(await s.berth('run', '-d', '--name', 'bg', 'busybox', 'sleep', '600'));
  r = await term(`${berth} exec -it bg sh`, ['tty; echo "ex-$((2*3))"\r', 'exit 3\r']);
  assert.equal(r.code, 3);
  assert.match(r.out, /\/dev\/pts\/0\r\nex-6\r\n/);
  const notTty = await s.run(['run', '-it', 'busybox', 'true'], { input: '' });
  assert.deepEqual([notTty.code, notTty.stderr], [1, 'the input device is not a TTY\n']);
});

test('commit of a running container pauses and resumes it; berth info', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(await s.berth('run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /c.tmp; mv /c.tmp /counter; sleep 0.01; done'));
  const id = ok(await s.berth('commit', 'busy', 'lab/busy:1')).trim();
  assert.match(id, /^sha256:/);
  const at = Number((await s.berth('run', '--rm', 'lab/busy:1', 'cat', '/counter')).stdout);
  assert.ok(at > 0);
  // resumed: it keeps counting
  for (let i = 0; i < 100 && Number((await s.berth('exec', 'busy', 'cat', '/counter')).stdout) <= at; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(Number((await s.berth('exec', 'busy', 'cat', '/counter')).stdout) > at);
  assert.equal((await s.berth('inspect', '-f', '{{.State.Status}}', 'busy')).stdout, 'running\n');
  ok(await s.berth('exec', 'busy', 'sh', '-c', 'kill -STOP 1'));
  ok(await s.berth('commit', '--pause=false', 'busy'));
  ok(await s.berth('exec', 'busy', 'sh', '-c', 'kill -CONT 1'));
  const info = (await s.berth('info')).stdout;
  assert.match(info, /^ Containers: 1\n {2}Running: 1\n {2}Paused: 0\n {2}Stopped: 0\n Images: 3\n/m);
  assert.match(info, /^ Storage Driver: overlay\n/m);
  assert.match(info, /^ Cgroup Version: [12] \((unified|hybrid|legacy)\)\n/m);
  assert.match(info, /^ Default Runtime: (runc|crun)\n/m);
  assert.match(info, new RegExp(`^ Berth Root Dir: ${s.root}\\n`, 'm'));
  assert.equal((await s.berth('info', '--format', '{{.Driver}} {{.ContainersRunning}}')).stdout, 'overlay 1\n');
  // Template errors as the Docker CLI words them; version --format has a Server (the engine itself).
  let r = await s.berth('info', '--format', '{{.Bogus}}');
  assert.deepEqual([r.code, r.stderr], [1, 'template: :1:2: executing "" at <.Bogus>: can\'t evaluate field Bogus in type system.dockerInfo\n']);
  const v = ok(await s.berth('version', '--short')).trim().replace(/^berth version /, '');
  assert.equal((await s.berth('version', '--format', '{{.Server.Version}} {{.Client.Version}} {{.Client.Os}} {{(index .Server.Components 0).Name}}')).stdout, `${v} ${v} linux Engine\n`);
  assert.equal(JSON.parse((await s.berth('version', '-f', 'json')).stdout).Server.Components[0].Details.Os, 'linux');
  r = await s.berth('version', '-f', '{{.Bogus}}');
  assert.deepEqual([r.code, r.stderr], [1, 'template: version:1:2: executing "version" at <.Bogus>: can\'t evaluate field Bogus in type system.versionInfo\n']);
});

test('restart and rename, as Docker words them', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(await s.berth('run', '-d', '--name', 'r1', 'busybox', 'sh', '-c', 'echo start; trap "exit 0" TERM; while :; do sleep 0.1; done'));
  const started = ok(await s.berth('inspect', '-f', '{{.State.StartedAt}}', 'r1'));
  assert.equal(ok(await s.berth('restart', '-t', '5', 'r1')), 'r1\n');
  assert.equal(ok(await s.berth('inspect', '-f', '{{.State.Running}}', 'r1')), 'true\n');
  assert.notEqual(ok(await s.berth('inspect', '-f', '{{.State.StartedAt}}', 'r1')), started);
  for (let i = 0; i < 50 && ok(await s.berth('logs', 'r1')) !== 'start\nstart\n'; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(ok(await s.berth('logs', 'r1')), 'start\nstart\n');
  // A stopped container is started; a missing one is an error after the others are done.
  ok(await s.berth('stop', 'r1'));
  let r = await s.berth('container', 'restart', 'r1', 'nope');
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, 'r1\n', 'Error response from daemon: No such container: nope\n']);
  assert.equal(ok(await s.berth('inspect', '-f', '{{.State.Running}}', 'r1')), 'true\n');

  ok(await s.berth('create', '--name', 'r2', 'busybox', 'true'));
  r = await s.berth('rename', 'r1', 'r2');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error response from daemon: Error when allocating new name: Conflict\. The container name "\/r2" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\nError: failed to rename container named r1\n$/);
  r = await s.berth('rename', 'r1', 'r1');
  assert.equal(r.stderr, 'Error response from daemon: Renaming a container with the same name as its current name\nError: failed to rename container named r1\n');
  r = await s.berth('rename', 'r1', 'bad/name');
  assert.equal(r.stderr, 'Error response from daemon: Error when allocating new name: Invalid container name (/bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named r1\n');
  assert.equal(ok(await s.berth('rename', 'r1', 'renamed')), '');
  assert.equal(ok(await s.berth('ps', '--format', '{{.Names}}')), 'renamed\n');
  assert.equal(ok(await s.berth('exec', 'renamed', 'echo', 'still running')), 'still running\n');
  r = await s.berth('rename', 'r1', 'x1');
  assert.equal(r.stderr, 'Error response from daemon: No such container: r1\nError: failed to rename container named r1\n');
});

test('cp between a container and the host, as docker cp does it', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const at = (...p: string[]) => join(d.dir, ...p);
  mkdirSync(at('dir', 'sub'), { recursive: true });
  writeFileSync(at('f.txt'), 'hello\n');
  writeFileSync(at('dir', 'sub', 'y'), 'y\n');
  mkdirSync(at('vol'));
  writeFileSync(at('vol', 'v.txt'), 'volume\n');
  // A stopped container: its layers are mounted for the copy.
  ok(await s.berth('create', '--name', 'c1', 'busybox', 'true'));
  assert.equal(ok(await s.berth('cp', at('f.txt'), 'c1:/f.txt')), '');
  ok(await s.berth('cp', at('dir'), 'c1:/dd'));
  ok(await s.berth('cp', at('f.txt'), 'c1:/etc/'));
  const exported = (await s.run(['export', 'c1'])).out;
  const names = execFileSync('tar', ['-tv'], { input: exported, encoding: 'utf8' });
  assert.match(names, /^-rw-r--r-- 0\/0 +6 .* f\.txt$/m);
  assert.match(names, /^-rw-r--r-- 0\/0 +2 .* dd\/sub\/y$/m);
  assert.match(names, /^-rw-r--r-- 0\/0 +6 .* etc\/f\.txt$/m);
  ok(await s.berth('cp', 'c1:/dd', at('back')));
  assert.equal(readFileSync(at('back', 'sub', 'y'), 'utf8'), 'y\n');
  ok(await s.berth('cp', 'c1:/f.txt', at('dir')));
  assert.equal(readFileSync(at('dir', 'f.txt'), 'utf8'), 'hello\n');
  const tar = await s.run(['cp', 'c1:/etc/passwd', '-']);
  assert.equal(execFileSync('tar', ['-t'], { input: tar.out, encoding: 'utf8' }), 'passwd\n');
  // A running container: through its own view, volumes included; symlinks stay inside it.
  ok(await s.berth('run', '-d', '--name', 'c2', '-v', `${at('vol')}:/mnt/vol`, 'busybox', 'sleep', '300'));
  ok(await s.berth('cp', 'c2:/mnt/vol/v.txt', at('v-copy.txt')));
  assert.equal(readFileSync(at('v-copy.txt'), 'utf8'), 'volume\n');
  ok(await s.berth('cp', at('f.txt'), 'c2:/mnt/vol/'));
  assert.equal(readFileSync(at('vol', 'f.txt'), 'utf8'), 'hello\n');
  ok(await s.berth('exec', 'c2', 'sh', '-c', `ln -s / /escape; mkdir -p /hostdir-${process.pid}`));
  ok(await s.berth('cp', at('f.txt'), `c2:/escape/hostdir-${process.pid}/`));
  assert.equal(existsSync(`/hostdir-${process.pid}`), false, 'the link is resolved inside the container');
  assert.equal(ok(await s.berth('exec', 'c2', 'cat', `/hostdir-${process.pid}/f.txt`)), 'hello\n');
  // SRC/. copies what a directory holds; - reads a tar from stdin into a directory.
  ok(await s.berth('exec', 'c2', 'mkdir', '/in'));
  ok(await s.berth('cp', `${at('dir')}/.`, 'c2:/in'));
  assert.equal(ok(await s.berth('exec', 'c2', 'ls', '/in')), 'f.txt\nsub\n');
  const r = await s.run(['cp', '-', 'c2:/mnt'], { input: execFileSync('tar', ['-C', at('dir'), '-cf', '-', 'sub']) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(ok(await s.berth('exec', 'c2', 'cat', '/mnt/sub/y')), 'y\n');
  // Docker's refusals.
  const refused = async (args: string[], stderr: string) => {
    const x = await s.berth('cp', ...args);
    assert.deepEqual([x.code, x.stderr], [1, stderr], args.join(' '));
  };
  await refused(['c1:/nope', at('x')], 'Error response from daemon: Could not find the file /nope in container c1\n');
  await refused([at('f.txt'), 'c1:/nope/dir/'], 'no such directory\n');
  await refused([at('dir'), 'c1:/f.txt'], 'cannot copy directory\n');
  await refused([at('nope'), 'c1:/x'], `lstat ${at('nope')}: no such file or directory\n`);
  await refused([at('f.txt'), 'nope:/x'], 'Error response from daemon: No such container: nope\n');
  await refused([at('f.txt'), at('g.txt')], 'must specify at least one container source\n');
  await refused(['c1:/a', 'c2:/b'], 'copying between containers is not supported\n');
});

test('top lists the container processes as ps shows them, laid out as docker top', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(await s.berth('run', '-d', '--name', 't1', 'busybox', 'sleep', '300'));
  const pid = ok(await s.berth('inspect', '-f', '{{.State.Pid}}', 't1')).trim();
  const out = ok(await s.berth('top', 't1')).split('\n');
  assert.equal(out[0], 'UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD');
  assert.match(out[1]!, new RegExp(`^root {16}${pid} +\\d+ .* sleep 300$`));
  assert.equal(out.length, 3);
  assert.equal(ok(await s.berth('top', 't1', '-o', 'pid,comm')), `PID                 COMMAND\n${pid.padEnd(20)}sleep\n`);
  ok(await s.berth('create', '--name', 't2', 'busybox', 'true'));
  const r = await s.berth('top', 't2');
  assert.match(r.stderr, /^Error response from daemon: Container [0-9a-f]{64} is not running\n$/);
});

test('port: nothing is published on the host network, as docker port says it', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(await s.berth('create', '--name', 'p1', 'busybox', 'true'));
  assert.deepEqual([(await s.berth('port', 'p1')).code, (await s.berth('port', 'p1')).stdout], [0, '']);
  let r = await s.berth('port', 'p1', '80');
  assert.deepEqual([r.code, r.stderr], [1, "Error: No public port '80' published for p1\n"]);
  r = await s.berth('container', 'port', 'p1', 'abc/tcp');
  assert.deepEqual([r.code, r.stderr], [1, 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax\n']);
  r = await s.berth('port', 'nope');
  assert.deepEqual([r.code, r.stderr], [1, 'Error response from daemon: No such container: nope\n']);
});

test('pause and unpause freeze the processes; ps, inspect, exec, stop and kill deal with a paused container as Docker does', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(await s.berth('run', '-d', '--name', 'z1', 'busybox', 'sh', '-c', 'while :; do date +%s%N > /tick; sleep 0.05; done'));
  assert.equal(ok(await s.berth('pause', 'z1')), 'z1\n');
  const id = ok(await s.berth('inspect', '-f', '{{.Id}}', 'z1')).trim();
  let r = await s.berth('pause', 'z1');
  assert.deepEqual([r.code, r.stderr], [1, `Error response from daemon: Container ${id} is already paused\n`]);
  assert.equal(ok(await s.berth('inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.Paused}}', 'z1')), 'paused true true\n');
  assert.match(ok(await s.berth('ps', '--format', '{{.Names}} {{.State}} {{.Status}}')), /^z1 paused Up .* \(Paused\)\n$/);
  assert.equal(ok(await s.berth('ps', '-q', '--filter', 'status=paused')), `${id.slice(0, 12)}\n`);
  assert.match(ok(await s.berth('info')), /^ {2}Running: 0\n {2}Paused: 1\n/m);
  r = await s.berth('exec', 'z1', 'true');
  assert.deepEqual([r.code, r.stderr], [1, 'Error response from daemon: Container z1 is paused, unpause the container before exec\n']);
  // Frozen: the loop does not move.
  const frozen = ok(await s.run(['cp', 'z1:/tick', '-'])).toString();
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(ok(await s.run(['cp', 'z1:/tick', '-'])).toString(), frozen);
  assert.equal(ok(await s.berth('unpause', 'z1')), 'z1\n');
  r = await s.berth('unpause', 'z1');
  assert.deepEqual([r.code, r.stderr], [1, `Error response from daemon: Container ${id} is not paused\n`]);
  assert.equal(ok(await s.berth('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'z1')), 'running false\n');
  // A paused container is stopped or killed all the same.
  ok(await s.berth('pause', 'z1'));
  ok(await s.berth('stop', '-t', '1', 'z1'));
  assert.equal(ok(await s.berth('inspect', '-f', '{{.State.Status}}', 'z1')), 'exited\n');
  ok(await s.berth('start', 'z1'));
  ok(await s.berth('pause', 'z1'));
  ok(await s.berth('kill', 'z1'));
  assert.equal(ok(await s.berth('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'z1')), 'exited 137\n');
  r = await s.berth('pause', 'z1');
  assert.deepEqual([r.code, r.stderr], [1, `Error response from daemon: Container ${id} is not running\n`]);
});
