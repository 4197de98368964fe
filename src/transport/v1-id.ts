import { createHash } from 'node:crypto';
import type { ContainerConfig, ImageConfig } from '../image/types.js';
import { goMarshal } from '../image/gojson.js';

/** Go's time.Time in RFC 3339 with nanoseconds, trailing zeros trimmed. */
function goTime(s: string | undefined): string {
  if (!s) return '0001-01-01T00:00:00Z';
  const m = s.match(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  if (!m) return s;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return `${m[1]}${frac === '.' ? '' : frac}${m[3]}`;
}

/** container.Config as Go marshals it: every field in struct order, omitempty ones only when set. */
export function goContainerConfig(src: ContainerConfig | null | undefined): Record<string, unknown> {
  const c = src ?? {};
  const o: Record<string, unknown> = {
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
  };
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) o.ExposedPorts = c.ExposedPorts;
  o.Tty = c.Tty ?? false;
  o.OpenStdin = c.OpenStdin ?? false;
  o.StdinOnce = c.StdinOnce ?? false;
  o.Env = c.Env ?? null;
  o.Cmd = c.Cmd ?? null;
  if (c.Healthcheck) o.Healthcheck = c.Healthcheck;
  if (c.ArgsEscaped) o.ArgsEscaped = true;
  o.Image = c.Image ?? '';
  o.Volumes = c.Volumes ?? null;
  o.WorkingDir = c.WorkingDir ?? '';
  o.Entrypoint = c.Entrypoint ?? null;
  if (c.NetworkDisabled) o.NetworkDisabled = true;
  if (c.MacAddress) o.MacAddress = c.MacAddress;
  o.OnBuild = c.OnBuild ?? null;
  o.Labels = c.Labels ?? null;
  if (c.StopSignal) o.StopSignal = c.StopSignal;
  if (c.StopTimeout !== undefined && c.StopTimeout !== null) o.StopTimeout = c.StopTimeout;
  if (c.Shell && c.Shell.length) o.Shell = c.Shell;
  return o;
}

/**
 * The legacy v1 image JSON Docker writes for each layer of a saved image (`<id>/json`) and from
 * which it derives the v1 IDs in `repositories`: the top layer carries the image's own metadata,
 * lower layers only an epoch creation time.
 */
export function v1ImageFields(cfg: ImageConfig | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (!cfg) {
    o.created = '1970-01-01T00:00:00Z';
    o.container_config = goContainerConfig(undefined);
    return o;
  }
  if (cfg.comment) o.comment = cfg.comment;
  o.created = goTime(cfg.created);
  if (cfg.container) o.container = cfg.container;
  o.container_config = goContainerConfig(cfg.container_config);
  if (cfg.docker_version) o.docker_version = cfg.docker_version;
  if (cfg.author) o.author = cfg.author;
  if (cfg.config) o.config = goContainerConfig(cfg.config);
  if (cfg.architecture) o.architecture = cfg.architecture;
  if (cfg.variant) o.variant = cfg.variant;
  if (cfg.os) o.os = cfg.os;
  return o;
}

/** moby's v1.CreateID: sha256 of the v1 JSON (keys sorted) plus layer_id and parent. */
export function v1Id(fields: Record<string, unknown>, chainId: string, parent: string | undefined): string {
  const m: Record<string, unknown> = { ...fields, layer_id: chainId };
  delete m.id;
  if (parent) m.parent = parent;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(m).sort()) sorted[k] = m[k];
  return 'sha256:' + createHash('sha256').update(goMarshal(sorted)).digest('hex');
}

/** v1 IDs of every layer of an image, bottom first (what `repositories` and `<id>/` dirs use). */
export function v1Ids(cfg: ImageConfig, chainIds: string[]): string[] {
  const out: string[] = [];
  let parent: string | undefined;
  chainIds.forEach((chain, i) => {
    const top = i === chainIds.length - 1;
    const id = v1Id(v1ImageFields(top ? cfg : undefined), chain, parent);
    out.push(id);
    parent = id;
  });
  return out;
}
