/**
 * The host's device nodes, for privileged containers: Docker gives them every character and
 * block device under /dev (not the pseudo-terminals, shared memory or message queues, which
 * the container has its own of).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceNode } from './spec.js';

/** A device node as the runtime spec lists it. */
export type HostDevice = DeviceNode;

const SKIP = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** glibc's major() and minor() of a dev_t. */
function majorMinor(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

export function hostDevices(dir = '/dev'): HostDevice[] {
  const out: HostDevice[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    let st;
    try {
      st = lstatSync(path, { bigint: true });
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (!SKIP.has(name)) out.push(...hostDevices(path));
      continue;
    }
    if (name === 'console' && dir === '/dev') continue;
    const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
    if (!type) continue;
    out.push({ path, type, ...majorMinor(st.rdev), fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) });
  }
  return out;
}

/**
 * The device nodes of --device PATH (a device, or a directory of them), as seen at `inContainer`.
 * Undefined when the path does not exist or holds no device.
 */
export function devicesAt(path: string, inContainer: string): HostDevice[] | undefined {
  let st;
  try {
    st = lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  if (st.isDirectory()) {
    const found = hostDevices(path).map((d) => ({ ...d, path: inContainer + d.path.slice(path.replace(/\/+$/, '').length) }));
    return found.length ? found : undefined;
  }
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  return [{ path: inContainer, type, ...majorMinor(st.rdev), fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) }];
}
