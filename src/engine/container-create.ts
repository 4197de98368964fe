/**
 * `create` (and the first half of `run`): a container record from an image and the user's
 * options, merged as Docker's daemon merges them, with the image's layers unpacked into
 * snapshots first (under a lease) so the container only pins what exists.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { isAbsolute, posix } from 'node:path';
import type { EngineCore } from './engine.js';
import { resolveImage } from './resolve.js';
import type { ContainerConfig, ImageConfig } from '../image/types.js';
import { conflict, invalidArgument, BerthError } from '../image/errors.js';
import { Snapshots } from '../runtime/snapshots.js';
import { containerEvent, nowString, type ContainerSpecRecord, type HostConfigRecord, type MountRecord } from '../runtime/container-store.js';
import { randomName } from './container-names.js';
import { containerFs } from '../runtime/container-files.js';
import type { ContainerRow } from '../runtime/container-store.js';
import { limitRecord, type LimitOptions } from './container-limits.js';

export interface MountOption {
  type: string;
  source: string;
  target: string;
  readonly: boolean;
  propagation?: string;
}

export interface ContainerCreateOptions extends LimitOptions {
  /** The image as the user named it. */
  image: string;
  name?: string;
  /** Arguments after the image (the command). */
  cmd?: string[];
  /** `--entrypoint`: undefined keeps the image's, '' clears it; the API gives a list. */
  entrypoint?: string | string[];
  env?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  domainname?: string;
  labels?: Record<string, string>;
  /** `-v` specs. */
  volumes?: string[];
  /** `--mount` specs, parsed. */
  mounts?: MountOption[];
  tty?: boolean;
  openStdin?: boolean;
  stdinOnce?: boolean;
  attachStdin?: boolean;
  attachStdout?: boolean;
  attachStderr?: boolean;
  autoRemove?: boolean;
  network?: string;
  readOnly?: boolean;
  groupAdd?: string[];
  consoleSize?: [number, number];
  stopSignal?: string;
  stopTimeout?: number;
  tmpfs?: string[];
}

export const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function newId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // Docker avoids IDs whose short form reads as a number.
    if (!/^[0-9]+$/.test(id.slice(0, 12))) return id;
  }
}

/** Docker's merge (daemon/commit.go) of the image's config into the user's. */
export function mergeConfig(user: ContainerConfig, image: ContainerConfig | undefined): void {
  if (!image) return;
  if (!user.User) user.User = image.User ?? '';
  if (!user.ExposedPorts || Object.keys(user.ExposedPorts).length === 0) {
    if (image.ExposedPorts) user.ExposedPorts = { ...image.ExposedPorts };
  } else if (image.ExposedPorts) {
    for (const p of Object.keys(image.ExposedPorts)) user.ExposedPorts[p] ??= {};
  }
  if (!user.Env || user.Env.length === 0) user.Env = image.Env ? [...image.Env] : (user.Env ?? null);
  else {
    for (const e of image.Env ?? []) {
      const k = e.split('=', 1)[0];
      if (!user.Env.some((u) => u.split('=', 1)[0] === k)) user.Env.push(e);
    }
  }
  user.Labels ??= {};
  for (const [k, v] of Object.entries(image.Labels ?? {})) if (!(k in user.Labels)) user.Labels[k] = v;
  if (!user.Entrypoint || user.Entrypoint.length === 0) {
    if (!user.Cmd || user.Cmd.length === 0) user.Cmd = image.Cmd ?? null;
    if (user.Entrypoint === null || user.Entrypoint === undefined) user.Entrypoint = image.Entrypoint ?? null;
  }
  if (image.Healthcheck && !user.Healthcheck) user.Healthcheck = image.Healthcheck;
  if (!user.WorkingDir) user.WorkingDir = image.WorkingDir ?? '';
  if (!user.Volumes || Object.keys(user.Volumes).length === 0) user.Volumes = image.Volumes ?? null;
  else for (const [k, v] of Object.entries(image.Volumes ?? {})) user.Volumes[k] = v;
  if (!user.StopSignal && image.StopSignal) user.StopSignal = image.StopSignal;
  if (!user.OnBuild && image.OnBuild) user.OnBuild = image.OnBuild;
}

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** A `-v SRC:DST[:OPTS]` bind (named and anonymous volumes are not supported). */
export function parseVolume(spec: string): MountOption & { mode: string } {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    if (parts.length === 1 && parts[0]!.startsWith('/')) throw invalidArgument(`anonymous volumes are not supported by berth: ${spec}`);
    throw invalidArgument(`invalid volume specification: '${spec}'`);
  }
  const [source, target, mode = ''] = parts as [string, string, string?];
  if (!isAbsolute(source)) throw invalidArgument(`named volumes are not supported by berth (bind-mount an absolute host path): ${spec}`);
  if (!target.startsWith('/')) throw invalidArgument(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${target}' mount path must be absolute`);
  let readonly = false;
  let propagation: string | undefined;
  for (const o of mode.split(',').filter(Boolean)) {
    if (o === 'ro') readonly = true;
    else if (o === 'rw' || o === 'z' || o === 'Z' || o === 'nocopy') continue;
    else if (PROPAGATIONS.has(o)) propagation = o;
    else throw invalidArgument(`invalid mode: ${o}`);
  }
  return { type: 'bind', source: posix.normalize(source), target: posix.normalize(target), readonly, propagation, mode };
}

function imageConfigOf(raw: Buffer): ImageConfig {
  return JSON.parse(raw.toString('utf8')) as ImageConfig;
}

/** The chain IDs of a layer stack, bottom first, from its top. */
export function chainOf(engine: EngineCore, top: string | null): string[] {
  const out: string[] = [];
  for (let c = top; c; ) {
    out.push(c);
    c = engine.store.meta.layer(c)?.parent ?? null;
  }
  return out.reverse();
}

export async function createContainer(engine: EngineCore, opts: ContainerCreateOptions): Promise<{ id: string; warnings: string[] }> {
  const store = engine.store;
  if (opts.name !== undefined && opts.name !== '' && !VALID_NAME.test(opts.name)) {
    throw invalidArgument(`Invalid container name (${opts.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  const network = opts.network === undefined || opts.network === '' || opts.network === 'default' || opts.network === 'bridge' ? 'host' : opts.network;
  if (network !== 'host' && network !== 'none') throw invalidArgument(`network ${network} not found`);
  const limits = limitRecord(opts);
  if (opts.utsMode === 'host' && opts.hostname) throw invalidArgument('conflicting options: hostname and the UTS mode');
  if (limits.Sysctls && network === 'host') {
    const net = Object.keys(limits.Sysctls).find((k) => k.startsWith('net.'));
    if (net) throw invalidArgument(`sysctl "${net}" not allowed in host network namespace`);
  }
  const img = resolveImage(store, opts.image);
  const imgConfig = imageConfigOf(await store.content.readBuffer(img.id));
  const id = newId();

  const config: ContainerConfig & { Image: string } = {
    Hostname: opts.hostname || (network === 'host' || opts.utsMode === 'host' ? osHostname() : id.slice(0, 12)),
    Domainname: opts.domainname ?? '',
    User: opts.user ?? '',
    AttachStdin: Boolean(opts.attachStdin),
    AttachStdout: Boolean(opts.attachStdout),
    AttachStderr: Boolean(opts.attachStderr),
    Tty: Boolean(opts.tty),
    OpenStdin: Boolean(opts.openStdin),
    StdinOnce: Boolean(opts.stdinOnce),
    Env: opts.env && opts.env.length ? [...opts.env] : null,
    Cmd: opts.cmd && opts.cmd.length ? [...opts.cmd] : null,
    Image: opts.image,
    Volumes: null,
    WorkingDir: opts.workdir ?? '',
    Entrypoint: opts.entrypoint === undefined ? null : Array.isArray(opts.entrypoint) ? [...opts.entrypoint] : [opts.entrypoint],
    OnBuild: null,
    Labels: { ...(opts.labels ?? {}) },
  };
  if (opts.stopSignal) config.StopSignal = opts.stopSignal;
  if (opts.stopTimeout !== undefined) config.StopTimeout = opts.stopTimeout;
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) {
    throw invalidArgument(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  mergeConfig(config, imgConfig.config);
  if (config.Entrypoint && config.Entrypoint.length === 1 && config.Entrypoint[0] === '') config.Entrypoint = null;
  const entry = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (entry.length === 0) throw invalidArgument('no command specified');

  // Binds: -v creates a missing host directory; --mount requires it to exist.
  const binds: MountOption[] = [];
  const mountPoints: MountRecord[] = [];
  for (const v of opts.volumes ?? []) {
    const b = parseVolume(v);
    if (!existsSync(b.source)) mkdirSync(b.source, { recursive: true, mode: 0o755 });
    binds.push(b);
    mountPoints.push({ Type: 'bind', Source: b.source, Destination: b.target, Mode: b.mode, RW: !b.readonly, Propagation: b.propagation ?? 'rprivate' });
  }
  for (const m of opts.mounts ?? []) {
    if (m.type === 'bind') {
      if (!existsSync(m.source)) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
      binds.push(m);
      mountPoints.push({ Type: 'bind', Source: m.source, Destination: m.target, Mode: '', RW: !m.readonly, Propagation: m.propagation ?? 'rprivate' });
    } else if (m.type === 'tmpfs') {
      mountPoints.push({ Type: 'tmpfs', Source: '', Destination: m.target, Mode: '', RW: !m.readonly, Propagation: '' });
    } else {
      throw invalidArgument(`mount type ${m.type} is not supported by berth (bind and tmpfs are)`);
    }
  }
  const seen = new Set<string>();
  for (const m of mountPoints) {
    if (seen.has(m.Destination)) throw invalidArgument(`Duplicate mount point: ${m.Destination}`);
    seen.add(m.Destination);
  }
  const tmpfs: Record<string, string> = {};
  for (const t of opts.tmpfs ?? []) {
    const [dest, o = ''] = t.split(/:(.*)/s, 2) as [string, string?];
    tmpfs[dest] = o;
  }
  for (const m of opts.mounts ?? []) if (m.type === 'tmpfs') tmpfs[m.target] = m.readonly ? 'ro' : '';

  const hostConfig: HostConfigRecord = {
    Binds: opts.volumes && opts.volumes.length ? [...opts.volumes] : null,
    Mounts: (opts.mounts ?? []).length
      ? opts.mounts!.map((m) => ({
          Type: m.type,
          Source: m.source,
          Target: m.target,
          ...(m.readonly ? { ReadOnly: true } : {}),
          ...(m.propagation ? { BindOptions: { Propagation: m.propagation } } : {}),
        }))
      : null,
    AutoRemove: Boolean(opts.autoRemove),
    NetworkMode: network,
    ReadonlyRootfs: Boolean(opts.readOnly),
    GroupAdd: opts.groupAdd && opts.groupAdd.length ? opts.groupAdd : null,
    ConsoleSize: opts.consoleSize ?? [0, 0],
    Dns: [],
    ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
    ...limits,
  };

  const snaps = new Snapshots(store);
  const chain = chainOf(engine, img.top_layer);
  const lease = store.lease('container-create');
  try {
    const names = await snaps.prepare(lease, chain);
    const spec: ContainerSpecRecord = {
      Config: config,
      HostConfig: hostConfig,
      Path: entry[0]!,
      Args: entry.slice(1),
      MountPoints: mountPoints,
      Snapshots: names,
      Platform: imgConfig.os || 'linux',
    };
    const created = nowString();
    const row = store.tx(() => {
      if (!store.meta.image(img.id)) throw new BerthError('conflict', `image ${img.id} was removed while the container was created`);
      let name = opts.name ? (opts.name.startsWith('/') ? opts.name : '/' + opts.name) : '';
      const byName = store.db.prepare('SELECT id FROM containers WHERE name = ?').pluck();
      if (name) {
        const other = byName.get(name) as string | undefined;
        if (other) {
          throw conflict(
            `Conflict. The container name "${name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`,
          );
        }
      } else {
        for (let i = 0; i < 6 && !name; i++) {
          const n = '/' + randomName(i);
          if (byName.get(n) === undefined) name = n;
        }
        if (!name) name = '/' + id.slice(0, 12);
      }
      store.db
        .prepare(
          `INSERT INTO containers (id, name, image_id, top_layer, snapshotter, config, state, created, labels)
           VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?)`,
        )
        .run(id, name, img.id, img.top_layer, snaps.kind, JSON.stringify(spec), created, Object.keys(config.Labels ?? {}).length ? JSON.stringify(config.Labels) : null);
      const inserted = store.db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as ContainerRow;
      containerEvent(store, inserted, 'create');
      return inserted;
    });
    try {
      containerFs(store, row).create();
    } catch (err) {
      store.tx(() => {
        store.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
        store.db.prepare("INSERT OR IGNORE INTO trash (kind, key) VALUES ('container', ?)").run(id);
      });
      store.gc.sweep();
      throw err;
    }
  } finally {
    store.release(lease);
  }
  const warnings: string[] = [];
  return { id, warnings };
}

/** Whether a path is a directory (for `-v` onto existing files). */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
