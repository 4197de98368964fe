/**
 * How Docker's pkg/archive turns a file into a tar header (FileInfoHeader + addTarFile), in its
 * successive conventions, so berth writes the same bytes Docker writes for layers and for the
 * files of `docker save`:
 *  - Docker 20.10: mode carries S_IF* type bits, uname/gname looked up on the host (os/user)
 *  - Docker 23:    type bits, no name lookups
 *  - Docker 24+:   neither
 * In every version: Format=PAX (so USTAR unless PAX is needed), mtime truncated to the second,
 * no atime/ctime, uid/gid from stat, devmajor/devminor from rdev.
 */
import { readFileSync } from 'node:fs';
import { TarType, type TarHeaderInit, type TarTime } from './tar-header.js';

export interface NameLookup {
  user(uid: number): string;
  group(gid: number): string;
}

export interface HeaderConventions {
  /** Or the S_IF* file type bits into mode (Docker <= 23). */
  typeBits: boolean;
  /** uname/gname: 'none' leaves them empty (Docker >= 23); 'lookup' reads /etc/passwd and /etc/group (Docker 20.10). */
  names: 'none' | 'lookup' | NameLookup;
}

export const CONVENTIONS = {
  docker: { typeBits: false, names: 'none' },
  'docker-23': { typeBits: true, names: 'none' },
  'docker-20.10': { typeBits: true, names: 'lookup' },
} as const satisfies Record<string, HeaderConventions>;

export type ConventionName = keyof typeof CONVENTIONS;

export function resolveConventions(c: HeaderConventions | ConventionName | undefined): HeaderConventions {
  if (c === undefined) return CONVENTIONS.docker;
  return typeof c === 'string' ? CONVENTIONS[c] : c;
}

export type FileKind = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';

/** The stat-like facts a header is made from. */
export interface FileFacts {
  /** Archive path, slash-separated, without a trailing slash. */
  name: string;
  kind: FileKind;
  /** Permission bits with setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Regular files only. */
  size?: number;
  mtime: TarTime;
  /** Symlink target. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const TYPE_BITS: Record<FileKind, number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  char: 0o020000,
  block: 0o060000,
  fifo: 0o010000,
};

const TYPEFLAG: Record<FileKind, string> = {
  file: TarType.File,
  dir: TarType.Dir,
  symlink: TarType.Symlink,
  char: TarType.Char,
  block: TarType.Block,
  fifo: TarType.Fifo,
};

/** Docker's archive.FileInfoHeader for the given facts. */
export function dockerFileHeader(f: FileFacts, conventions: HeaderConventions): TarHeaderInit {
  const perm = f.mode & 0o7777;
  const [uname, gname] = ownerNames(conventions, f.uid, f.gid);
  return {
    name: f.kind === 'dir' && !f.name.endsWith('/') ? `${f.name}/` : f.name,
    type: TYPEFLAG[f.kind],
    linkname: f.kind === 'symlink' ? (f.linkname ?? '') : '',
    size: f.kind === 'file' ? (f.size ?? 0) : 0,
    mode: conventions.typeBits ? perm | TYPE_BITS[f.kind] : perm,
    uid: f.uid,
    gid: f.gid,
    uname,
    gname,
    mtime: { sec: f.mtime.sec, nsec: 0 },
    devmajor: f.kind === 'char' || f.kind === 'block' ? (f.devmajor ?? 0) : 0,
    devminor: f.kind === 'char' || f.kind === 'block' ? (f.devminor ?? 0) : 0,
    format: 'pax',
  };
}

/** uname/gname for an owner under the conventions ('' when names are not recorded). */
export function ownerNames(conventions: HeaderConventions, uid: number, gid: number): [uname: string, gname: string] {
  const names = nameLookup(conventions.names);
  return [names?.user(uid) ?? '', names?.group(gid) ?? ''];
}

function nameLookup(names: HeaderConventions['names']): NameLookup | undefined {
  if (names === 'none') return undefined;
  if (names === 'lookup') return hostNames();
  return names;
}

let cachedHostNames: NameLookup | undefined;

/** uid/gid to names from the host's /etc/passwd and /etc/group, as Go's os/user does; '' if unknown. */
export function hostNames(): NameLookup {
  if (cachedHostNames !== undefined) return cachedHostNames;
  const users = parseIdFile('/etc/passwd');
  const groups = parseIdFile('/etc/group');
  cachedHostNames = { user: (uid) => users.get(uid) ?? '', group: (gid) => groups.get(gid) ?? '' };
  return cachedHostNames;
}

function parseIdFile(path: string): Map<number, string> {
  const out = new Map<number, string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts.length < 3 || line.startsWith('#')) continue;
    const id = Number(parts[2]);
    if (Number.isInteger(id) && !out.has(id)) out.set(id, parts[0]!);
  }
  return out;
}

/** Linux dev_t encoding (glibc's gnu_dev_major/minor), as Go's archive/tar decodes Rdev. */
export function devMajorMinor(rdev: bigint): [major: number, minor: number] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [Number(BigInt.asUintN(32, major)), Number(BigInt.asUintN(32, minor))];
}
