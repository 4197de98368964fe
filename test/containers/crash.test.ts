import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { storeWithBusybox, ok } from './helpers.js';
import { berthBin } from '../helpers/paths.js';
import { query } from '../helpers/store-state.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && p.startsWith(dir));
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('berth killed at any point of `run -d` leaves a consistent store; what started runs, the rest is created or reclaimed', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const delays = [0, 60, 120, 180, 250, 320, 400, 500, 650, 900];
  for (const [i, d] of delays.entries()) {
    const child = spawn(process.execPath, [berthBin, '--root', s.root, 'run', '-d', '--name', `k${i}`, 'busybox', 'sh', '-c', 'echo up; sleep 600'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await sleep(d);
    child.kill('SIGKILL');
    await exited;
  }
  await sleep(500);
  const rows = (await s.berth('ps', '-a', '--format', '{{.Names}} {{.State}}')).stdout.split('\n').filter(Boolean).map((l) => l.split(' '));
  for (const [name, state] of rows) {
    assert.ok(['created', 'running', 'exited'].includes(state!), `${name}: ${state}`);
    if (state === 'running') assert.equal((await s.berth('exec', name!, 'true')).code, 0);
    else assert.equal((await s.berth('start', name!)).code, 0, `a container left ${state} by a killed run starts again`);
  }
  // every container can be removed, and nothing of them stays mounted or on disk
  const ids = (await s.berth('ps', '-aq', '--no-trunc')).stdout.split('\n').filter(Boolean);
  if (ids.length) ok(await s.berth('rm', '-f', ...ids));
  ok(await s.berth('system', 'gc'));
  assert.deepEqual(mountsUnder(s.root), []);
  assert.deepEqual(readdirSync(join(s.root, 'containers')), []);
  const snaps = readdirSync(join(s.root, 'snapshots')).sort();
  assert.deepEqual(snaps, query<{ name: string }>(s.root, 'SELECT name FROM snapshots ORDER BY name').map((r) => r.name));
  assert.equal(query(s.root, 'SELECT count(*) AS n FROM leases')[0]!.n, 0);
  const check = await s.berth('system', 'check');
  assert.equal(check.code, 0, check.stdout + check.stderr);
});

test('a container whose monitor and process died is seen as exited (255); one whose monitor died keeps running', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  ok(await s.berth('run', '-d', '--name', 'orphan', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'));
  const [row] = query<{ pid: number; monitor_pid: number }>(s.root, "SELECT pid, monitor_pid FROM containers WHERE name = '/orphan'");
  assert.ok(row && row.pid > 0 && row.monitor_pid > 0);
  process.kill(row.monitor_pid, 'SIGKILL');
  await sleep(200);
  assert.equal((await s.berth('ps', '--format', '{{.Names}} {{.State}}')).stdout, 'orphan running\n');
  assert.equal((await s.berth('exec', 'orphan', 'echo', 'still here')).stdout, 'still here\n');
  process.kill(row.pid, 'SIGKILL');
  for (let i = 0; i < 50 && alive(row.pid); i++) await sleep(50);
  assert.equal((await s.berth('ps', '-a', '--format', '{{.Names}} {{.State}} {{.Status}}')).stdout.replace(/\d+ seconds?|Less than a second/, 'X'), 'orphan exited Exited (255) X ago\n');
  assert.equal((await s.berth('inspect', '-f', '{{.State.ExitCode}} {{.State.Pid}}', 'orphan')).stdout, '255 0\n');
  // its mounts and runtime state were cleaned up; it starts again
  assert.deepEqual(mountsUnder(join(s.root, 'containers')), []);
  ok(await s.berth('start', 'orphan'));
  ok(await s.berth('stop', 'orphan'));
  assert.equal((await s.berth('wait', 'orphan')).stdout, '0\n');

  // a start whose starter died before the monitor took over is undone
  const id = ok(await s.berth('create', 'busybox', 'true')).trim();
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
  const childExited = new Promise((r) => child.once('exit', r));
  const start = readFileSync(`/proc/${child.pid}/stat`, 'latin1').slice(0).split(') ')[1]!.split(' ')[19];
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(join(s.root, 'berth.db'));
  db.prepare("UPDATE containers SET state = 'starting', monitor_pid = ?, monitor_start = ? WHERE id = ?").run(child.pid, start, id);
  db.close();
  await childExited;
  assert.equal((await s.berth('inspect', '-f', '{{.State.Status}}', id)).stdout, 'created\n');
  assert.equal(existsSync(join(s.root, 'containers', id)), true);
});
