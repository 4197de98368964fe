// Privileges and limits of run and create, seen from inside the container (real runc/crun,
// cgroup files, /proc/self/status) and in inspect, and refused with Docker's words when wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { storeWithBusybox, ok } from './helpers.js';

/** Bits of a /proc/self/status capability mask, as names' numbers. */
function capBits(status: string, field: string): number[] {
  const m = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status);
  assert.ok(m, `${field} in ${status}`);
  const v = BigInt(`0x${m[1]}`);
  const out: number[] = [];
  for (let i = 0; i < 64; i++) if ((v >> BigInt(i)) & 1n) out.push(i);
  return out;
}

// CAP_CHOWN 0, CAP_NET_ADMIN 12, CAP_NET_RAW 13, CAP_SYS_ADMIN 21, CAP_MKNOD 27
const CHOWN = 0;
const NET_ADMIN = 12;
const NET_RAW = 13;
const SYS_ADMIN = 21;

/** A cgroup v2 file, or its v1 counterpart under the controller's own mount. */
const cgroupRead = (v2: string, v1: string) => `cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1}`;

test('capabilities: the defaults, --cap-add and --cap-drop (ALL too), --privileged; inspect shows them as Docker records them', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const caps = async (...flags: string[]) => capBits(ok(await s.berth('run', '--rm', ...flags, 'busybox', 'cat', '/proc/self/status')), 'CapEff');
  const defaults = await caps();
  assert.ok(defaults.includes(CHOWN) && defaults.includes(NET_RAW) && !defaults.includes(NET_ADMIN) && !defaults.includes(SYS_ADMIN));
  const added = await caps('--cap-add', 'net_admin', '--cap-drop', 'CAP_CHOWN');
  assert.deepEqual(added, [...defaults.filter((c) => c !== CHOWN), NET_ADMIN].sort((a, b) => a - b));
  assert.deepEqual(await caps('--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN'), [NET_ADMIN]);
  const all = await caps('--cap-add', 'ALL', '--cap-drop', 'sys_admin');
  assert.ok(all.includes(NET_ADMIN) && !all.includes(SYS_ADMIN) && all.length > defaults.length);
  const privileged = await caps('--privileged');
  assert.ok(privileged.includes(SYS_ADMIN) && privileged.length > all.length);

  ok(await s.berth('create', '--name', 'c1', '--cap-add', 'sys_admin', '--cap-add', 'NET_ADMIN', '--cap-add', 'sys_admin', '--cap-drop', 'chown', 'busybox', 'true'));
  assert.equal(ok(await s.berth('inspect', '-f', '{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} {{.HostConfig.Privileged}}', 'c1')), '["CAP_NET_ADMIN","CAP_SYS_ADMIN"] ["CAP_CHOWN"] false\n');
  ok(await s.berth('create', '--name', 'p1', '--privileged', 'busybox', 'true'));
  assert.equal(ok(await s.berth('inspect', '-f', '{{.HostConfig.Privileged}} {{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}', 'p1')), 'true null null\n');

  // Privileged: the host's devices, /sys writable, nothing masked. Unprivileged: none of that.
  const inside = 'ls /dev | wc -l; grep " /sys " /proc/mounts | cut -d" " -f4 | cut -d, -f1; grep -c " /proc/keys " /proc/mounts || true';
  const [pDevs, pSys, pMasked] = ok(await s.berth('run', '--rm', '--privileged', 'busybox', 'sh', '-c', inside)).trim().split('\n');
  const [dDevs, dSys, dMasked] = ok(await s.berth('run', '--rm', 'busybox', 'sh', '-c', inside)).trim().split('\n');
  assert.ok(Number(pDevs) > Number(dDevs), `${pDevs} devices privileged, ${dDevs} not`);
  assert.deepEqual([pSys, dSys, pMasked, dMasked], ['rw', 'ro', '0', '1']);
  // systempaths=unconfined unmasks /proc without other privileges.
  assert.equal(ok(await s.berth('run', '--rm', '--security-opt', 'systempaths=unconfined', 'busybox', 'sh', '-c', 'grep -c " /proc/keys " /proc/mounts || true')), '0\n');

  // exec gets the container's set; exec --privileged every capability.
  ok(await s.berth('run', '-d', '--name', 'e1', '--cap-drop', 'ALL', 'busybox', 'sleep', '60'));
  assert.deepEqual(capBits(ok(await s.berth('exec', 'e1', 'cat', '/proc/self/status')), 'CapEff'), []);
  assert.ok(capBits(ok(await s.berth('exec', '--privileged', 'e1', 'cat', '/proc/self/status')), 'CapEff').includes(SYS_ADMIN));
});

test('limits: memory, CPUs, pids, ulimits, /dev/shm size, sysctls, no-new-privileges and extra hosts reach the container', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const script = [
    cgroupRead('memory.max', 'memory/memory.limit_in_bytes'),
    cgroupRead('cpu.max', 'cpu/cpu.cfs_quota_us'),
    cgroupRead('pids.max', 'pids/pids.max'),
    'ulimit -n; ulimit -Hn',
    'df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2',
    'cat /proc/sys/kernel/msgmax',
    'grep NoNewPrivs /proc/self/status | tr -d "\\t"',
    'tail -2 /etc/hosts',
  ].join('; ');
  const out = ok(
    await s.berth(
      'run', '--rm', '-m', '64m', '--cpus', '0.5', '--pids-limit', '50', '--ulimit', 'nofile=100:200', '--shm-size', '128m',
      '--sysctl', 'kernel.msgmax=12345', '--security-opt', 'no-new-privileges', '--add-host', 'foo:10.0.0.1', '--add-host', 'gw:host-gateway',
      'busybox', 'sh', '-c', script,
    ),
  ).trim().split('\n');
  const [mem, cpu, pids, soft, hard, shm, msgmax, nnp, host1, host2] = out;
  assert.equal(mem, String(64 << 20));
  assert.match(cpu!, /^(50000 100000|50000)$/);
  assert.equal(pids, '50');
  assert.deepEqual([soft, hard], ['100', '200']);
  assert.equal(shm, String(128 * 1024));
  assert.equal(msgmax, '12345');
  assert.equal(nnp, 'NoNewPrivs:1');
  assert.deepEqual([host1, host2], ['10.0.0.1\tfoo', '127.0.0.1\tgw']);

  // The defaults: no limits, Docker's 1024 open files and 64 MiB /dev/shm.
  const d = ok(await s.berth('run', '--rm', 'busybox', 'sh', '-c', `ulimit -n; df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2; grep NoNewPrivs /proc/self/status | tr -d "\\t"`)).trim().split('\n');
  assert.deepEqual(d, ['1024', String(64 * 1024), 'NoNewPrivs:0']);

  ok(await s.berth('create', '--name', 'l1', '-m', '64m', '--memory-reservation', '32m', '--cpus', '1.5', '-c', '512', '--cpuset-cpus', '0', '--pids-limit', '50', '--ulimit', 'nofile=100:200', '--shm-size', '1g', '--sysctl', 'kernel.msgmax=1', '--add-host', 'h=10.0.0.2', '--security-opt', 'no-new-privileges', 'busybox', 'true'));
  const fields = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpusetCpus', 'PidsLimit', 'Ulimits', 'ShmSize', 'Sysctls', 'ExtraHosts', 'SecurityOpt'];
  assert.equal(
    ok(await s.berth('inspect', '-f', fields.map((f) => `{{json .HostConfig.${f}}}`).join(' '), 'l1')),
    '67108864 134217728 33554432 1500000000 512 "0" 50 [{"Name":"nofile","Hard":200,"Soft":100}] 1073741824 {"kernel.msgmax":"1"} ["h:10.0.0.2"] ["no-new-privileges"]\n',
  );
  ok(await s.berth('create', '--name', 'n1', 'busybox', 'true'));
  assert.equal(ok(await s.berth('inspect', '-f', fields.map((f) => `{{json .HostConfig.${f}}}`).join(' '), 'n1')), '0 0 0 0 0 "" null [] 67108864 null null null\n');
});

test('--device: the host node appears where asked, with the cgroup access asked; inspect lists the mapping', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const out = ok(await s.berth('run', '--rm', '--device', '/dev/null:/dev/mynull', 'busybox', 'sh', '-c', 'stat -c "%t:%T" /dev/mynull; echo x > /dev/mynull && echo wrote'));
  assert.equal(out, '1:3\nwrote\n');
  // The cgroup allows what was asked: read only here, so writing is refused (not a default device).
  if (existsSync('/dev/kmsg')) {
    const ro = ok(await s.berth('run', '--rm', '--device', '/dev/kmsg:/dev/mykmsg:r', 'busybox', 'sh', '-c', 'stat -c "%t:%T" /dev/mykmsg; echo x > /dev/mykmsg || echo refused'));
    assert.equal(ro, '1:b\nrefused\n');
  }
  ok(await s.berth('create', '--name', 'd1', '--device', '/dev/null:/dev/mynull:rw', 'busybox', 'true'));
  assert.equal(ok(await s.berth('inspect', '-f', '{{json .HostConfig.Devices}}', 'd1')), '[{"PathOnHost":"/dev/null","PathInContainer":"/dev/mynull","CgroupPermissions":"rw"}]\n');
  let r = await s.berth('run', '--rm', '--device', '/dev/nope', 'busybox', 'true');
  assert.equal(r.stderr.split('\n')[0], 'berth: Error response from daemon: error gathering device information while adding custom device "/dev/nope": no such file or directory');
  r = await s.berth('run', '--rm', '--device', '/dev/null:/dev/x:y', 'busybox', 'true');
  assert.deepEqual([r.code, r.stderr], [125, "berth: bad mode specified: y\n\nRun 'berth run --help' for more information\n"]);
});

test('--pid, --ipc and --uts host share the host namespaces; inspect shows the modes', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const ns = (kind: string) => readlinkSync(`/proc/self/ns/${kind}`);
  const inside = 'for n in pid ipc uts; do readlink /proc/self/ns/$n; done; hostname';
  const shared = ok(await s.berth('run', '--rm', '--pid', 'host', '--ipc', 'host', '--uts', 'host', 'busybox', 'sh', '-c', inside)).trim().split('\n');
  assert.deepEqual(shared, [ns('pid'), ns('ipc'), ns('uts'), hostname()]);
  const own = ok(await s.berth('run', '--rm', '-h', 'box', 'busybox', 'sh', '-c', inside)).trim().split('\n');
  assert.ok(own[0] !== ns('pid') && own[1] !== ns('ipc') && own[2] !== ns('uts'));
  assert.equal(own[3], 'box');
  ok(await s.berth('create', '--name', 'h1', '--pid', 'host', '--ipc', 'host', '--uts', 'host', 'busybox', 'true'));
  ok(await s.berth('create', '--name', 'h2', 'busybox', 'true'));
  const modes = '{{.HostConfig.PidMode}}|{{.HostConfig.IpcMode}}|{{.HostConfig.UTSMode}}';
  assert.equal(ok(await s.berth('inspect', '-f', modes, 'h1', 'h2')), 'host|host|host\n|private|\n');
  const refused = async (flags: string[], first: string) => {
    const r = await s.berth('run', '--rm', ...flags, 'busybox', 'true');
    assert.deepEqual([r.code, r.stderr.split('\n')[0]], [125, first], flags.join(' '));
  };
  await refused(['--pid', 'bogus'], 'berth: --pid: invalid PID mode');
  await refused(['--uts', 'bogus'], 'berth: --uts: invalid UTS mode');
  await refused(['--ipc', 'bogus'], 'berth: Error response from daemon: Invalid IPC mode: bogus');
  await refused(['--uts', 'host', '-h', 'x'], 'berth: Error response from daemon: conflicting options: hostname and the UTS mode');
});

test('users and groups: the primary group is among the supplementary ones, as Docker sets them, in run and exec', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const id = async (...flags: string[]) => ok(await s.berth('run', '--rm', ...flags, 'busybox', 'busybox', 'id')).trim();
  assert.equal(await id(), 'uid=0(root) gid=0(root) groups=0(root)');
  assert.equal(await id('-u', 'tester'), 'uid=1000(tester) gid=1000 groups=50(staff),1000');
  assert.equal(await id('-u', 'tester:root'), 'uid=1000(tester) gid=0(root) groups=0(root)');
  assert.equal(await id('-u', '1234:5678', '--group-add', '77'), 'uid=1234 gid=5678 groups=77,5678');
  ok(await s.berth('run', '-d', '--name', 'g1', '--group-add', 'staff', 'busybox', 'sleep', '60'));
  assert.equal(ok(await s.berth('exec', 'g1', 'busybox', 'id')).trim(), 'uid=0(root) gid=0(root) groups=0(root),50(staff)');
  assert.equal(ok(await s.berth('exec', '-u', 'tester', 'g1', 'busybox', 'id')).trim(), 'uid=1000(tester) gid=1000 groups=50(staff),1000');
  // -e values pflag refuses; --restart with --rm.
  let r = await s.berth('run', '--rm', '-e', '=x', 'busybox', 'true');
  assert.deepEqual([r.code, r.stderr.split('\n')[0]], [125, 'invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x']);
  r = await s.berth('run', '--rm', '--restart', 'always', 'busybox', 'true');
  assert.deepEqual([r.code, r.stderr], [125, "berth: conflicting options: cannot specify both --restart and --rm\n\nRun 'berth run --help' for more information\n"]);
});

test('bad privilege and limit values are refused as Docker refuses them, before anything is created', async (t) => {
  const s = await storeWithBusybox();
  t.after(s.cleanup);
  const refused = async (flags: string[], stderr: string) => {
    const r = await s.berth('run', '--rm', ...flags, 'busybox', 'true');
    assert.equal(r.code, 125, flags.join(' '));
    assert.equal(r.stderr.split('\n')[0], stderr, flags.join(' '));
  };
  await refused(['--cap-add', 'FOO'], 'berth: Error response from daemon: invalid CapAdd: unknown capability: "CAP_FOO"');
  await refused(['--cap-drop', 'bar'], 'berth: Error response from daemon: invalid CapDrop: unknown capability: "CAP_BAR"');
  await refused(['-m', '1m'], 'berth: Error response from daemon: Minimum memory limit allowed is 6MB');
  await refused(['--memory-swap', '100m'], 'berth: Error response from daemon: You should always set the Memory limit when using Memoryswap limit, see usage');
  const n = availableParallelism();
  await refused(['--cpus', '1000'], `berth: Error response from daemon: Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`);
  await refused(['--security-opt', 'foo'], 'berth: Invalid --security-opt: "foo"');
  await refused(['--security-opt', 'foo=bar'], 'berth: Error response from daemon: invalid --security-opt 2: "foo=bar"');
  await refused(['--sysctl', 'net.ipv4.ip_forward=1'], 'berth: Error response from daemon: sysctl "net.ipv4.ip_forward" not allowed in host network namespace');
  // Values pflag refuses: a flag error with the usage line.
  await refused(['--ulimit', 'nofile'], 'invalid argument "nofile" for "--ulimit" flag: invalid ulimit argument: nofile');
  await refused(['--ulimit', 'bogus=1'], 'invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus');
  await refused(['--ulimit', 'nofile=20:10'], 'invalid argument "nofile=20:10" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 20 > 10');
  await refused(['--cpus', 'abc'], 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
  await refused(['-m', '1x'], `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'`);
  await refused(['--sysctl', 'vm.swappiness=1'], `invalid argument "vm.swappiness=1" for "--sysctl" flag: sysctl 'vm.swappiness=1' is not allowed`);
  await refused(['--add-host', 'foo'], 'invalid argument "foo" for "--add-host" flag: bad format for add-host: "foo"');
  await refused(['--add-host', 'foo:1.2.3'], 'invalid argument "foo:1.2.3" for "--add-host" flag: invalid IP address in add-host: "1.2.3"');
  assert.equal(ok(await s.berth('ps', '-aq')), '');
});
