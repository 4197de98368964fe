/**
 * What `info` reports, as Docker's system.Info: the store, its snapshotter, the OCI runtime and
 * cgroup layout of this host, and object counts.
 */
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { EngineCore } from './engine.js';
import { containerCounts } from './containers.js';
import { chooseSnapshotter, hostInfo, runtimeVersion } from '../runtime/detect.js';

export function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    /* unknown */
  }
  return 'Linux';
}

/** Docker's name of this machine's architecture (uname -m). */
export function machineArch(): string {
  const a = arch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}

export interface SystemInfo {
  counts: { total: number; running: number; paused: number; stopped: number };
  images: number;
  snapshots: number;
  snapshotter: string;
  snapshotsDir: string;
  root: string;
  cgroupMode: string;
  cgroupVersion: string;
  cgroupDriver: string;
  runtimes: string[];
  defaultRuntime: string;
  runtimeVersion: string;
  kernelVersion: string;
  operatingSystem: string;
  architecture: string;
  ncpu: number;
  memTotal: number;
  name: string;
  warnings: string[];
}

export function systemInfo(engine: EngineCore): SystemInfo {
  const store = engine.store;
  const counts = containerCounts(engine);
  const images = store.db.prepare('SELECT count(*) FROM images').pluck().get() as number;
  const snapshots = store.db.prepare('SELECT count(*) FROM snapshots').pluck().get() as number;
  const host = hostInfo();
  const rt = host.runtime;
  const warnings: string[] = [];
  if (!rt) {
    warnings.push(
      host.runtimesFound.includes('crun')
        ? `WARNING: no usable OCI runtime: crun needs a unified cgroup v2 hierarchy (this host's is ${host.cgroupMode}); install runc`
        : 'WARNING: no OCI runtime found: install runc',
    );
  }
  return {
    counts,
    images,
    snapshots,
    snapshotter: chooseSnapshotter(store.paths.snapshots),
    snapshotsDir: store.paths.snapshots,
    root: store.paths.root,
    cgroupMode: host.cgroupMode,
    cgroupVersion: host.cgroupVersion,
    cgroupDriver: host.cgroupMode === 'none' ? 'none' : 'cgroupfs',
    runtimes: host.runtimesFound,
    defaultRuntime: rt?.name ?? '',
    runtimeVersion: rt ? runtimeVersion(rt) : '',
    kernelVersion: release(),
    operatingSystem: osName(),
    architecture: machineArch(),
    ncpu: cpus().length,
    memTotal: totalmem(),
    name: hostname(),
    warnings,
  };
}
