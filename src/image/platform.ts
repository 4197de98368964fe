/**
 * Platforms (`os/arch[/variant]`) the way github.com/containerd/platforms does them: specifier
 * parsing with its exact error texts, normalisation (`aarch64` → `arm64`, `x86_64` → `amd64`,
 * `armhf` → `arm/v7`, `armel` → `arm/v6`, `i386` → `386`, `macos` → `darwin`…), formatting, the
 * host's default platform, and the matchers/comparers used to pick a manifest from an image index
 * (`Only`: exact first, then compatible older variants — arm64 → arm/v8…v5, arm/v7 → v6, v5,
 * amd64/vN → v(N-1)…v1, 386).
 *
 * Platforms are plain OCI JSON objects ({@link Platform}: `architecture`, `os`, `os.version`,
 * `os.features`, `variant`); absent and empty fields are the same thing. Results never carry empty
 * optional fields, and keys come in the order Go marshals them.
 *
 * `os.version` only matters for Windows matchers; `os.features` of a candidate must be a subset of
 * the requested ones (containerd ≥ 1.0 behaviour; Docker 28.2, vendoring platforms
 * v1.0.0-rc.1, ignored features in matching).
 */
import { readFileSync } from 'node:fs';
import { endianness, machine } from 'node:os';
import { BerthError } from './errors.js';
import { goQuote } from './reference.js';
import type { Platform } from './types.js';

export type { Platform };

/** A platform specifier or platform value was invalid. Kind is always `invalid-argument`. */
export class InvalidPlatformError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-argument', message, options);
    this.name = 'InvalidPlatformError';
  }
}

// ---------------------------------------------------------------------------------------------
// Go-like view: every field present, '' for absent.

interface Fields {
  os: string;
  arch: string;
  variant: string;
  osVersion: string;
  osFeatures: string[] | undefined;
}

/** A loosely-typed platform as found in descriptors and image configs. */
export interface PlatformLike {
  os?: string;
  architecture?: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[] | null;
}

function fields(p: PlatformLike): Fields {
  return {
    os: p.os ?? '',
    arch: p.architecture ?? '',
    variant: p.variant ?? '',
    osVersion: p['os.version'] ?? '',
    osFeatures: p['os.features'] ?? undefined,
  };
}

function build(f: Fields): Platform {
  const p: Platform = { architecture: f.arch, os: f.os };
  if (f.osVersion !== '') p['os.version'] = f.osVersion;
  if (f.osFeatures !== undefined && f.osFeatures.length > 0) p['os.features'] = [...f.osFeatures];
  if (f.variant !== '') p.variant = f.variant;
  return p;
}

/** A clean {@link Platform} from any platform-shaped object (descriptor platform, image config). */
export function toPlatform(p: PlatformLike): Platform {
  return build(fields(p));
}

// ---------------------------------------------------------------------------------------------
// Known values and normalisation (containerd's database.go)

const KNOWN_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd',
  'openbsd', 'plan9', 'solaris', 'windows', 'zos',
]);

const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle',
  'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64',
  'wasm',
]);

/** True for the Go operating system names containerd knows (expects a normalised value). */
export function isKnownOS(os: string): boolean {
  return KNOWN_OS.has(os);
}

/** True for the Go architecture names containerd knows (expects a normalised value). */
export function isKnownArch(arch: string): boolean {
  return KNOWN_ARCH.has(arch);
}

/** Lowercases and maps `macos` to `darwin`; '' becomes the host OS. */
export function normalizeOS(os: string): string {
  if (os === '') return hostPlatform().os;
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

/**
 * containerd's `normalizeArch`: lowercases and canonicalises architecture and variant.
 * `i386` → `386`; `x86_64`/`x86-64` → `amd64` (v1 → no variant); `aarch64` → `arm64`
 * (8/v8/v8.0 → no variant, 9/9.0/v9.0 → v9); `armhf` → `arm/v7`; `armel` → `arm/v6`;
 * `arm` with no variant or 7 → v7, with 5/6/8 → v5/v6/v8.
 */
export function normalizeArch(arch: string, variant: string): [arch: string, variant: string] {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386':
      a = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      a = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      a = 'arm64';
      if (v === '8' || v === 'v8' || v === 'v8.0') v = '';
      else if (v === '9' || v === '9.0' || v === 'v9.0') v = 'v9';
      break;
    case 'armhf':
      a = 'arm';
      v = 'v7';
      break;
    case 'armel':
      a = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = 'v' + v;
      break;
  }
  return [a, v];
}

/**
 * containerd's `Normalize`: canonical OS, architecture and variant; `os.features` sorted and
 * de-duplicated; `os.version` kept as is.
 */
export function normalizePlatform(platform: PlatformLike): Platform {
  return build(normalizeFields(fields(platform)));
}

function normalizeFields(f: Fields): Fields {
  const [arch, variant] = normalizeArch(f.arch, f.variant);
  let osFeatures = f.osFeatures;
  if (osFeatures !== undefined && osFeatures.length > 0) {
    osFeatures = [...new Set(osFeatures)].sort(compareStrings);
  }
  return { os: normalizeOS(f.os), arch, variant, osVersion: f.osVersion, osFeatures };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Host detection

/** What containerd takes from the Go runtime: GOOS, GOARCH, and the ARM CPU variant. */
export interface HostPlatform {
  /** Go OS name (`linux`, `darwin`, `windows`…). */
  os: string;
  /** Go architecture name (`amd64`, `arm64`, `arm`, `386`…). */
  architecture: string;
  /** The CPU variant (`v8`, `v7`, `v6`…) on arm/arm64 hosts, '' elsewhere. */
  cpuVariant: string;
  /** The x86-64 level (`v1`…`v4`) on amd64 hosts, used by {@link maximumPlatform}; default `v1`. */
  amd64Variant?: string;
}

/** Go's GOOS for a Node `process.platform` value. */
export function goOS(platform: string = process.platform): string {
  switch (platform) {
    case 'win32':
    case 'cygwin':
      return 'windows';
    case 'sunos':
      return 'solaris';
    default:
      return platform;
  }
}

/** Go's GOARCH for a Node `process.arch` value. */
export function goArch(arch: string = process.arch, byteOrder: 'BE' | 'LE' = endianness()): string {
  switch (arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'mipsel':
      return 'mipsle';
    case 'ppc64':
      return byteOrder === 'LE' ? 'ppc64le' : 'ppc64';
    default:
      return arch;
  }
}

/**
 * The value of the first `/proc/cpuinfo` line whose key equals `key` case-insensitively (the text
 * between the first and second colon, trimmed), as containerd's `getCPUInfo` reads it.
 */
function cpuinfoField(cpuinfo: string, key: string): string | undefined {
  const want = key.toLowerCase();
  for (const line of cpuinfo.split('\n')) {
    const parts = line.split(':');
    if (parts.length > 1 && parts[0]!.trim().toLowerCase() === want) return parts[1]!.trim();
  }
  return undefined;
}

/** containerd's `getCPUVariantFromArch`: the variant digit from a uname machine string. */
function variantFromMachine(arch: string): string | undefined {
  const a = arch.toLowerCase();
  if (a === 'aarch64') return '8';
  if (a.length >= 5 && a.startsWith('armv')) {
    const v = a.slice(3, 5);
    return /^v[345678]$/.test(v) ? v.slice(1) : 'unknown';
  }
  return undefined;
}

/**
 * containerd's `getCPUVariant` on Linux, from the text of `/proc/cpuinfo` (undefined when it
 * cannot be read), the Go architecture and the uname machine: `Cpu architecture` (falling back to
 * the machine name), the Raspberry Pi ARMv6 quirk, then mapped to `v8`, `v7`, `v6`, `v5`, `v4`,
 * `v3` or `unknown`. Returns '' where containerd gives up with an error.
 */
export function cpuVariantFromCpuinfo(cpuinfo: string | undefined, goarch: string, machineName: string): string {
  if (cpuinfo === undefined) return '';
  let variant = cpuinfoField(cpuinfo, 'Cpu architecture');
  if (variant === undefined) {
    variant = variantFromMachine(machineName);
    if (variant === undefined) return '';
  }
  if (goarch === 'arm' && variant === '7') {
    const model = cpuinfoField(cpuinfo, 'model name');
    if (model !== undefined && model.toLowerCase().startsWith('armv6-compatible')) variant = '6';
  }
  switch (variant.toLowerCase()) {
    case '8':
    case 'aarch64':
      return 'v8';
    case '7':
    case '7m':
    case '?(12)':
    case '?(13)':
    case '?(14)':
    case '?(15)':
    case '?(16)':
    case '?(17)':
      return 'v7';
    case '6':
    case '6tej':
      return 'v6';
    case '5':
    case '5t':
    case '5te':
    case '5tej':
      return 'v5';
    case '4':
    case '4t':
      return 'v4';
    case '3':
      return 'v3';
    default:
      return 'unknown';
  }
}

/** containerd's `cpuVariant()` for a host: only computed for arm and arm64. */
function detectCPUVariant(os: string, arch: string): string {
  if (arch !== 'arm' && arch !== 'arm64') return '';
  switch (os) {
    case 'linux':
    case 'android':
      return cpuVariantFromCpuinfo(readCpuinfo(), arch, safeMachine());
    case 'windows':
    case 'darwin':
      return arch === 'arm64' ? 'v8' : 'v7';
    case 'freebsd':
      return arch === 'arm64' ? 'v8' : 'unknown';
    default:
      return '';
  }
}

function readCpuinfo(): string | undefined {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}

function safeMachine(): string {
  try {
    return machine();
  } catch {
    return '';
  }
}

let hostCache: HostPlatform | undefined;

/** The host as containerd sees it (computed once). */
export function hostPlatform(): HostPlatform {
  if (hostCache === undefined) {
    const os = goOS();
    const architecture = goArch();
    const cpuinfo = os === 'linux' && architecture === 'amd64' ? readCpuinfo() : undefined;
    hostCache = Object.freeze({
      os,
      architecture,
      cpuVariant: detectCPUVariant(os, architecture),
      amd64Variant: architecture !== 'amd64' ? '' : cpuinfo === undefined ? 'v1' : amd64VariantFromCpuinfo(cpuinfo),
    });
  }
  return hostCache;
}

/**
 * The x86-64 micro-architecture level (`v1`…`v4`) from the `flags` line of `/proc/cpuinfo`, with
 * the feature sets go-archvariant (used by Docker to pick amd64 variants) checks.
 */
export function amd64VariantFromCpuinfo(cpuinfo: string): string {
  const flagsLine = cpuinfoField(cpuinfo, 'flags');
  if (flagsLine === undefined) return 'v1';
  const flags = new Set(flagsLine.split(/\s+/));
  const has = (list: readonly string[]) => list.every((f) => flags.has(f));
  if (!has(AMD64_V2)) return 'v1';
  if (!has(AMD64_V3)) return 'v2';
  if (!has(AMD64_V4)) return 'v3';
  return 'v4';
}
const AMD64_V2 = ['cx16', 'lahf_lm', 'popcnt', 'pni', 'sse4_1', 'sse4_2', 'ssse3'];
const AMD64_V3 = ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave'];
const AMD64_V4 = ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'];

/**
 * containerd's `DefaultSpec()`: host OS and architecture, with the CPU variant on arm hosts
 * (`linux/arm64/v8` on a 64-bit ARM machine, `linux/amd64` on a PC).
 */
export function defaultPlatform(host: HostPlatform = hostPlatform()): Platform {
  return build({ os: host.os, arch: host.architecture, variant: host.cpuVariant, osVersion: '', osFeatures: undefined });
}

/** containerd's `DefaultString()`. */
export function defaultPlatformString(host: HostPlatform = hostPlatform()): string {
  return formatPlatformAll(defaultPlatform(host));
}

/**
 * Docker's `maximumSpec()`: the default platform, with the host's amd64 level as variant on amd64
 * (so an index offering `amd64/v3` is preferred on a capable CPU). Used to pick manifests when no
 * platform is requested.
 */
export function maximumPlatform(host: HostPlatform = hostPlatform()): Platform {
  const p = fields(defaultPlatform(host));
  if (p.arch === 'amd64') p.variant = host.amd64Variant || 'v1';
  return build(p);
}

// ---------------------------------------------------------------------------------------------
// Specifiers

const SPECIFIER_SOURCE = '^[A-Za-z0-9_.-]+$';
const SPECIFIER_RE = new RegExp(SPECIFIER_SOURCE);
const OS_SOURCE = String.raw`^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$`;
const OS_RE = new RegExp(OS_SOURCE);

function invalid(message: string, cause?: unknown): InvalidPlatformError {
  return new InvalidPlatformError(message, cause === undefined ? undefined : { cause });
}

/** Go's `strings.SplitN(s, sep, n)`. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/** Go's `url.PathUnescape`, throwing Go's `invalid URL escape "%zz"`. */
function pathUnescape(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x25) {
      bytes.push(raw[i]!);
      continue;
    }
    const hex = raw.subarray(i + 1, i + 3).toString('latin1');
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
      throw new Error(`invalid URL escape ${goQuote(raw.subarray(i, i + 3).toString('utf8'))}`);
    }
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Encodes `%`, `+`, `(`, `)` and `/` in an OS version or feature for the specifier syntax. */
function encodeOSOption(v: string): string {
  return v.replace(/[%+()/]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

function parseOSFeatures(s: string): string[] | undefined {
  if (s === '') return undefined;
  const features: string[] = [];
  for (let raw of s.split('+')) {
    raw = raw.trim();
    if (raw === '') throw new Error('empty os feature: invalid argument');
    let feature: string;
    try {
      feature = pathUnescape(raw);
    } catch (e) {
      throw new Error(`invalid os feature ${goQuote(raw)}: ${(e as Error).message}`, { cause: e });
    }
    if (feature !== '') features.push(feature);
  }
  return features.length > 0 ? features : undefined;
}

/**
 * containerd's `platforms.Parse`. Specifiers are `<os>[(<os.version>[+<os.feature>]...)]`,
 * `<arch>`, `<os>/<arch>` or `<os>/<arch>/<variant>`:
 *
 * - `linux` → host architecture (with the host CPU variant on arm unless it is v7);
 * - `arm64`, `x86_64`, `armhf`… → host OS with the normalised architecture;
 * - `linux/arm` and `linux/arm/v7`-equivalents with two parts drop the default v7 variant;
 * - three parts keep the variant, and `arm64` gets `v8` (`linux/arm64/v8`, `linux/aarch64/8`).
 *
 * Errors use containerd's text, e.g. `"foo": unknown operating system or architecture: invalid argument`,
 * `"a/b/c/d": cannot parse platform specifier: invalid argument`.
 */
export function parsePlatform(specifier: string, host: HostPlatform = hostPlatform()): Platform {
  if (specifier.includes('*')) {
    throw invalid(`${goQuote(specifier)}: wildcards not yet supported: invalid argument`);
  }
  const parts = splitN(specifier, '/', 4);
  const f: Fields = { os: '', arch: '', variant: '', osVersion: '', osFeatures: undefined };
  parts.forEach((part, i) => {
    if (i === 0) {
      const m = OS_RE.exec(part);
      if (!m) {
        throw invalid(
          `${goQuote(part)} is an invalid OS component of ${goQuote(specifier)}: ` +
            `OSAndVersion specifier component must match ${goQuote(OS_SOURCE)}: invalid argument`,
        );
      }
      f.os = normalizeOS(m[1]!);
      const version = m[2] ?? '';
      try {
        f.osVersion = pathUnescape(version);
      } catch (e) {
        throw invalid(
          `${goQuote(specifier)} has an invalid OS version ${goQuote(version)}: ${(e as Error).message}`,
          e,
        );
      }
      if (m[3]) {
        try {
          f.osFeatures = parseOSFeatures(m[3].slice(1));
        } catch (e) {
          throw invalid(`${goQuote(specifier)} has invalid OS features: ${(e as Error).message}`, e);
        }
      }
    } else if (!SPECIFIER_RE.test(part)) {
      throw invalid(
        `${goQuote(part)} is an invalid component of ${goQuote(specifier)}: ` +
          `platform specifier component must match ${goQuote(SPECIFIER_SOURCE)}: invalid argument`,
      );
    }
  });

  switch (parts.length) {
    case 1:
      if (isKnownOS(f.os)) {
        f.arch = host.architecture;
        if (f.arch === 'arm' && host.cpuVariant !== 'v7') f.variant = host.cpuVariant;
        return build(f);
      }
      [f.arch, f.variant] = normalizeArch(parts[0]!, '');
      if (f.arch === 'arm' && f.variant === 'v7') f.variant = '';
      if (isKnownArch(f.arch)) {
        f.os = host.os;
        return build(f);
      }
      throw invalid(`${goQuote(specifier)}: unknown operating system or architecture: invalid argument`);
    case 2:
      [f.arch, f.variant] = normalizeArch(parts[1]!, '');
      if (f.arch === 'arm' && f.variant === 'v7') f.variant = '';
      return build(f);
    case 3:
      [f.arch, f.variant] = normalizeArch(parts[1]!, parts[2]!);
      if (f.arch === 'arm64' && f.variant === '') f.variant = 'v8';
      return build(f);
  }
  throw invalid(`${goQuote(specifier)}: cannot parse platform specifier: invalid argument`);
}

/** containerd's `ParseAll`: errors become `invalid platform <spec>: <reason>`. */
export function parsePlatforms(specifiers: readonly string[], host: HostPlatform = hostPlatform()): Platform[] {
  return specifiers.map((s) => {
    try {
      return parsePlatform(s, host);
    } catch (e) {
      throw invalid(`invalid platform ${s}: ${(e as Error).message}`, e);
    }
  });
}

/** Go's `path.Clean`. */
function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const s = (rooted ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

/** Go's `path.Join`. */
function pathJoin(...elems: string[]): string {
  const nonEmpty = elems.filter((e) => e !== '');
  return nonEmpty.length === 0 ? '' : pathClean(nonEmpty.join('/'));
}

/** containerd's `Format`: `os/arch[/variant]`, `unknown` without an OS. No normalisation. */
export function formatPlatform(platform: PlatformLike): string {
  const f = fields(platform);
  if (f.os === '') return 'unknown';
  return pathJoin(f.os, f.arch, f.variant);
}

/**
 * containerd's `FormatAll`: like {@link formatPlatform} but with `(version+feature+…)` after the
 * OS when present (`windows(10.0.17763+win32k)/amd64`); features sorted, empty and duplicate ones
 * skipped, `%+()/` percent-encoded.
 */
export function formatPlatformAll(platform: PlatformLike): string {
  const f = fields(platform);
  if (f.os === '') return 'unknown';
  if (f.osVersion === '' && (f.osFeatures === undefined || f.osFeatures.length === 0)) {
    return pathJoin(f.os, f.arch, f.variant);
  }
  let os = f.os;
  const version = encodeOSOption(f.osVersion);
  const features = formatOSFeatures(f.osFeatures ?? []);
  if (version !== '' || features !== '') os += `(${version}${features !== '' ? '+' + features : ''})`;
  return pathJoin(os, f.arch, f.variant);
}

function formatOSFeatures(features: readonly string[]): string {
  const out: string[] = [];
  let prev: string | undefined;
  for (const feature of [...features].sort(compareStrings)) {
    if (feature === '' || feature === prev) continue;
    prev = feature;
    out.push(encodeOSOption(feature));
  }
  return out.join('+');
}

// ---------------------------------------------------------------------------------------------
// Matching

/** Decides whether a platform (of an image, a manifest) is acceptable. */
export interface PlatformMatcher {
  match(platform: PlatformLike): boolean;
}

/** A matcher that also ranks platforms: `less(a, b)` when `a` is preferred over `b`. */
export interface PlatformMatchComparer extends PlatformMatcher {
  less(a: PlatformLike, b: PlatformLike): boolean;
}

/** An `Array.prototype.sort` comparator from a comparer's `less` (best first). */
export function platformComparator(mc: PlatformMatchComparer): (a: PlatformLike, b: PlatformLike) => number {
  return (a, b) => (mc.less(a, b) ? -1 : mc.less(b, a) ? 1 : 0);
}

interface WindowsOSVersion {
  major: number;
  minor: number;
  build: number;
}

// Windows builds with a stable container ABI (LTSC 2022, LTSC 2025), ascending.
const LTSC2022 = 20348;
const COMPAT_LTSC_RELEASES = [LTSC2022, 26100];

function parseUintBits(s: string, bits: number): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n < 2 ** bits ? n : undefined;
}

/** `major.minor.build[.revision]`; all zero when unparsable (matches anything). */
function windowsOSVersion(version: string): WindowsOSVersion {
  const zero = { major: 0, minor: 0, build: 0 };
  const parts = version.split('.');
  if (parts.length < 3) return zero;
  const major = parseUintBits(parts[0]!, 8);
  const minor = parseUintBits(parts[1]!, 8);
  const build = parseUintBits(parts[2]!, 16);
  if (major === undefined || minor === undefined || build === undefined) return zero;
  return { major, minor, build };
}

/** Whether a Windows host of version `host` can run a container of version `ctr`. */
function windowsCompatible(host: WindowsOSVersion, ctr: WindowsOSVersion): boolean {
  if (host.major !== ctr.major || host.minor !== ctr.minor) return false;
  if (host.build < LTSC2022) return host.build === ctr.build;
  let supported = LTSC2022;
  for (let i = COMPAT_LTSC_RELEASES.length - 1; i >= 0; i--) {
    if (host.build > COMPAT_LTSC_RELEASES[i]!) {
      supported = COMPAT_LTSC_RELEASES[i]!;
      break;
    }
  }
  return supported <= ctr.build && ctr.build <= host.build;
}

function windowsVersionMatcher(version: string): (candidate: string) => boolean {
  const wanted = windowsOSVersion(version);
  const empty = wanted.major === 0 && wanted.minor === 0 && wanted.build === 0;
  return (candidate) => empty || candidate === '' || windowsCompatible(wanted, windowsOSVersion(candidate));
}

/** True when sorted `sub` is a subset of sorted `sup`. */
function isSortedSubset(sub: readonly string[], sup: readonly string[]): boolean {
  if (sup.length < sub.length) return false;
  let j = 0;
  for (const feature of sub) {
    let found = false;
    for (; j < sup.length; j++) {
      if (feature === sup[j]) {
        found = true;
        j++;
        break;
      }
      if (feature < sup[j]!) return false;
    }
    if (!found) return false;
  }
  return true;
}

class ExactMatcher implements PlatformMatcher {
  private readonly want: Fields;
  private readonly osVersion: ((candidate: string) => boolean) | undefined;

  constructor(platform: PlatformLike) {
    const f = fields(platform);
    this.want = normalizeFields(f);
    this.osVersion = f.os === 'windows' ? windowsVersionMatcher(f.osVersion) : undefined;
  }

  match(platform: PlatformLike): boolean {
    const raw = fields(platform);
    const n = normalizeFields(raw);
    const w = this.want;
    if (n.os !== w.os || n.arch !== w.arch || n.variant !== w.variant) return false;
    if (this.osVersion !== undefined && !this.osVersion(raw.osVersion)) return false;
    if (n.osFeatures === undefined || n.osFeatures.length === 0) return true;
    return isSortedSubset(n.osFeatures, w.osFeatures ?? []);
  }

  toString(): string {
    return formatPlatformAll(build(this.want));
  }
}

/** Matches ignoring a `win32k` feature of the candidate (older images did not declare it). */
class WindowsStripFeaturesMatcher implements PlatformMatcher {
  constructor(private readonly inner: PlatformMatcher) {}
  match(platform: PlatformLike): boolean {
    const features = platform['os.features'];
    const i = features ? features.indexOf('win32k') : -1;
    if (i < 0) return this.inner.match(platform);
    const rest = [...features!];
    rest.splice(i, 1);
    return this.inner.match({ ...platform, 'os.features': rest });
  }
}

/** On Windows hosts, matching Windows platforms are ranked by descending OS version. */
class WindowsMatchComparer implements PlatformMatchComparer {
  constructor(private readonly inner: PlatformMatcher) {}
  match(platform: PlatformLike): boolean {
    return this.inner.match(platform);
  }
  less(a: PlatformLike, b: PlatformLike): boolean {
    const m1 = this.match(a);
    const m2 = this.match(b);
    if (m1 && m2) return (a['os.version'] ?? '') > (b['os.version'] ?? '');
    return m1 && !m2;
  }
}

/**
 * containerd's `NewMatcher`: equality of normalised OS, architecture and variant; for Windows the
 * OS version must be compatible (and a candidate's `win32k` feature is ignored); the candidate's
 * `os.features` must be a subset of the requested ones.
 */
export function newMatcher(platform: PlatformLike): PlatformMatcher {
  const m = new ExactMatcher(platform);
  if (platform.os !== 'windows') return m;
  const stripped = new WindowsStripFeaturesMatcher(m);
  return hostPlatform().os === 'windows' ? new WindowsMatchComparer(stripped) : stripped;
}

function withoutFeatures(p: PlatformLike): PlatformLike {
  const { 'os.features': _features, ...rest } = p;
  return rest;
}

function featureCount(p: PlatformLike): number {
  return p['os.features']?.length ?? 0;
}

class OrderedComparer implements PlatformMatchComparer {
  constructor(readonly matchers: readonly PlatformMatcher[]) {}

  match(platform: PlatformLike): boolean {
    return this.matchers.some((m) => m.match(platform));
  }

  less(a: PlatformLike, b: PlatformLike): boolean {
    for (const m of this.matchers) {
      const am = m.match(a);
      const bm = m.match(b);
      if (am && !bm) return true;
      if (am || bm) {
        // Both match: prefer the one declaring more features.
        if (am && bm && featureCount(a) !== featureCount(b)) return featureCount(a) > featureCount(b);
        return false;
      }
    }
    if (featureCount(a) > 0 || featureCount(b) > 0) return this.less(withoutFeatures(a), withoutFeatures(b));
    return false;
  }
}

class AnyComparer implements PlatformMatchComparer {
  constructor(readonly matchers: readonly PlatformMatcher[]) {}

  match(platform: PlatformLike): boolean {
    return this.matchers.some((m) => m.match(platform));
  }

  less(a: PlatformLike, b: PlatformLike): boolean {
    let am = false;
    let bm = false;
    for (const m of this.matchers) {
      if (!am && m.match(a)) am = true;
      if (!bm && m.match(b)) bm = true;
      if (am && bm) {
        if (featureCount(a) !== featureCount(b)) return featureCount(a) > featureCount(b);
        break;
      }
    }
    if (!am && !bm && (featureCount(a) > 0 || featureCount(b) > 0)) {
      return this.less(withoutFeatures(a), withoutFeatures(b));
    }
    return am && !bm;
  }
}

class OnlyOSComparer implements PlatformMatchComparer {
  private readonly want: Fields;
  private readonly osVersion: ((candidate: string) => boolean) | undefined;
  private readonly archOrder: OrderedComparer;

  constructor(platform: PlatformLike) {
    this.want = normalizeFields(fields(platform));
    this.osVersion = this.want.os === 'windows' ? windowsVersionMatcher(this.want.osVersion) : undefined;
    this.archOrder = new OrderedComparer([newMatcher(build(this.want))]);
  }

  match(platform: PlatformLike): boolean {
    const raw = fields(platform);
    const n = normalizeFields(raw);
    if (n.os !== this.want.os) return false;
    if (this.osVersion !== undefined && !this.osVersion(raw.osVersion)) return false;
    if (n.osFeatures !== undefined && n.osFeatures.length > 0) {
      return isSortedSubset(n.osFeatures, this.want.osFeatures ?? []);
    }
    return true;
  }

  less(a: PlatformLike, b: PlatformLike): boolean {
    const am = this.match(a);
    const bm = this.match(b);
    if (am && !bm) return true;
    if (!am) return false;
    return this.archOrder.less(a, b);
  }
}

const ARM64_VARIANTS: Readonly<Record<string, { major: number[]; minor: number[] }>> = (() => {
  const table: Record<string, { major: number[]; minor: number[] }> = {};
  table['v8'] = { major: [8], minor: [0] };
  for (let i = 0; i <= 9; i++) table[`v8.${i}`] = { major: [8], minor: [i] };
  // Each arm64 v9.x includes v8.(x+5), capped at v8.9.
  table['v9'] = { major: [9, 8], minor: [0, 5] };
  for (let i = 0; i <= 7; i++) table[`v9.${i}`] = { major: [9, 8], minor: [i, Math.min(i + 5, 9)] };
  return table;
})();

function goAtoi(s: string): number | undefined {
  return /^[+-]?[0-9]+$/.test(s) ? Number(s) : undefined;
}

/**
 * containerd's `platformVector`: the platforms a host of `platform` can run, best first.
 * amd64/vN → amd64/vN…v1, 386; arm/vN → arm/vN…v5; arm64/v9.x → arm64/v9.x…v9, v8.(x+5)…v8,
 * then arm/v8…v5; arm64/v8.x → arm64/v8.x…v8, arm/v8…v5. An unknown arm64 variant yields nothing.
 */
export function platformVector(platform: PlatformLike): Platform[] {
  const p = fields(platform);
  const base = { os: p.os, osVersion: p.osVersion, osFeatures: p.osFeatures };
  const vector: Platform[] = [build(p)];
  switch (p.arch) {
    case 'amd64': {
      const level = goAtoi(p.variant.replace(/^v/, ''));
      if (level !== undefined && level > 1) {
        for (let v = level - 1; v >= 1; v--) vector.push(build({ ...base, arch: 'amd64', variant: `v${v}` }));
      }
      vector.push(build({ ...base, arch: '386', variant: '' }));
      return vector;
    }
    case 'arm': {
      const level = goAtoi(p.variant.replace(/^v/, ''));
      if (level !== undefined && level > 5) {
        for (let v = level - 1; v >= 5; v--) vector.push(build({ ...base, arch: 'arm', variant: `v${v}` }));
      }
      return vector;
    }
    case 'arm64': {
      const variant = p.variant === '' ? 'v8' : p.variant;
      const versions = Object.hasOwn(ARM64_VARIANTS, variant) ? ARM64_VARIANTS[variant] : undefined;
      if (versions === undefined) return [];
      const out: Platform[] = [];
      versions.major.forEach((major, i) => {
        for (let minor = versions.minor[i]!; minor >= 0; minor--) {
          const v = minor === 0 ? `v${major}` : `v${major}.${minor}`;
          out.push(build({ ...base, arch: 'arm64', variant: v }));
        }
      });
      // Every arm64 v8.x/v9.x runs 32-bit arm/v8 and below.
      out.push(...platformVector(build({ ...base, arch: 'arm', variant: 'v8' })));
      return out;
    }
    default:
      return vector;
  }
}

/**
 * containerd's `Only`: matches the platform and everything it can run (see
 * {@link platformVector}), ranking the exact platform first. This is what image pulls use.
 */
export function only(platform: PlatformLike): PlatformMatchComparer {
  return ordered(...platformVector(normalizePlatform(platform)));
}

/** containerd's `OnlyStrict`: the normalised platform only (arm/v7 does not accept v6). */
export function onlyStrict(platform: PlatformLike): PlatformMatchComparer {
  return ordered(normalizePlatform(platform));
}

/**
 * containerd's `OnlyOS`: any architecture of the same OS (and compatible OS version/features),
 * the platform's own architecture ranked first.
 */
export function onlyOS(platform: PlatformLike): PlatformMatchComparer {
  return new OnlyOSComparer(platform);
}

/** containerd's `Ordered`: matches any of the platforms, preferring them in the order given. */
export function ordered(...platforms: PlatformLike[]): PlatformMatchComparer {
  return new OrderedComparer(platforms.map(newMatcher));
}

/** containerd's `Any`: matches any of the platforms with no preference among them. */
export function anyPlatform(...platforms: PlatformLike[]): PlatformMatchComparer {
  return new AnyComparer(platforms.map(newMatcher));
}

/** containerd's `All`: matches everything, no preference. */
export const allPlatforms: PlatformMatchComparer = Object.freeze({
  match: () => true,
  less: () => false,
});

/** containerd's `Default()`: {@link only} of the host's default platform. */
export function defaultMatcher(host: HostPlatform = hostPlatform()): PlatformMatchComparer {
  return only(defaultPlatform(host));
}

/** containerd's `DefaultStrict()`. */
export function defaultStrictMatcher(host: HostPlatform = hostPlatform()): PlatformMatchComparer {
  return onlyStrict(defaultPlatform(host));
}

/**
 * Docker's `OnlyPlatformWithFallback`, used to check a stored image's config platform against a
 * requested one: {@link only}, or — when the image declares no variant — same OS and architecture.
 */
export function onlyWithFallback(platform: PlatformLike): PlatformMatcher {
  const m = only(platform);
  const want = normalizeFields(fields(platform));
  return {
    match(other: PlatformLike): boolean {
      if (m.match(other)) return true;
      if ((other.variant ?? '') !== '') return false;
      const n = normalizeFields(fields(other));
      return want.os === n.os && want.arch === n.arch;
    },
  };
}

function hasPlatform(p: PlatformLike | undefined): p is PlatformLike {
  if (p === undefined) return false;
  return !(
    (p.os ?? '') === '' &&
    (p.architecture ?? '') === '' &&
    (p.variant ?? '') === '' &&
    (p['os.version'] ?? '') === '' &&
    (p['os.features'] ?? undefined) === undefined
  );
}

/**
 * Picks the entries of an image index for a requested platform the way Docker's pull does
 * (`filterManifests`): missing OS/architecture are filled from {@link maximumPlatform}, the result is
 * normalised and matched with {@link only}; entries without a platform always qualify. The result
 * is stably sorted best first (entries without a platform last); the first entry is the one to use.
 */
export function filterManifests<T extends { platform?: PlatformLike }>(
  manifests: readonly T[],
  platform: PlatformLike = {},
  host: HostPlatform = hostPlatform(),
): T[] {
  const wanted = fields(platform);
  if (wanted.os === '' || wanted.arch === '') {
    const def = fields(maximumPlatform(host));
    if (wanted.os === '') wanted.os = def.os;
    if (wanted.arch === '') {
      wanted.arch = def.arch;
      wanted.variant = def.variant;
    }
  }
  const m = only(build(normalizeFields(wanted)));
  const matches = manifests.filter((d) => !hasPlatform(d.platform) || m.match(d.platform));
  const less = (a: T, b: T): boolean => {
    if (!hasPlatform(a.platform)) return false;
    if (!hasPlatform(b.platform)) return true;
    return m.less(a.platform, b.platform);
  };
  return matches.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
}
