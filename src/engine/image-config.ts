import type { Store } from '../store/store.js';
import type { ImageConfig, ContainerConfig } from '../image/types.js';
import type { Digest } from '../image/digest.js';
import { corrupt } from '../image/errors.js';

/** Reads and parses an image's config blob (its ID is the config digest). */
export async function readImageConfig(store: Store, id: Digest): Promise<ImageConfig> {
  const buf = await store.content.readBuffer(id);
  try {
    return JSON.parse(buf.toString('utf8')) as ImageConfig;
  } catch (err) {
    throw corrupt(`image config ${id} is not valid JSON`, err);
  }
}

/** Docker's container.Config with Go's zero values, in struct field order (omitempty fields left out). */
export function fullContainerConfig(c: ContainerConfig | undefined | null): ContainerConfig {
  const src = c ?? {};
  const out: ContainerConfig = {
    Hostname: src.Hostname ?? '',
    Domainname: src.Domainname ?? '',
    User: src.User ?? '',
    AttachStdin: src.AttachStdin ?? false,
    AttachStdout: src.AttachStdout ?? false,
    AttachStderr: src.AttachStderr ?? false,
  };
  if (src.ExposedPorts && Object.keys(src.ExposedPorts).length) out.ExposedPorts = src.ExposedPorts;
  out.Tty = src.Tty ?? false;
  out.OpenStdin = src.OpenStdin ?? false;
  out.StdinOnce = src.StdinOnce ?? false;
  out.Env = src.Env ?? null;
  out.Cmd = src.Cmd ?? null;
  if (src.Healthcheck) out.Healthcheck = src.Healthcheck;
  if (src.ArgsEscaped) out.ArgsEscaped = true;
  out.Image = src.Image ?? '';
  out.Volumes = src.Volumes ?? null;
  out.WorkingDir = src.WorkingDir ?? '';
  out.Entrypoint = src.Entrypoint ?? null;
  if (src.NetworkDisabled) out.NetworkDisabled = true;
  if (src.MacAddress) out.MacAddress = src.MacAddress;
  out.OnBuild = src.OnBuild ?? null;
  out.Labels = src.Labels ?? null;
  if (src.StopSignal) out.StopSignal = src.StopSignal;
  if (src.StopTimeout !== undefined && src.StopTimeout !== null) out.StopTimeout = src.StopTimeout;
  if (src.Shell && src.Shell.length) out.Shell = src.Shell;
  return out;
}

/** Go's time.Time marshalled as RFC 3339 with nanoseconds, trailing zeros trimmed. */
export function goTime(s: string | undefined | null): string {
  if (!s) return '0001-01-01T00:00:00Z';
  const m = s.match(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  if (!m) return s;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return `${m[1]}${frac === '.' ? '' : frac}${m[3]}`;
}

export function goTimeFromMs(ms: number): string {
  if (!ms) return '0001-01-01T00:00:00Z';
  return goTime(new Date(ms).toISOString());
}

/** The created time of a config in unix seconds (Go's Time.Unix()). */
export function createdSeconds(s: string | undefined): number {
  if (!s) return -62135596800;
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}
