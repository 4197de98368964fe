/** `inspect` of a container: Docker's container.InspectResponse, field for field. */
import type { EngineCore } from './engine.js';
import { parseSpec, isRunning, type ContainerRow } from '../runtime/container-store.js';
import { containerFs, containerPaths } from '../runtime/container-files.js';
import { getContainer } from './containers.js';
import { hostInfo } from '../runtime/detect.js';
import { MASKED_PATHS, READONLY_PATHS, SHM_SIZE } from '../runtime/spec.js';
import { unmaskedPaths } from './container-limits.js';
import { goContainerConfig } from '../transport/v1-id.js';
import { parseRfc3339, rfc3339Nano, ZERO_TIME } from '../runtime/time.js';
import { stateString } from './container-list.js';
import { join } from 'node:path';

function goTime(s: string): string {
  if (!s) return ZERO_TIME;
  const ns = parseRfc3339(s);
  return ns === undefined ? s : rfc3339Nano(ns);
}

export type ContainerInspect = Record<string, unknown> & { Id: string };

export function inspectContainer(engine: EngineCore, input: string, opts: { size?: boolean } = {}): ContainerInspect {
  const row = getContainer(engine, input);
  return inspectRow(engine, row, opts);
}

export function inspectRow(engine: EngineCore, row: ContainerRow, opts: { size?: boolean } = {}): ContainerInspect {
  const store = engine.store;
  const spec = parseSpec(row);
  const paths = containerPaths(store, row.id);
  const fs = containerFs(store, row);
  const running = isRunning(row);
  const status = stateString(row);
  const host = hostInfo();
  const hc = spec.HostConfig;
  const hostConfig: Record<string, unknown> = {
    Binds: hc.Binds,
    ContainerIDFile: '',
    LogConfig: { Type: 'json-file', Config: {} },
    NetworkMode: hc.NetworkMode,
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: hc.AutoRemove,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: hc.ConsoleSize,
    CapAdd: hc.CapAdd ?? null,
    CapDrop: hc.CapDrop ?? null,
    CgroupnsMode: host.cgroupMode === 'unified' ? 'private' : 'host',
    Dns: hc.Dns,
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: hc.ExtraHosts,
    GroupAdd: hc.GroupAdd,
    IpcMode: hc.IpcMode ?? 'private',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: hc.PidMode ?? '',
    Privileged: Boolean(hc.Privileged),
    PublishAllPorts: false,
    ReadonlyRootfs: hc.ReadonlyRootfs,
    SecurityOpt: hc.SecurityOpt ?? null,
    ...(hc.Tmpfs ? { Tmpfs: hc.Tmpfs } : {}),
    UTSMode: hc.UTSMode ?? '',
    UsernsMode: '',
    ShmSize: hc.ShmSize ?? SHM_SIZE,
    ...(hc.Sysctls ? { Sysctls: hc.Sysctls } : {}),
    Runtime: host.runtime?.name ?? 'runc',
    Isolation: '',
    CpuShares: hc.CpuShares ?? 0,
    Memory: hc.Memory ?? 0,
    NanoCpus: hc.NanoCpus ?? 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: hc.CpusetCpus ?? '',
    CpusetMems: '',
    Devices: hc.Devices ?? [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: hc.MemoryReservation ?? 0,
    MemorySwap: hc.MemorySwap ?? 0,
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: hc.PidsLimit ?? null,
    Ulimits: hc.Ulimits ?? [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    ...(hc.Mounts ? { Mounts: hc.Mounts } : {}),
    // Docker records no defaults for a privileged container, and none are applied with systempaths=unconfined.
    MaskedPaths: hc.Privileged ? null : unmaskedPaths(hc) ? [] : MASKED_PATHS,
    ReadonlyPaths: hc.Privileged ? null : unmaskedPaths(hc) ? [] : READONLY_PATHS,
  };
  const graph =
    row.snapshotter === 'overlay'
      ? {
          Data: {
            LowerDir: [fs.init, ...[...spec.Snapshots].reverse().map((n) => join(store.paths.snapshots, n))].join(':'),
            MergedDir: fs.rootfs,
            UpperDir: fs.upper,
            WorkDir: fs.work,
          },
          Name: 'overlay',
        }
      : { Data: { MergedDir: fs.rootfs }, Name: 'copy' };
  const out: ContainerInspect = {
    Id: row.id,
    Created: goTime(row.created),
    Path: spec.Path,
    Args: spec.Args,
    State: {
      Status: status,
      Running: running,
      Paused: status === 'paused',
      Restarting: false,
      OOMKilled: false,
      Dead: status === 'dead',
      Pid: running ? row.pid : 0,
      ExitCode: row.exit_code,
      Error: row.error,
      StartedAt: goTime(row.started),
      FinishedAt: goTime(row.finished),
    },
    Image: row.image_id,
    ResolvConfPath: join(paths.dir, 'resolv.conf'),
    HostnamePath: join(paths.dir, 'hostname'),
    HostsPath: join(paths.dir, 'hosts'),
    LogPath: paths.log,
    Name: row.name,
    RestartCount: 0,
    Driver: row.snapshotter,
    Platform: spec.Platform,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: hostConfig,
    GraphDriver: graph,
  };
  if (opts.size) {
    let rw: number;
    try {
      rw = fs.sizeRw();
    } catch {
      rw = 0;
    }
    out.SizeRw = rw;
    out.SizeRootFs = (store.meta.image(row.image_id)?.size ?? 0) + rw;
  }
  out.Mounts = spec.MountPoints;
  out.Config = goContainerConfig(spec.Config);
  out.NetworkSettings = {
    Bridge: '',
    SandboxID: '',
    SandboxKey: '',
    Ports: {},
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: {
      [hc.NetworkMode]: {
        IPAMConfig: null,
        Links: null,
        Aliases: null,
        MacAddress: '',
        DriverOpts: null,
        GwPriority: 0,
        NetworkID: '',
        EndpointID: '',
        Gateway: '',
        IPAddress: '',
        IPPrefixLen: 0,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        DNSNames: null,
      },
    },
  };
  return out;
}
