import { readdirSync, readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { BerthError, invalidArgument } from '../image/errors.js';

/** TLS settings for one registry host. */
export interface TlsSettings {
  /** Extra trusted CAs (PEM), added to the system's roots. */
  ca: string[];
  cert?: string;
  key?: string;
  /** false for insecure registries: any certificate is accepted, as Docker does. */
  verify: boolean;
}

/** One way to reach a registry: a scheme and host, with the TLS settings to use. */
export interface Endpoint {
  scheme: 'https' | 'http';
  /** host[:port] as it appears in URLs, IPv6 in brackets. */
  host: string;
  /** `https://host[:port]` */
  base: string;
  tls: TlsSettings;
  insecure: boolean;
}

const DEFAULT_INSECURE = ['::1/128', '127.0.0.0/8'];

/** Docker's certs.d: /etc/docker/certs.d, or $BERTH_CERTS_D. */
export function certsDir(): string {
  return process.env.BERTH_CERTS_D || '/etc/docker/certs.d';
}

function daemonConfigPath(): string {
  return process.env.BERTH_DOCKER_DAEMON_CONFIG || '/etc/docker/daemon.json';
}

let daemonJson: Record<string, unknown> | undefined;

/**
 * Docker's daemon.json, for the settings berth shares with a Docker engine on the same machine
 * (insecure-registries, max-concurrent-downloads/uploads); empty when absent or not JSON.
 */
export function daemonConfig(): Record<string, unknown> {
  if (!daemonJson) {
    try {
      const v: unknown = JSON.parse(readFileSync(daemonConfigPath(), 'utf8'));
      daemonJson = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      // no daemon.json, or not ours to judge
      daemonJson = {};
    }
  }
  return daemonJson;
}

interface InsecureConfig {
  cidrs: BlockList;
  hosts: Set<string>;
}

let insecureConfig: InsecureConfig | undefined;

function parseCidr(s: string): { addr: string; prefix: number; type: 'ipv4' | 'ipv6' } | undefined {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const prefix = Number(s.slice(slash + 1));
  const v = isIP(addr);
  if (v === 0 || !Number.isInteger(prefix)) return undefined;
  return { addr, prefix, type: v === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * The insecure registries: loopback always (as Docker), plus $BERTH_INSECURE_REGISTRIES
 * (comma-separated host[:port] or CIDR) and `insecure-registries` of /etc/docker/daemon.json.
 */
export function loadInsecureConfig(): InsecureConfig {
  if (insecureConfig) return insecureConfig;
  const entries = [...DEFAULT_INSECURE];
  const env = process.env.BERTH_INSECURE_REGISTRIES;
  if (env) entries.push(...env.split(',').map((s) => s.trim()).filter(Boolean));
  const list = daemonConfig()['insecure-registries'];
  if (Array.isArray(list)) entries.push(...list.filter((x): x is string => typeof x === 'string'));
  const cidrs = new BlockList();
  const hosts = new Set<string>();
  for (let e of entries) {
    e = e.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
    const c = parseCidr(e);
    if (c) cidrs.addSubnet(c.addr, c.prefix, c.type);
    else if (e.includes('://')) throw invalidArgument(`insecure registry ${e} should not contain '://'`);
    else hosts.add(e.toLowerCase());
  }
  insecureConfig = { cidrs, hosts };
  return insecureConfig;
}

/** Splits `host[:port]` (IPv6 in brackets) into its parts, the host without brackets. */
export function splitHostPort(hostport: string): { host: string; port: string } {
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    const host = hostport.slice(1, close);
    const rest = hostport.slice(close + 1);
    return { host, port: rest.startsWith(':') ? rest.slice(1) : '' };
  }
  const colon = hostport.lastIndexOf(':');
  if (colon >= 0 && hostport.indexOf(':') === colon) return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
  return { host: hostport, port: '' };
}

/**
 * Docker's isSecureIndex: a registry listed by name is insecure; otherwise it is insecure when
 * its address (resolved, for a name) falls in an insecure CIDR — loopback by default.
 */
export async function isInsecureRegistry(hostport: string): Promise<boolean> {
  const cfg = loadInsecureConfig();
  if (cfg.hosts.has(hostport.toLowerCase())) return true;
  const { host } = splitHostPort(hostport);
  let addrs: { address: string; family: number }[];
  if (isIP(host)) addrs = [{ address: host, family: isIP(host) }];
  else if (host.toLowerCase() === 'localhost') return true;
  else {
    try {
      addrs = await lookup(host, { all: true });
    } catch {
      return false;
    }
  }
  return addrs.some((a) => cfg.cidrs.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4'));
}

/**
 * Reads /etc/docker/certs.d/HOST[:PORT]/ as Docker does: `*.crt` are CAs, `*.cert` with the
 * matching `*.key` a client certificate.
 */
export function readCertsDir(hostport: string, dir = certsDir()): { ca: string[]; cert?: string; key?: string } {
  const d = join(dir, hostport);
  let names: string[];
  try {
    names = readdirSync(d).sort();
  } catch {
    return { ca: [] };
  }
  const out: { ca: string[]; cert?: string; key?: string } = { ca: [] };
  for (const f of names) {
    const p = join(d, f);
    if (f.endsWith('.crt')) out.ca.push(readFileSync(p, 'utf8'));
    else if (f.endsWith('.cert')) {
      const keyName = f.slice(0, -'.cert'.length) + '.key';
      if (!names.includes(keyName)) {
        throw new BerthError('invalid-argument', `missing key ${keyName} for client certificate ${f}. CA certificates must use the extension .crt`);
      }
      out.cert = readFileSync(p, 'utf8');
      out.key = readFileSync(join(d, keyName), 'utf8');
    } else if (f.endsWith('.key')) {
      const certName = f.slice(0, -'.key'.length) + '.cert';
      if (!names.includes(certName)) throw new BerthError('invalid-argument', `missing client certificate ${certName} for key ${f}`);
    }
  }
  return out;
}

/**
 * The endpoints to try for a registry host, in order: HTTPS always first; for an insecure
 * registry HTTPS without certificate verification, then plain HTTP.
 */
export async function registryEndpoints(hostport: string): Promise<Endpoint[]> {
  const insecure = await isInsecureRegistry(hostport);
  const certs = readCertsDir(hostport);
  const https: Endpoint = {
    scheme: 'https',
    host: hostport,
    base: `https://${hostport}`,
    tls: { ca: certs.ca, cert: certs.cert, key: certs.key, verify: !insecure },
    insecure,
  };
  if (!insecure) return [https];
  return [https, { scheme: 'http', host: hostport, base: `http://${hostport}`, tls: { ca: [], verify: false }, insecure }];
}

/** The trust roots for a TLS connection: the system's plus the registry's extra CAs. */
export function trustRoots(tls: TlsSettings): string[] | undefined {
  return tls.ca.length ? [...rootCertificates, ...tls.ca] : undefined;
}

/** For tests: forget the cached insecure-registry configuration. */
export function resetHostConfig(): void {
  insecureConfig = undefined;
  daemonJson = undefined;
}
