import { release } from 'node:os';
import { createHash } from 'node:crypto';
import type { EngineCore } from '../engine/engine.js';
import { systemInfo, machineArch } from '../engine/system-info.js';
import { berthVersion } from '../engine/berth-version.js';
import { API_VERSION, MIN_API_VERSION, versionLess } from './version.js';

/** GOARCH naming, as /version reports it. */
export function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
}

/** GET /version: berth's engine and the OCI runtime it drives, with the API versions served. */
export function versionResponse(engine: EngineCore): Record<string, unknown> {
  const info = systemInfo(engine);
  const v = berthVersion();
  const components: Record<string, unknown>[] = [
    {
      Name: 'Engine',
      Version: v,
      Details: {
        ApiVersion: API_VERSION,
        Arch: goArch(),
        BuildTime: '',
        Experimental: 'false',
        GitCommit: '',
        GoVersion: `node${process.versions.node}`,
        KernelVersion: release(),
        MinAPIVersion: MIN_API_VERSION,
        Os: 'linux',
      },
    },
  ];
  if (info.defaultRuntime) components.push({ Name: info.defaultRuntime, Version: info.runtimeVersion, Details: { GitCommit: '' } });
  return {
    Platform: { Name: 'berth' },
    Components: components,
    Version: v,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: release(),
    BuildTime: '',
  };
}

/** GET /info: Docker's system.Info fields, filled from the store and this host. */
export function infoResponse(engine: EngineCore, apiVersion: string): Record<string, unknown> {
  const i = systemInfo(engine);
  const runtimes: Record<string, unknown> = {};
  for (const r of i.runtimes) runtimes[r] = versionLess(apiVersion, '1.44') ? { path: r } : { path: r, status: {} };
  const out: Record<string, unknown> = {
    ID: createHash('sha256').update(i.root).digest('hex').slice(0, 36).toUpperCase().replace(/(.{4})(?=.)/g, '$1:'),
    Containers: i.counts.total,
    ContainersRunning: i.counts.running,
    ContainersPaused: i.counts.paused,
    ContainersStopped: i.counts.stopped,
    Images: i.images,
    Driver: i.snapshotter,
    DriverStatus: [
      ['Snapshots', String(i.snapshots)],
      ['Snapshots Dir', i.snapshotsDir],
    ],
    Plugins: { Volume: null, Network: ['host', 'none'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: false,
    SwapLimit: false,
    CpuCfsPeriod: false,
    CpuCfsQuota: false,
    CPUShares: false,
    CPUSet: false,
    PidsLimit: false,
    IPv4Forwarding: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: i.cgroupDriver,
    CgroupVersion: i.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: i.kernelVersion,
    OperatingSystem: i.operatingSystem,
    OSVersion: '',
    OSType: 'linux',
    Architecture: i.architecture || machineArch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'], Mirrors: null },
    NCPU: i.ncpu,
    MemTotal: i.memTotal,
    GenericResources: null,
    DockerRootDir: i.root,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: i.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: berthVersion(),
    Runtimes: runtimes,
    DefaultRuntime: i.defaultRuntime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: i.runtimeVersion },
    InitCommit: { ID: '' },
    SecurityOptions: [],
    CDISpecDirs: [],
    Warnings: i.warnings.length ? i.warnings : null,
  };
  if (versionLess(apiVersion, '1.49')) {
    for (const k of ['ContainerdCommit', 'RuncCommit', 'InitCommit']) {
      const c = out[k] as { ID: string; Expected?: string };
      c.Expected = c.ID;
    }
  }
  if (versionLess(apiVersion, '1.50')) {
    out.BridgeNfIptables = false;
    out.BridgeNfIp6tables = false;
  }
  return out;
}
