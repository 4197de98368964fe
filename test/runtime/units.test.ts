import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, utimesSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/berth.js';
import { resolveUser } from '../../src/runtime/user.js';
import { JsonLogWriter, readLog } from '../../src/runtime/jsonlog.js';
import { FrameDecoder, encodeFrame, Frame } from '../../src/runtime/attach.js';
import { buildSpec, DEFAULT_CAPABILITIES } from '../../src/runtime/spec.js';
import { treeChanges } from '../../src/runtime/changes.js';
import { cgroupMode, hostInfo } from '../../src/runtime/detect.js';
import { parseRfc3339, rfc3339Nano } from '../../src/runtime/time.js';
import { startFailureCode } from '../../src/runtime/container-files.js';
import { runtimeMessage } from '../../src/runtime/runc.js';

test('users and groups resolve in the container root, symlinks included, never on the host', (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const root = join(d.dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'real'), { recursive: true });
  writeFileSync(join(root, 'real', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n# comment\n');
  // an absolute symlink that would point at the host's file outside the root
  symlinkSync('/real/passwd', join(root, 'etc', 'passwd'));
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nstaff:x:50:app,other\nwheel:x:10:app\n');
  assert.deepEqual(resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  assert.deepEqual(resolveUser(root, 'app'), { uid: 1000, gid: 1000, additionalGids: [50, 10], home: '/home/app' });
  assert.deepEqual(resolveUser(root, 'app:wheel'), { uid: 1000, gid: 10, additionalGids: [], home: '/home/app' });
  assert.deepEqual(resolveUser(root, '1000:4242'), { uid: 1000, gid: 4242, additionalGids: [], home: '/home/app' });
  assert.deepEqual(resolveUser(root, '777'), { uid: 777, gid: 0, additionalGids: [], home: '/' });
  assert.deepEqual(resolveUser(root, '0', ['staff', '99']), { uid: 0, gid: 0, additionalGids: [50, 99], home: '/root' });
  assert.throws(() => resolveUser(root, 'nobody'), /unable to find user nobody: no matching entries in passwd file/);
  assert.throws(() => resolveUser(root, 'app:nogroup'), /unable to find group nogroup: no matching entries in group file/);
  // a passwd symlink escaping with .. stays inside the root
  rmSync(join(root, 'etc', 'passwd'));
  symlinkSync('../../../../../../etc/passwd', join(root, 'etc', 'passwd'));
  assert.throws(() => resolveUser(root, 'root2'), /unable to find user root2/);
  assert.deepEqual(resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [], home: '/' });
});

test('json-file log: a record per line, partial lines kept until their newline, torn lines skipped', async (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const file = join(d.dir, 'c-json.log');
  const w = new JsonLogWriter(file);
  w.write('stdout', Buffer.from('hel'));
  w.write('stderr', Buffer.from('oops\n'));
  w.write('stdout', Buffer.from('lo <&>\nsecond\nunfinished'));
  w.close();
  writeFileSync(file, readFileSync(file, 'utf8') + '{"log":"torn', { flag: 'w' });
  const { records, end } = await readLog(file);
  assert.deepEqual(records.map((r) => [r.stream, r.log]), [
    ['stderr', 'oops\n'],
    ['stdout', 'hello <&>\n'],
    ['stdout', 'second\n'],
    ['stdout', 'unfinished'],
  ]);
  assert.match(readFileSync(file, 'utf8'), /"log":"hello \\u003c\\u0026\\u003e\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT[\d:.]+Z"/);
  assert.equal(end, readFileSync(file).length - '{"log":"torn'.length);
});

test('attach frames survive any split of the byte stream', () => {
  const bytes = Buffer.concat([encodeFrame(Frame.Stdout, 'abc'), encodeFrame(Frame.Exit, '{"code":3}'), encodeFrame(Frame.StdinClose)]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const dec = new FrameDecoder();
    const frames = [...dec.push(bytes.subarray(0, cut)), ...dec.push(bytes.subarray(cut))];
    assert.deepEqual(frames.map((f) => [f.type, f.payload.toString()]), [[Frame.Stdout, 'abc'], [Frame.Exit, '{"code":3}'], [Frame.StdinClose, '']]);
  }
});

test("OCI spec: Docker's defaults, host or private network, binds", () => {
  const spec = buildSpec({
    process: { args: ['sh'], env: ['A=1'], cwd: '/', uid: 1, gid: 2, additionalGids: [3], terminal: true, consoleSize: { rows: 24, cols: 80 } },
    rootfs: '/r',
    hostname: 'h',
    network: 'host',
    etcFiles: { hosts: '/x/hosts', hostname: '/x/hostname', resolvConf: '/x/resolv.conf' },
    binds: [{ source: '/src', destination: '/dst', readonly: true }],
    cgroupsPath: '/berth/id',
    cgroupNamespace: false,
  }) as { process: Record<string, unknown>; mounts: { destination: string; options: string[] }[]; linux: Record<string, unknown> };
  assert.deepEqual((spec.linux.namespaces as { type: string }[]).map((n) => n.type), ['mount', 'uts', 'pid', 'ipc']);
  assert.deepEqual((spec.process.capabilities as { bounding: string[] }).bounding, DEFAULT_CAPABILITIES);
  assert.deepEqual(spec.process.user, { uid: 1, gid: 2, additionalGids: [3] });
  assert.deepEqual(spec.process.consoleSize, { height: 24, width: 80 });
  assert.deepEqual(spec.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts', '/dst']);
  assert.deepEqual(spec.mounts.at(-1)!.options, ['rbind', 'rprivate', 'ro']);
  assert.ok((spec.linux.maskedPaths as string[]).includes('/proc/kcore'));
  assert.ok((spec.linux.readonlyPaths as string[]).includes('/proc/sys'));
  const none = buildSpec({ process: { args: ['sh'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], terminal: false }, rootfs: '/r', hostname: 'h', network: 'none', cgroupsPath: '/b', cgroupNamespace: true }) as { linux: { namespaces: { type: string }[] } };
  assert.deepEqual(none.linux.namespaces.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup']);
});

test("tree changes (copy snapshotter): Docker's kinds and order, directories before their contents, deletions last", (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const [older, newer] = [join(d.dir, 'old'), join(d.dir, 'new')];
  for (const root of [older, newer]) {
    mkdirSync(join(root, 'etc', 'sub'), { recursive: true });
    writeFileSync(join(root, 'etc', 'same'), 'same');
    writeFileSync(join(root, 'etc', 'sub', 'f'), 'f');
    writeFileSync(join(root, 'etc', 'touched'), 'x');
    utimesSync(join(root, 'etc', 'same'), 1000, 1000);
    utimesSync(join(root, 'etc', 'sub', 'f'), 1000, 1000);
  }
  writeFileSync(join(older, 'gone'), 'x');
  writeFileSync(join(older, 'etc', 'touched'), 'y');
  utimesSync(join(older, 'etc', 'touched'), 1000, 1000);
  mkdirSync(join(newer, 'added', 'deep'), { recursive: true });
  writeFileSync(join(newer, 'added', 'deep', 'file'), 'n');
  for (const root of [older, newer]) utimesSync(join(root, 'etc', 'sub'), 1000, 1000);
  assert.deepEqual(
    treeChanges(newer, older).map((c) => `${c.kind} ${c.path}`),
    ['A /added', 'A /added/deep', 'A /added/deep/file', 'C /etc', 'C /etc/touched', 'D /gone'],
  );
});

test('host detection, times, start failure codes, runtime messages', () => {
  const mode = cgroupMode();
  assert.ok(['unified', 'hybrid', 'legacy', 'none'].includes(mode));
  const h = hostInfo();
  if (h.runtime && !process.env.BERTH_RUNTIME) assert.equal(h.runtime.name, mode === 'unified' && h.runtimesFound.includes('crun') ? 'crun' : 'runc');
  const ns = parseRfc3339('2026-11-25T22:38:58.3323711Z')!;
  assert.equal(rfc3339Nano(ns), '2026-11-25T22:38:58.3323711Z');
  assert.equal(rfc3339Nano(ns, true), '2026-11-25T22:38:58.332371100Z');
  assert.equal(rfc3339Nano(parseRfc3339('2026-11-25T22:38:58Z')!), '2026-11-25T22:38:58Z');
  assert.equal(startFailureCode('exec: "x": executable file not found in $PATH'), 127);
  assert.equal(startFailureCode('exec: "/etc": permission denied'), 126);
  assert.equal(startFailureCode('something else'), 128);
  const d = tempDir();
  try {
    const log = join(d.dir, 'log.json');
    writeFileSync(log, '{"level":"warning","msg":"w"}\n{"level":"error","msg":"runc create failed: boom"}\n');
    assert.equal(runtimeMessage(log, '', 'create'), 'runc create failed: boom');
    assert.equal(runtimeMessage(undefined, 'time="x" level=error msg="exec failed: \\"no\\""\n', 'exec'), 'runc exec failed: exec failed: "no"');
  } finally {
    d.cleanup();
  }
});
