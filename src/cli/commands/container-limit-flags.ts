/**
 * The privilege and limit flags of `run` and `create` (--privileged, --cap-add, --memory, --cpus,
 * --ulimit, ...): their values parsed as the Docker CLI's pflag types parse them, with its words
 * for a bad value.
 */
import { isIP } from 'node:net';
import { collect, type FlagSet } from '../args.js';
import { ULIMITS, type DeviceMapping, type LimitOptions, type Ulimit } from '../../engine/container-limits.js';

export interface LimitFlags {
  addHost?: string[];
  capAdd?: string[];
  capDrop?: string[];
  cpuShares?: string;
  cpus?: string;
  cpusetCpus?: string;
  device?: string[];
  ipc?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pid?: string;
  pidsLimit?: string;
  privileged?: boolean;
  securityOpt?: string[];
  shmSize?: string;
  sysctl?: string[];
  ulimit?: string[];
  uts?: string;
}

export function limitOptions(c: FlagSet): void {
  c.option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect)
    .option('--cap-add <list>', 'Add Linux capabilities', collect)
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect)
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--device <list>', 'Add a host device to the container', collect)
    .option('--ipc <string>', 'IPC mode to use')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    .option('--pid <string>', 'PID namespace to use')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--privileged', 'Give extended privileges to this container')
    .option('--security-opt <list>', 'Security Options', collect)
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('--sysctl <map>', 'Sysctl options (default map[])', collect)
    .option('--ulimit <ulimit>', 'Ulimit options (default [])', collect)
    .option('--uts <string>', 'UTS namespace to use');
}

/** A bad flag value: the caller reports it as pflag does (`invalid argument "v" for "flag" flag: why`). */
export class BadFlagValue extends Error {
  constructor(
    readonly flag: string,
    readonly value: string,
    why: string,
  ) {
    super(`invalid argument "${value}" for "${flag}" flag: ${why}`);
  }
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units' RAMInBytes: 512, 64m, 1.5g, 2GiB (binary multiples, case-insensitive). */
export function ramInBytes(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(v);
  if (!m) throw new BadFlagValue(flag, v, `invalid size: '${v}'`);
  return Math.trunc(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!);
}

function integer(flag: string, v: string): number {
  if (!/^[+-]?\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v))) throw new BadFlagValue(flag, v, `strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** --cpus: a decimal number of CPUs, in billionths. */
function nanoCpus(v: string): number {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(v.trim());
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new BadFlagValue('--cpus', v, `failed to parse ${v} as a rational number`);
  const frac = m[2] ?? '';
  if (frac.replace(/0+$/, '').length > 9) throw new BadFlagValue('--cpus', v, 'value is too precise');
  return Number(m[1] || '0') * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9));
}

/** go-units' ParseUlimit: name=soft[:hard]. */
function ulimit(v: string): Ulimit {
  const eq = v.indexOf('=');
  if (eq < 0) throw new BadFlagValue('--ulimit', v, `invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  if (!ULIMITS.has(name)) throw new BadFlagValue('--ulimit', v, `invalid ulimit type: ${name}`);
  const [softS, hardS, extra] = v.slice(eq + 1).split(':');
  if (extra !== undefined) throw new BadFlagValue('--ulimit', v, `too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string) => {
    if (!/^-?\d+$/.test(s)) throw new BadFlagValue('--ulimit', v, `strconv.ParseInt: parsing "${s}": invalid syntax`);
    return Number(s);
  };
  const soft = num(softS ?? '');
  const hard = hardS === undefined ? soft : num(hardS);
  if (soft > hard) throw new BadFlagValue('--ulimit', v, `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

const NAMESPACED_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** The Docker CLI's ValidateSysctl: only sysctls that a container's namespaces isolate. */
function sysctl(v: string): [string, string] {
  const eq = v.indexOf('=');
  const key = eq < 0 ? '' : v.slice(0, eq);
  if (eq < 0 || !(NAMESPACED_SYSCTLS.has(key) || key.startsWith('fs.mqueue.') || key.startsWith('net.'))) {
    throw new BadFlagValue('--sysctl', v, `sysctl '${v}' is not allowed`);
  }
  return [key, v.slice(eq + 1)];
}

/** The Docker CLI's ValidateExtraHost: host:ip or host=ip, the IP possibly in brackets, or host-gateway. */
function extraHost(v: string): string {
  const m = /^([^:=]+)[:=](.*)$/.exec(v);
  if (!m || m[1]!.trim() === '' || m[2] === '') throw new BadFlagValue('--add-host', v, `bad format for add-host: "${v}"`);
  const ip = m[2]!.replace(/^\[(.*)\]$/, '$1');
  if (ip !== 'host-gateway' && isIP(ip) === 0) throw new BadFlagValue('--add-host', v, `invalid IP address in add-host: "${m[2]}"`);
  return `${m[1]}:${m[2]}`;
}

const isDeviceMode = (m: string) => m !== '' && /^[rwm]+$/.test(m) && new Set(m).size === m.length;

/** A bad value that the Docker CLI reports as a plain error (with the --help hint), not a flag error. */
export class BadValue extends Error {}

/** The Docker CLI's parseDevice: host[:container][:permissions], rwm by default. */
function device(v: string): DeviceMapping {
  const parts = v.split(':');
  if (parts.length > 3 || parts[0] === '') throw new BadValue(`invalid device specification: ${v}`);
  const src = parts[0]!;
  let dst = '';
  let perms = 'rwm';
  if (parts.length === 3) [, dst, perms] = parts as [string, string, string];
  else if (parts.length === 2) {
    if (isDeviceMode(parts[1]!)) perms = parts[1]!;
    else dst = parts[1]!;
  }
  if (dst === '') dst = src;
  if (!isDeviceMode(perms)) throw new BadValue(`bad mode specified: ${perms}`);
  if (!dst.startsWith('/')) throw new BadValue(`bad format for path: ${dst}`);
  return { PathOnHost: src.replace(/(.)\/+$/, '$1'), PathInContainer: dst, CgroupPermissions: perms };
}

/** The engine's options from the flags; throws BadFlagValue for a value pflag would refuse. */
export function parseLimitFlags(f: LimitFlags): LimitOptions {
  const o: LimitOptions = {};
  if (f.privileged) o.privileged = true;
  if (f.capAdd?.length) o.capAdd = f.capAdd;
  if (f.capDrop?.length) o.capDrop = f.capDrop;
  if (f.securityOpt?.length) o.securityOpt = f.securityOpt;
  if (f.ulimit?.length) o.ulimits = f.ulimit.map(ulimit);
  if (f.shmSize !== undefined) o.shmSize = ramInBytes('--shm-size', f.shmSize);
  if (f.memory !== undefined) o.memory = ramInBytes('-m, --memory', f.memory);
  if (f.memorySwap !== undefined) o.memorySwap = f.memorySwap === '-1' ? -1 : ramInBytes('--memory-swap', f.memorySwap);
  if (f.memoryReservation !== undefined) o.memoryReservation = ramInBytes('--memory-reservation', f.memoryReservation);
  if (f.cpus !== undefined) o.nanoCpus = nanoCpus(f.cpus);
  if (f.cpuShares !== undefined) o.cpuShares = integer('-c, --cpu-shares', f.cpuShares);
  if (f.cpusetCpus !== undefined) o.cpusetCpus = f.cpusetCpus;
  if (f.pidsLimit !== undefined) o.pidsLimit = integer('--pids-limit', f.pidsLimit);
  if (f.addHost?.length) o.extraHosts = f.addHost.map(extraHost);
  if (f.sysctl?.length) o.sysctls = Object.fromEntries(f.sysctl.map(sysctl));
  if (f.device?.length) o.devices = f.device.map(device);
  // The Docker CLI checks these two itself (the IPC mode is left to the daemon).
  if (f.pid !== undefined && f.pid !== '' && f.pid !== 'host' && !f.pid.startsWith('container:')) throw new BadValue('--pid: invalid PID mode');
  if (f.uts !== undefined && f.uts !== '' && f.uts !== 'host') throw new BadValue('--uts: invalid UTS mode');
  if (f.pid) o.pidMode = f.pid;
  if (f.ipc) o.ipcMode = f.ipc;
  if (f.uts) o.utsMode = f.uts;
  return o;
}
