/**
 * The Go value `docker image inspect --format` templates run against: docker/cli 28's
 * image.InspectResponse, decoded from the daemon's JSON. Its Config is a
 * dockerspec.DockerOCIImageConfig (only the image fields, omitted when empty in `json`), its
 * ContainerConfig a container.Config, and JSON nulls are the typed nils Go has there, so
 * `{{.Config.Env}}` prints [] and `{{json .Config}}` prints {"Cmd":["/bin/sh"]} as Docker's.
 */
import { GO_MARSHAL_JSON, GO_STRING, goMap, goStruct, marshal, nilMap, nilPointer, nilSlice, parseGoTime, sprint } from '../format/index.js';

type Raw = Record<string, unknown>;

const strings = (v: unknown) => (Array.isArray(v) ? [...(v as string[])] : nilSlice());
const set = (v: unknown, type = 'map[string]struct {}') =>
  v && typeof v === 'object' ? goMap(Object.fromEntries(Object.keys(v).map((k) => [k, goStruct({}, 'struct {}')]))) : nilMap(type);
const labels = (v: unknown) => (v && typeof v === 'object' ? goMap({ ...(v as Raw) }) : nilMap());

/** Go's time.Duration.String() for a count of nanoseconds. */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  let out: string;
  if (u < 1e9) {
    const [unit, div] = u < 1e3 ? ['ns', 1] : u < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    out = `${trimZeros((u / div).toFixed(9))}${unit}`;
  } else {
    const h = Math.floor(u / 3.6e12);
    u -= h * 3.6e12;
    const m = Math.floor(u / 6e10);
    u -= m * 6e10;
    const s = `${trimZeros((u / 1e9).toFixed(9))}s`;
    out = h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
  }
  return neg ? '-' + out : out;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function healthcheck(v: unknown): unknown {
  if (!v || typeof v !== 'object') return nilPointer('*v1.HealthcheckConfig');
  const h = v as Raw;
  const d = (x: unknown) => {
    const ns = typeof x === 'number' ? x : 0;
    const o = goStruct({}, 'time.Duration');
    Object.defineProperty(o, GO_STRING, { value: () => goDuration(ns) });
    Object.defineProperty(o, GO_MARSHAL_JSON, { value: () => String(ns) });
    return o;
  };
  const out = goStruct(
    { Test: strings(h.Test), Interval: d(h.Interval), Timeout: d(h.Timeout), StartPeriod: d(h.StartPeriod), StartInterval: d(h.StartInterval), Retries: typeof h.Retries === 'number' ? h.Retries : 0 },
    'v1.HealthcheckConfig',
  );
  Object.defineProperty(out, GO_MARSHAL_JSON, { value: () => marshal(omitEmpty(h, ['Test', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'])) });
  return out;
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function omitEmpty(raw: Raw, keys: string[]): Raw {
  const out: Raw = {};
  for (const k of keys) if (!isEmpty(raw[k])) out[k] = raw[k];
  return out;
}

const OCI_CONFIG_KEYS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'ArgsEscaped', 'Healthcheck', 'OnBuild', 'Shell'];

/** *dockerspec.DockerOCIImageConfig: ocispec.ImageConfig and DockerOCIImageConfigExt embedded. */
function imageConfig(v: unknown): unknown {
  if (!v || typeof v !== 'object') return nilPointer('*v1.DockerOCIImageConfig');
  const c = v as Raw;
  const image = goStruct(
    {
      User: c.User ?? '',
      ExposedPorts: set(c.ExposedPorts),
      Env: strings(c.Env),
      Entrypoint: strings(c.Entrypoint),
      Cmd: strings(c.Cmd),
      Volumes: set(c.Volumes),
      WorkingDir: c.WorkingDir ?? '',
      Labels: labels(c.Labels),
      StopSignal: c.StopSignal ?? '',
      ArgsEscaped: c.ArgsEscaped === true,
    },
    'v1.ImageConfig',
  );
  const ext = goStruct({ Healthcheck: healthcheck(c.Healthcheck), OnBuild: strings(c.OnBuild), Shell: strings(c.Shell) }, 'v1.DockerOCIImageConfigExt');
  // Fields are promoted from the embedded structs (`.Config.Cmd`); printing shows the nesting.
  const out = goStruct({ ...image, ...ext }, 'v1.DockerOCIImageConfig');
  Object.defineProperty(out, GO_STRING, { value: () => sprint(goStruct({ ImageConfig: image, DockerOCIImageConfigExt: ext }, 'v1.DockerOCIImageConfig')) });
  const json = omitEmpty({ ...c, Healthcheck: c.Healthcheck && omitEmpty(c.Healthcheck as Raw, ['Test', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) }, OCI_CONFIG_KEYS);
  Object.defineProperty(out, GO_MARSHAL_JSON, { value: () => marshal(json) });
  return out;
}

/** *container.Config (the deprecated ContainerConfig). */
function containerConfig(v: unknown): unknown {
  if (!v || typeof v !== 'object') return nilPointer('*container.Config');
  const c = v as Raw;
  const out = goStruct(
    {
      Hostname: c.Hostname ?? '',
      Domainname: c.Domainname ?? '',
      User: c.User ?? '',
      AttachStdin: c.AttachStdin === true,
      AttachStdout: c.AttachStdout === true,
      AttachStderr: c.AttachStderr === true,
      ExposedPorts: set(c.ExposedPorts, 'nat.PortSet'),
      Tty: c.Tty === true,
      OpenStdin: c.OpenStdin === true,
      StdinOnce: c.StdinOnce === true,
      Env: strings(c.Env),
      Cmd: strings(c.Cmd),
      Healthcheck: healthcheck(c.Healthcheck),
      ArgsEscaped: c.ArgsEscaped === true,
      Image: c.Image ?? '',
      Volumes: set(c.Volumes),
      WorkingDir: c.WorkingDir ?? '',
      Entrypoint: strings(c.Entrypoint),
      NetworkDisabled: c.NetworkDisabled === true,
      MacAddress: c.MacAddress ?? '',
      OnBuild: strings(c.OnBuild),
      Labels: labels(c.Labels),
      StopSignal: c.StopSignal ?? '',
      StopTimeout: typeof c.StopTimeout === 'number' ? c.StopTimeout : nilPointer('*int'),
      Shell: strings(c.Shell),
    },
    'container.Config',
  );
  Object.defineProperty(out, GO_MARSHAL_JSON, { value: () => marshal(c) });
  return out;
}

export function imageView(obj: Raw): unknown {
  const graph = (obj.GraphDriver ?? {}) as Raw;
  const rootfs = (obj.RootFS ?? {}) as Raw;
  const meta = (obj.Metadata ?? {}) as Raw;
  const view = goStruct(
    {
      ID: obj.Id,
      RepoTags: strings(obj.RepoTags),
      RepoDigests: strings(obj.RepoDigests),
      Parent: obj.Parent ?? '',
      Comment: obj.Comment ?? '',
      Created: obj.Created ?? '',
      Container: obj.Container ?? '',
      ContainerConfig: containerConfig(obj.ContainerConfig),
      DockerVersion: obj.DockerVersion ?? '',
      Author: obj.Author ?? '',
      Config: imageConfig(obj.Config),
      Architecture: obj.Architecture ?? '',
      Variant: obj.Variant ?? '',
      Os: obj.Os ?? '',
      OsVersion: obj.OsVersion ?? '',
      Size: obj.Size ?? 0,
      VirtualSize: obj.VirtualSize ?? 0,
      GraphDriver: goStruct({ Data: graph.Data ? goMap({ ...(graph.Data as Raw) }) : nilMap(), Name: graph.Name ?? '' }, 'storage.DriverData'),
      RootFS: goStruct({ Type: rootfs.Type ?? '', Layers: strings(rootfs.Layers) }, 'image.RootFS'),
      Metadata: goStruct({ LastTagTime: parseGoTime(String(meta.LastTagTime ?? '0001-01-01T00:00:00Z')) }, 'image.Metadata'),
      Descriptor: nilPointer('*v1.Descriptor'),
      Manifests: nilSlice('[]image.ManifestSummary'),
    },
    'image.InspectResponse',
  );
  // `{{json .}}` marshals the struct: its omitempty fields drop out when empty.
  const json: Raw = {};
  for (const [k, v] of Object.entries(obj)) {
    if (['Created', 'Container', 'ContainerConfig', 'Variant', 'OsVersion', 'VirtualSize', 'Descriptor', 'Manifests'].includes(k) && isEmpty(v)) continue;
    json[k] = k === 'Config' ? JSON.parse((view.Config as Record<symbol, () => string>)[GO_MARSHAL_JSON]?.() ?? 'null') : v;
  }
  Object.defineProperty(view, GO_MARSHAL_JSON, { value: () => marshal(json) });
  return view;
}
