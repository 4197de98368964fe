import { cpus, hostname, release, totalmem, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import type { CliContext } from '../context.js';
import { INSPECT_FORMAT_HELP, parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { bytesSize, goStruct, parseDockerFormat } from '../format/index.js';
import { containerCounts } from '../../engine/containers.js';
import { chooseSnapshotter, hostInfo, runtimeVersion } from '../../runtime/detect.js';
import { berthVersion } from '../../engine/berth-version.js';

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    /* unknown */
  }
  return 'Linux';
}

/** `berth info`: the store, its snapshotter, the OCI runtime and cgroup layout, and counts. */
export default async function info(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ format?: string }>(
    {
      name: 'info',
      usage: 'berth info [OPTIONS]',
      description: 'Display system-wide information',
      args: { min: 0, max: 0 },
      options: (c) => c.option('-f, --format <string>', INSPECT_FORMAT_HELP),
    },
    argv,
  );
  const engine = ctx.engine();
  const store = engine.store;
  const counts = containerCounts(engine);
  const images = store.db.prepare('SELECT count(*) FROM images').pluck().get() as number;
  const snapshots = store.db.prepare('SELECT count(*) FROM snapshots').pluck().get() as number;
  const host = hostInfo();
  const snapshotter = chooseSnapshotter(store.paths.snapshots);
  const rt = host.runtime;
  const data = {
    ID: '',
    Containers: counts.total,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: images,
    Driver: snapshotter,
    DriverStatus: [
      ['Snapshots', String(snapshots)],
      ['Snapshots Dir', store.paths.snapshots],
    ],
    LoggingDriver: 'json-file',
    CgroupDriver: host.cgroupMode === 'none' ? 'none' : 'cgroupfs',
    CgroupVersion: host.cgroupVersion,
    CgroupMode: host.cgroupMode,
    KernelVersion: release(),
    OperatingSystem: osName(),
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    DockerRootDir: store.paths.root,
    Name: hostname(),
    ServerVersion: berthVersion(),
    Runtimes: Object.fromEntries(host.runtimesFound.map((n) => [n, { path: n }])),
    DefaultRuntime: rt?.name ?? '',
    RuntimeVersion: rt ? runtimeVersion(rt) : '',
    Warnings: null as string[] | null,
  };
  if (!rt) {
    data.Warnings = [
      host.runtimesFound.includes('crun')
        ? `WARNING: no usable OCI runtime: crun needs a unified cgroup v2 hierarchy (this host's is ${host.cgroupMode}); install runc`
        : 'WARNING: no OCI runtime found: install runc',
    ];
  }
  if (opts.format) {
    const f = opts.format === 'json' ? '{{json .}}' : opts.format;
    try {
      ctx.out.line(parseDockerFormat(f).execute(goStruct({ ...data }, 'system.dockerInfo')));
    } catch (err) {
      const m = (err as Error).message;
      throw new CliError(m.startsWith('template: ') ? m : `template: ${m}`);
    }
    return 0;
  }
  const lines = [
    'Client:',
    ` Version:    ${berthVersion()}`,
    ' Context:    default',
    '',
    'Server:',
    ` Containers: ${data.Containers}`,
    `  Running: ${data.ContainersRunning}`,
    `  Paused: ${data.ContainersPaused}`,
    `  Stopped: ${data.ContainersStopped}`,
    ` Images: ${data.Images}`,
    ` Server Version: berth ${data.ServerVersion}`,
    ` Storage Driver: ${snapshotter}`,
    `  Snapshotter: ${snapshotter === 'overlay' ? 'overlay (overlayfs mounts of shared layer snapshots)' : 'copy (full copies of the layers; overlayfs unavailable or BERTH_SNAPSHOTTER=copy)'}`,
    `  Snapshots: ${snapshots}`,
    ` Logging Driver: json-file`,
    ` Cgroup Driver: ${data.CgroupDriver}`,
    ` Cgroup Version: ${data.CgroupVersion} (${host.cgroupMode})`,
    ` Runtimes: ${host.runtimesFound.join(' ') || 'none'}`,
    ` Default Runtime: ${data.DefaultRuntime || 'none'}`,
    ...(rt ? [` ${rt.name} version: ${data.RuntimeVersion}`] : []),
    ` Kernel Version: ${data.KernelVersion}`,
    ` Operating System: ${data.OperatingSystem}`,
    ` OSType: linux`,
    ` Architecture: ${data.Architecture}`,
    ` CPUs: ${data.NCPU}`,
    ` Total Memory: ${bytesSize(data.MemTotal)}`,
    ` Name: ${data.Name}`,
    ` Berth Root Dir: ${data.DockerRootDir}`,
  ];
  ctx.out.line(lines.join('\n'));
  for (const w of data.Warnings ?? []) ctx.out.error(w);
  return 0;
}
