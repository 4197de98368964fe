/**
 * Linux capabilities as Docker's --cap-add, --cap-drop and --privileged set them: names with or
 * without the CAP_ prefix, in any case, ALL for every capability the kernel knows.
 */
import { readFileSync } from 'node:fs';
import { invalidArgument } from '../image/errors.js';

/** Capability names by number, as the kernel's uapi header numbers them. */
const NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

let all: string[] | undefined;

/**
 * Every capability this process may give (its bounding set, which is also capped by the kernel's
 * cap_last_cap): in a sandbox that withholds some, asking the runtime for them would fail.
 */
export function allCapabilities(): string[] {
  if (!all) {
    let bounding = (1n << BigInt(NAMES.length)) - 1n;
    try {
      const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) bounding = BigInt(`0x${m[1]}`);
    } catch {
      /* assume all known */
    }
    all = NAMES.filter((_, i) => (bounding >> BigInt(i)) & 1n);
  }
  return all;
}

/** CAP_X for x, X, cap_x or CAP_X, and ALL for all, sorted and once each; unknown names are refused as Docker refuses them. */
export function normalizeCapabilities(list: readonly string[], what: 'CapAdd' | 'CapDrop'): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const c = raw.trim().toUpperCase();
    if (c === '') continue;
    if (c === 'ALL') {
      if (!out.includes('ALL')) out.push('ALL');
      continue;
    }
    const name = c.startsWith('CAP_') ? c : `CAP_${c}`;
    if (!NAMES.includes(name)) throw invalidArgument(`invalid ${what}: unknown capability: "${name}"`);
    if (!out.includes(name)) out.push(name);
  }
  return out.sort();
}

/**
 * The capability set of a container: the defaults with --cap-drop removed and --cap-add added;
 * ALL in --cap-add means every capability but those dropped, ALL in --cap-drop only those added.
 */
export function containerCapabilities(basics: readonly string[], add: readonly string[], drop: readonly string[], privileged: boolean): string[] {
  if (privileged) return [...allCapabilities()];
  const known = allCapabilities();
  let caps: string[];
  if (add.includes('ALL')) caps = known.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = add.filter((c) => c !== 'ALL');
  else caps = [...basics.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps)];
}
