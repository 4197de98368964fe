/**
 * The Go struct view templates see for a container (container.InspectResponse): `ID` for `Id`,
 * and JSON nulls as the typed nils Go has there, so `{{.Config.Env}}` prints [] as Docker's.
 */
import { goMap, goStruct, nilMap, nilPointer, nilSlice } from '../format/index.js';

const SLICES = new Set(['Args', 'ExecIDs', 'Binds', 'VolumesFrom', 'CapAdd', 'CapDrop', 'ExtraHosts', 'GroupAdd', 'Links', 'SecurityOpt', 'DeviceCgroupRules', 'DeviceRequests', 'Env', 'Cmd', 'Entrypoint', 'OnBuild', 'Shell', 'Aliases', 'DNSNames', 'SecondaryIPAddresses', 'SecondaryIPv6Addresses', 'Mounts', 'Dns', 'DnsOptions', 'DnsSearch']);
const MAPS = new Set(['Labels', 'Volumes', 'ExposedPorts', 'DriverOpts', 'Ports', 'PortBindings', 'Tmpfs', 'Sysctls', 'Annotations']);

function view(v: unknown, key: string): unknown {
  if (v === null) return SLICES.has(key) ? nilSlice() : MAPS.has(key) ? nilMap() : nilPointer('*' + key);
  if (Array.isArray(v)) return v.map((x) => view(x, ''));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = view(x, MAPS.has(key) ? '' : k);
    return MAPS.has(key) ? goMap(out) : out;
  }
  return v;
}

/** HostConfig's maps that the JSON leaves out when empty (omitempty), but the struct always has. */
const OMITTED_HOST_MAPS = ['StorageOpt', 'Tmpfs', 'Sysctls', 'Annotations'];

export function containerView(obj: Record<string, unknown>): unknown {
  const { Id, ...rest } = obj;
  const out = view(rest, '') as Record<string, unknown>;
  const hc = out.HostConfig as Record<string, unknown> | undefined;
  if (hc && typeof hc === 'object') for (const k of OMITTED_HOST_MAPS) if (!(k in hc)) hc[k] = nilMap();
  return goStruct({ ID: Id, ...out }, 'container.InspectResponse');
}
