import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storeWithBusybox, ok } from './helpers.js';
import { query } from '../helpers/store-state.js';

const noAge = (s: string) => s.replace(/(Less than a second|About an? \w+|\d+ \w+) ago/g, 'AGO');

test('seed scenario: run, change a file with exec, diff, commit with author and message, history, a new container sees the file', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const id = ok(await s.berth('run', '-d', '--name', 'seed', 'busybox', 'sh', '-c', 'echo started; sleep 600'), 'run -d').trim();
  assert.match(id, /^[0-9a-f]{64}$/);

  let r = await s.berth('exec', 'seed', 'sh', '-c', 'echo changed > /changed.txt && rm /bin/true && mkdir -p /a/b && echo x > /a/b/c && echo >> /etc/passwd');
  assert.equal(r.code, 0, r.stderr);
  r = await s.berth('diff', 'seed');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, ['A /a', 'A /a/b', 'A /a/b/c', 'C /bin', 'D /bin/true', 'A /changed.txt', 'C /etc', 'C /etc/passwd', ''].join('\n'));

  r = await s.berth('commit', '--author', 'Jane Doe <jane@example.com>', '--message', 'seed commit', 'seed', 'lab/seed:1');
  assert.equal(r.code, 0, r.stderr);
  const imageId = r.stdout.trim();
  assert.match(imageId, /^sha256:[0-9a-f]{64}$/);

  r = await s.berth('history', 'lab/seed:1');
  const lines = noAge(r.stdout).split('\n');
  assert.match(lines[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.match(lines[1]!, new RegExp(`^${imageId.slice(7, 19)}\\s+AGO\\s+sh -c echo started; sleep 600\\s+88B\\s+seed commit$`));
  r = await s.berth('inspect', '-f', '{{.Author}}|{{.Parent}}|{{.Comment}}|{{.Config.Cmd}}|{{.ContainerConfig.Hostname}}|{{len .RootFS.Layers}}', 'lab/seed:1');
  const parent = (await s.berth('images', '-q', '--no-trunc', 'busybox')).stdout.trim();
  assert.equal(r.stdout.trim(), `Jane Doe <jane@example.com>|${parent}|seed commit|[sh -c echo started; sleep 600]|${(await s.berth('inspect', '-f', '{{.Config.Hostname}}', 'seed')).stdout.trim()}|2`);

  r = await s.berth('run', '--rm', 'lab/seed:1', 'sh', '-c', 'cat /changed.txt /a/b/c; test -e /bin/true || echo gone');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'changed\nx\ngone\n', '']);
  // --rm removed that container; the seed container is still there
  assert.deepEqual((await s.berth('ps', '-a', '--format', '{{.Names}}')).stdout, 'seed\n');
  assert.equal((await s.berth('logs', 'seed')).stdout, 'started\n');
});

test('exit codes are passed through; output and stdin reach the container', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  let r = await s.berth('run', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3');
  assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'out\n', 'err\n']);
  r = await s.run(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'tr a-z A-Z; exit 42'], { input: 'hello\n' });
  assert.deepEqual([r.code, r.stdout], [42, 'HELLO\n']);
  // a command that does not exist: 127, and the container stays, created, with the error
  r = await s.berth('run', '--name', 'nocmd', 'busybox', 'no-such-command');
  assert.equal(r.code, 127);
  assert.match(r.stderr, /^berth: Error response from daemon: failed to create task for container: .*exec: "no-such-command": executable file not found in \$PATH: unknown\n\nRun 'berth run --help' for more information\n$/);
  r = await s.berth('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'nocmd');
  assert.equal(r.stdout, 'created 127\n');
  r = await s.berth('run', '--rm', 'busybox', '/etc/passwd');
  assert.equal(r.code, 126);
  r = await s.berth('run', 'no/such-image:1');
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Unable to find image 'no\/such-image:1' locally\n/);
  // the exited container keeps its exit code
  assert.equal(query(s.root, "SELECT count(*) AS n FROM containers WHERE exit_code = 3 AND state = 'exited'")[0]!.n, 1);
});

test('image configuration is applied: Entrypoint, Cmd, Env, WorkingDir, User; run flags override it', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(
    await s.berth('commit', '-c', 'ENTRYPOINT ["/bin/sh", "-c"]', '-c', 'CMD ["echo from-cmd $FOO $(pwd) $(id -u)"]', '-c', 'ENV FOO=image', '-c', 'WORKDIR /work', '-c', 'USER tester',
      ok(await s.berth('create', 'busybox', 'true')).trim(), 'lab/cfg:1'),
  );
  let r = await s.berth('run', '--rm', 'lab/cfg:1');
  assert.deepEqual([r.code, r.stdout], [0, 'from-cmd image /work 1000\n']);
  r = await s.berth('run', '--rm', '-e', 'FOO=flag', '-w', '/tmp', '-u', '0:50', 'lab/cfg:1', 'echo $FOO $(pwd) $(id -u) $(id -g) $HOME $HOSTNAME');
  assert.equal(r.code, 0, r.stderr);
  const [foo, pwd, uid, gid, home, hostname] = r.stdout.trim().split(' ');
  assert.deepEqual([foo, pwd, uid, gid, home], ['flag', '/tmp', '0', '50', '/root']);
  assert.ok(hostname);
  r = await s.berth('run', '--rm', '--entrypoint', 'echo', 'lab/cfg:1', 'plain');
  assert.equal(r.stdout, 'plain\n');
  r = await s.berth('run', '--rm', '--entrypoint', '', 'lab/cfg:1');
  assert.equal(r.code, 125);
  assert.match(r.stderr, /no command specified/);
  r = await s.berth('run', '--rm', '--hostname', 'box1', '-l', 'a=b', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname');
  assert.equal(r.stdout, 'box1\nbox1\n');
  r = await s.berth('run', '--rm', '-u', 'nobody', 'busybox', 'true');
  assert.equal(r.code, 125);
  assert.match(r.stderr, /unable to find user nobody: no matching entries in passwd file/);
});
