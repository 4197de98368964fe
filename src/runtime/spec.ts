/**
 * The OCI runtime spec (config.json) berth writes for a container, with Docker's defaults:
 * its mounts, namespaces, capability set, masked and read-only paths and device rules.
 */
import { existsSync, readFileSync } from 'node:fs';

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const SHM_SIZE = 64 * 1024 * 1024;

export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
  /** Propagation, e.g. rprivate (Docker's default). */
  propagation?: string;
}

export interface TmpfsMount {
  destination: string;
  options: string[];
}

export interface ProcessInput {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  terminal: boolean;
  consoleSize?: { rows: number; cols: number };
  /** --ulimit: replaces the default of the same type. */
  rlimits?: Rlimit[];
  /** --security-opt no-new-privileges. */
  noNewPrivileges?: boolean;
}

export interface Rlimit {
  /** RLIMIT_NOFILE and the like. */
  type: string;
  soft: number;
  hard: number;
}

/** The cgroup limits of --memory, --cpus, --pids-limit and the like, as the OCI spec words them. */
export interface Resources {
  memory?: { limit?: number; swap?: number; reservation?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string };
  pids?: { limit: number };
}

export interface DeviceNode {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface SpecInput {
  process: ProcessInput;
  rootfs: string;
  readonlyRootfs?: boolean;
  hostname: string;
  network: 'host' | 'none';
  /** Files bind-mounted over /etc/hosts, /etc/hostname and /etc/resolv.conf. */
  etcFiles?: { hosts?: string; hostname?: string; resolvConf?: string };
  binds?: BindMount[];
  tmpfs?: TmpfsMount[];
  cgroupsPath: string;
  /** Private cgroup namespace (Docker's default on a unified hierarchy). */
  cgroupNamespace: boolean;
  capabilities?: string[];
  annotations?: Record<string, string>;
  /** --privileged: every device and capability, nothing masked, /sys and cgroups writable. */
  privileged?: boolean;
  /** --security-opt systempaths=unconfined: nothing masked or read-only under /proc and /sys. */
  unmaskedPaths?: boolean;
  /** Device nodes to create in the container's /dev (a privileged container's: the host's). */
  devices?: DeviceNode[];
  /** Device cgroup rules beyond the defaults (--device: its node, with the given access). */
  deviceRules?: { type: 'c' | 'b'; major: number; minor: number; access: string }[];
  shmSize?: number;
  resources?: Resources;
  sysctl?: Record<string, string>;
  /** Namespaces shared with the host (--pid host, --ipc host, --uts host). */
  hostNamespaces?: ('pid' | 'ipc' | 'uts')[];
}

/** The possible CPUs' thermal_throttle directories, masked by Docker since 28. */
function thermalMasks(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 1024; i++) {
    const p = `/sys/devices/system/cpu/cpu${i}/thermal_throttle`;
    if (existsSync(p)) out.push(p);
    else if (!existsSync(`/sys/devices/system/cpu/cpu${i}`)) break;
  }
  return out;
}

let nofileHard: number | undefined;

/** RLIMIT_NOFILE 1024:524288 as containers get under Docker, the hard limit capped at ours. */
function nofileLimit(): { soft: number; hard: number } {
  if (nofileHard === undefined) {
    nofileHard = 524288;
    try {
      const m = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
      if (m && m[1] !== 'unlimited') nofileHard = Math.min(nofileHard, Number(m[1]));
    } catch {
      /* keep the default */
    }
  }
  return { soft: Math.min(1024, nofileHard), hard: nofileHard };
}

/** The default RLIMIT_NOFILE unless --ulimit sets it, then the --ulimit ones. */
function rlimitsOf(given: readonly Rlimit[]): Rlimit[] {
  const out = given.some((r) => r.type === 'RLIMIT_NOFILE') ? [] : [{ type: 'RLIMIT_NOFILE', ...nofileLimit() }];
  return [...out, ...given];
}

export function processSpec(p: ProcessInput, capabilities = DEFAULT_CAPABILITIES): Record<string, unknown> {
  const proc: Record<string, unknown> = {
    terminal: p.terminal,
    user: { uid: p.uid, gid: p.gid, ...(p.additionalGids.length ? { additionalGids: p.additionalGids } : {}) },
    args: p.args,
    env: p.env,
    cwd: p.cwd,
    capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities },
    rlimits: rlimitsOf(p.rlimits ?? []),
    noNewPrivileges: Boolean(p.noNewPrivileges),
    oomScoreAdj: 0,
  };
  if (p.terminal && p.consoleSize) proc.consoleSize = { height: p.consoleSize.rows, width: p.consoleSize.cols };
  return proc;
}

export function buildSpec(input: SpecInput): Record<string, unknown> {
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', input.privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [input.privileged ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${input.shmSize ?? SHM_SIZE}`] },
  ];
  const etc = input.etcFiles ?? {};
  const fileBind = (source: string, destination: string) => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
  if (etc.resolvConf) mounts.push(fileBind(etc.resolvConf, '/etc/resolv.conf'));
  if (etc.hostname) mounts.push(fileBind(etc.hostname, '/etc/hostname'));
  if (etc.hosts) mounts.push(fileBind(etc.hosts, '/etc/hosts'));
  for (const t of input.tmpfs ?? []) mounts.push({ destination: t.destination, type: 'tmpfs', source: 'tmpfs', options: t.options });
  for (const b of input.binds ?? []) {
    const opts = ['rbind', b.propagation ?? 'rprivate'];
    if (b.readonly) opts.push('ro');
    mounts.push({ destination: b.destination, type: 'bind', source: b.source, options: opts });
  }
  const namespaces: { type: string }[] = [{ type: 'mount' }];
  if (input.network !== 'host') namespaces.push({ type: 'network' });
  for (const type of ['uts', 'pid', 'ipc'] as const) if (!input.hostNamespaces?.includes(type)) namespaces.push({ type });
  if (input.cgroupNamespace) namespaces.push({ type: 'cgroup' });

  const dev = (allow: boolean, type: string | undefined, major: number | undefined, minor: number | undefined) => ({
    allow,
    ...(type ? { type } : {}),
    ...(major !== undefined ? { major } : {}),
    ...(minor !== undefined ? { minor } : {}),
    access: 'rwm',
  });
  const deviceRules = input.privileged
    ? [{ allow: true, access: 'rwm' }]
    : [
        dev(false, undefined, undefined, undefined),
        dev(true, 'c', 1, 5),
        dev(true, 'c', 1, 3),
        dev(true, 'c', 1, 9),
        dev(true, 'c', 1, 8),
        dev(true, 'c', 5, 0),
        dev(true, 'c', 5, 1),
        dev(false, 'c', 10, 229),
        // /dev/pts/* and /dev/ptmx, for consoles opened inside the container
        dev(true, 'c', 136, undefined),
        dev(true, 'c', 5, 2),
        ...(input.deviceRules ?? []).map((r) => ({ allow: true, ...r })),
      ];
  const unmasked = input.privileged || input.unmaskedPaths;
  const linux: Record<string, unknown> = {
    resources: { devices: deviceRules, ...(input.resources ?? {}) },
    cgroupsPath: input.cgroupsPath,
    namespaces,
    maskedPaths: unmasked ? [] : [...MASKED_PATHS, ...thermalMasks()],
    readonlyPaths: unmasked ? [] : READONLY_PATHS,
  };
  if (input.devices?.length) linux.devices = input.devices;
  if (input.sysctl && Object.keys(input.sysctl).length) linux.sysctl = input.sysctl;
  const spec: Record<string, unknown> = {
    ociVersion: '1.0.2',
    process: processSpec(input.process, input.capabilities),
    root: { path: input.rootfs, readonly: Boolean(input.readonlyRootfs) },
    // A hostname needs a UTS namespace of its own.
    ...(input.hostNamespaces?.includes('uts') ? {} : { hostname: input.hostname }),
    mounts,
    linux,
  };
  if (input.annotations && Object.keys(input.annotations).length) spec.annotations = input.annotations;
  return spec;
}
