/**
 * A container's privileges and limits (Docker's --privileged, --cap-add/--cap-drop,
 * --security-opt, --ulimit, --shm-size, --memory, --cpus, --pids-limit, --add-host, --sysctl):
 * checked as Docker's daemon checks them, kept in the container's HostConfig, and turned into
 * the runtime spec's settings at each start and exec.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { invalidArgument } from '../image/errors.js';
import { containerCapabilities, normalizeCapabilities } from '../runtime/capabilities.js';
import { DEFAULT_CAPABILITIES, SHM_SIZE, type Resources, type Rlimit } from '../runtime/spec.js';
import type { HostConfigRecord } from '../runtime/container-store.js';
import { devicesAt, type HostDevice } from '../runtime/host-devices.js';

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface LimitOptions {
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  securityOpt?: string[];
  ulimits?: Ulimit[];
  /** Bytes; 0 or unset for Docker's 64 MiB. */
  shmSize?: number;
  memory?: number;
  /** Memory plus swap; -1 for unlimited swap. */
  memorySwap?: number;
  memoryReservation?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
  /** host:ip (or host=ip) lines for /etc/hosts. */
  extraHosts?: string[];
  sysctls?: Record<string, string>;
  /** --device host[:container[:rwm]], parsed. */
  devices?: DeviceMapping[];
  /** --pid, --ipc, --uts: '' for the container's own namespace, host for the host's. */
  pidMode?: string;
  ipcMode?: string;
  utsMode?: string;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** The HostConfig fields these options set. */
export type LimitRecord = Pick<
  HostConfigRecord,
  | 'Privileged'
  | 'CapAdd'
  | 'CapDrop'
  | 'SecurityOpt'
  | 'Ulimits'
  | 'ShmSize'
  | 'Memory'
  | 'MemorySwap'
  | 'MemoryReservation'
  | 'NanoCpus'
  | 'CpuShares'
  | 'CpusetCpus'
  | 'PidsLimit'
  | 'ExtraHosts'
  | 'Sysctls'
  | 'Devices'
  | 'PidMode'
  | 'IpcMode'
  | 'UTSMode'
>;

/** The resource names --ulimit takes (setrlimit's, without RLIMIT_, in lower case). */
export const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** Docker's parseSecurityOpt: what berth can honour is kept, anything else refused. */
function checkSecurityOpts(opts: readonly string[]): void {
  for (const opt of opts) {
    if (opt === 'no-new-privileges') continue;
    const m = /^([^=:]+)[=:](.*)$/s.exec(opt);
    if (!m) throw invalidArgument(`invalid --security-opt 1: "${opt}"`);
    const [, key, value] = m as unknown as [string, string, string];
    switch (key) {
      case 'no-new-privileges':
        if (!/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(value)) throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
        continue;
      case 'seccomp':
      case 'apparmor':
        // berth applies neither a seccomp filter nor an AppArmor profile: unconfined is what it gives.
        if (value !== 'unconfined') throw invalidArgument(`${key} profiles are not supported by berth (only ${key}=unconfined): --security-opt ${opt}`);
        continue;
      case 'label':
        if (value !== 'disable') throw invalidArgument(`SELinux labels are not supported by berth (only label=disable): --security-opt ${opt}`);
        continue;
      case 'systempaths':
        if (value !== 'unconfined') throw invalidArgument(`invalid --security-opt systempaths=${value}: only "unconfined" is supported`);
        continue;
      default:
        throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
    }
  }
}

function securityOpt(opts: readonly string[] | null | undefined, key: string): string | undefined {
  for (const o of opts ?? []) {
    if (o === key) return 'true';
    if (o.startsWith(`${key}=`) || o.startsWith(`${key}:`)) return o.slice(key.length + 1);
  }
  return undefined;
}

/** Checks the options as Docker's daemon does and returns what the HostConfig records. */
export function limitRecord(o: LimitOptions): LimitRecord {
  const capAdd = normalizeCapabilities(o.capAdd ?? [], 'CapAdd');
  const capDrop = normalizeCapabilities(o.capDrop ?? [], 'CapDrop');
  checkSecurityOpts(o.securityOpt ?? []);
  for (const u of o.ulimits ?? []) {
    if (!ULIMITS.has(u.Name)) throw invalidArgument(`invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
  if ((o.shmSize ?? 0) < 0) throw invalidArgument('SHM size can not be less than 0');
  const memory = o.memory ?? 0;
  if (memory > 0 && memory < 6 * 1024 * 1024) throw invalidArgument('Minimum memory limit allowed is 6MB');
  let swap = o.memorySwap ?? 0;
  if (swap > 0 && memory === 0) throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (swap > 0 && swap < memory) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  // As Docker on Linux: a memory limit without a swap limit allows as much swap again.
  if (memory > 0 && swap === 0) swap = memory * 2;
  const reservation = o.memoryReservation ?? 0;
  if (reservation > 0 && memory > 0 && reservation > memory) throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  const nano = o.nanoCpus ?? 0;
  const cpus = availableParallelism();
  if (nano < 0 || (nano > 0 && nano < 1e7) || nano > cpus * 1e9) {
    throw invalidArgument(`Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  }
  for (const d of o.devices ?? []) {
    if (!devicesAt(d.PathOnHost, d.PathInContainer)) {
      throw invalidArgument(`error gathering device information while adding custom device "${d.PathOnHost}": no such file or directory`);
    }
  }
  const joined = [o.pidMode, o.ipcMode, o.utsMode].find((m) => m?.startsWith('container:'));
  if (joined) throw invalidArgument(`joining another container's namespaces is not supported by berth: ${joined}`);
  if (o.ipcMode && !['none', 'private', 'shareable', 'host'].includes(o.ipcMode)) throw invalidArgument(`Invalid IPC mode: ${o.ipcMode}`);
  if (o.pidMode && o.pidMode !== 'host') throw invalidArgument(`invalid PID mode: ${o.pidMode}`);
  if (o.utsMode && o.utsMode !== 'host') throw invalidArgument(`invalid UTS mode: ${o.utsMode}`);
  if (o.cpusetCpus && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(o.cpusetCpus)) throw invalidArgument(`Invalid value ${o.cpusetCpus} for cpuset cpus`);
  return {
    Privileged: Boolean(o.privileged),
    CapAdd: capAdd.length ? capAdd : null,
    CapDrop: capDrop.length ? capDrop : null,
    SecurityOpt: o.securityOpt?.length ? [...o.securityOpt] : null,
    Ulimits: o.ulimits?.length ? o.ulimits.map((u) => ({ Name: u.Name, Hard: u.Hard, Soft: u.Soft })) : [],
    ShmSize: o.shmSize && o.shmSize > 0 ? o.shmSize : SHM_SIZE,
    Memory: memory,
    MemorySwap: swap,
    MemoryReservation: reservation,
    NanoCpus: nano,
    CpuShares: o.cpuShares ?? 0,
    CpusetCpus: o.cpusetCpus ?? '',
    PidsLimit: o.pidsLimit !== undefined && o.pidsLimit !== 0 ? o.pidsLimit : null,
    ExtraHosts: o.extraHosts?.length ? [...o.extraHosts] : null,
    ...(o.sysctls && Object.keys(o.sysctls).length ? { Sysctls: { ...o.sysctls } } : {}),
    Devices: (o.devices ?? []).map((d) => ({ ...d })),
    PidMode: o.pidMode ?? '',
    IpcMode: o.ipcMode || 'private',
    UTSMode: o.utsMode ?? '',
  };
}

/** What a process of the container runs with: its capabilities, rlimits and no_new_privs. */
export function processLimits(hc: HostConfigRecord): { capabilities: string[]; rlimits: Rlimit[]; noNewPrivileges: boolean } {
  const add = normalizeCapabilities(hc.CapAdd ?? [], 'CapAdd');
  const drop = normalizeCapabilities(hc.CapDrop ?? [], 'CapDrop');
  const nnp = securityOpt(hc.SecurityOpt, 'no-new-privileges');
  return {
    capabilities: containerCapabilities(DEFAULT_CAPABILITIES, add, drop, Boolean(hc.Privileged)),
    rlimits: (hc.Ulimits ?? []).map((u) => ({ type: `RLIMIT_${u.Name.toUpperCase()}`, soft: u.Soft, hard: u.Hard })),
    noNewPrivileges: nnp !== undefined && /^(1|t|true)$/i.test(nnp),
  };
}

/**
 * Whether the kernel accounts swap per cgroup. Without, Docker only warns and leaves swap
 * unlimited; asking the runtime for a limit would fail the start.
 */
function swapLimitSupported(): boolean {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return true;
  return existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
}

/** The cgroup resources of the spec. */
export function specResources(hc: HostConfigRecord): Resources {
  const r: Resources = {};
  const memory = hc.Memory ?? 0;
  if (memory > 0 || (hc.MemoryReservation ?? 0) > 0) {
    r.memory = {};
    if (memory > 0) r.memory.limit = memory;
    if (memory > 0 && hc.MemorySwap && swapLimitSupported()) r.memory.swap = hc.MemorySwap;
    if ((hc.MemoryReservation ?? 0) > 0) r.memory.reservation = hc.MemoryReservation;
  }
  const nano = hc.NanoCpus ?? 0;
  if (nano > 0 || (hc.CpuShares ?? 0) > 0 || hc.CpusetCpus) {
    r.cpu = {};
    if (nano > 0) {
      r.cpu.period = 100000;
      r.cpu.quota = Math.round((nano * 100000) / 1e9);
    }
    if ((hc.CpuShares ?? 0) > 0) r.cpu.shares = hc.CpuShares;
    if (hc.CpusetCpus) r.cpu.cpus = hc.CpusetCpus;
  }
  if (hc.PidsLimit !== null && hc.PidsLimit !== undefined && hc.PidsLimit !== 0) r.pids = { limit: hc.PidsLimit };
  return r;
}

/** The nodes and cgroup rules of --device (a device gone since create fails the start, as with Docker). */
export function specDevices(hc: HostConfigRecord): { nodes: HostDevice[]; rules: { type: 'c' | 'b'; major: number; minor: number; access: string }[] } {
  const nodes: HostDevice[] = [];
  const rules: { type: 'c' | 'b'; major: number; minor: number; access: string }[] = [];
  for (const d of hc.Devices ?? []) {
    const found = devicesAt(d.PathOnHost, d.PathInContainer);
    if (!found) throw invalidArgument(`error gathering device information while adding custom device "${d.PathOnHost}": no such file or directory`);
    for (const n of found) {
      nodes.push(n);
      rules.push({ type: n.type, major: n.major, minor: n.minor, access: d.CgroupPermissions });
    }
  }
  return { nodes, rules };
}

/** Whether /proc and /sys are left unmasked (--security-opt systempaths=unconfined). */
export function unmaskedPaths(hc: HostConfigRecord): boolean {
  return securityOpt(hc.SecurityOpt, 'systempaths') === 'unconfined';
}

/** /etc/hosts lines for --add-host (host-gateway is the host itself: containers share its network). */
export function extraHostLines(hc: HostConfigRecord): string {
  let out = '';
  for (const h of hc.ExtraHosts ?? []) {
    const m = /^([^:=]+)[:=](.*)$/.exec(h);
    if (!m) continue;
    const ip = m[2] === 'host-gateway' ? '127.0.0.1' : m[2]!.replace(/^\[(.*)\]$/, '$1');
    out += `${ip}\t${m[1]}\n`;
  }
  return out;
}
