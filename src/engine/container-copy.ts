/**
 * `cp` between a container and the host: paths inside the container are resolved within its
 * root (symlinks as the container sees them, never out of it), through the root a running
 * container sees (/proc/PID/root, so its tmpfs and bind mounts are included) or, for a stopped
 * one, its layers mounted for the time of the copy.
 */
import { closeSync, constants as fsConstants, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { EngineCore } from './engine.js';
import { conflict, notFound } from '../image/errors.js';
import { loadNative, type NativeStat } from '../archive/native.js';
import { extractTar } from '../archive/extract.js';
import { layerFromDirectory } from '../archive/layer-writer.js';
import { containerFs } from '../runtime/container-files.js';
import { containerEvent, isRunning } from '../runtime/container-store.js';
import { getContainer } from './containers.js';
import { rfc3339Nano } from '../runtime/time.js';

const { S_IFMT, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFBLK, S_IFCHR } = fsConstants;

/** A path of the container: the directory holding it (held open) and its last name. */
export interface ContainerPath {
  /** A host path for the holding directory that stays on it (/proc/self/fd/N). */
  dir: string;
  name: string;
  /** What the path is, or null when it does not exist. */
  stat: NativeStat | null;
  /** The container path finally resolved (the link's target when following). */
  path: string;
}

export const isDirStat = (st: NativeStat | null): boolean => st !== null && (st.mode & S_IFMT) === S_IFDIR;

/** Runs fn with the container's root directory (a host path) and a resolver of paths inside it. */
export async function withContainerRoot<T>(
  engine: EngineCore,
  input: string,
  fn: (resolve: (path: string, follow?: boolean) => ContainerPath) => Promise<T>,
  /** The container event to record, as Docker's daemon does (archive-path, extract-to-dir). */
  action?: 'archive-path' | 'extract-to-dir',
): Promise<T> {
  const row = getContainer(engine, input);
  if (row.state === 'removing' || row.state === 'dead') throw conflict(`container ${row.id} is marked for removal`);
  if (action) engine.store.tx(() => containerEvent(engine.store, row, action));
  const run = async (root: string): Promise<T> => {
    const n = loadNative();
    const rootFd = n.openRoot(root);
    const open: number[] = [rootFd];
    const resolve = (path: string, follow = false): ContainerPath => {
      let p = path;
      for (let hops = 0; ; hops++) {
        const clean = p.replace(/\/+$/, '');
        const slash = clean.lastIndexOf('/');
        const parent = slash <= 0 ? '.' : clean.slice(0, slash).replace(/^\/+/, '') || '.';
        const name = clean.slice(slash + 1) || '.';
        let dirFd: number;
        try {
          dirFd = n.resolveIn(rootFd, parent);
        } catch {
          return { dir: '', name, stat: null, path: p };
        }
        open.push(dirFd);
        const stat = name === '.' ? n.lstatAt(dirFd, '.') : n.lstatAt(dirFd, name);
        if (follow && stat && (stat.mode & S_IFMT) === S_IFLNK && hops < 40) {
          const target = readlinkSync(`/proc/self/fd/${dirFd}/${name}`);
          p = target.startsWith('/') ? target : `${parent}/${target}`;
          continue;
        }
        return { dir: `/proc/self/fd/${dirFd}`, name, stat, path: `/${clean.replace(/^\/+/, '')}` };
      }
    };
    try {
      return await fn(resolve);
    } finally {
      for (const fd of open) closeSync(fd);
    }
  };
  if (isRunning(row) && row.pid > 0) return run(`/proc/${row.pid}/root`);
  return containerFs(engine.store, row).withMerged(run);
}

/** Docker's answer for a container path that does not exist. */
export function containerPathNotFound(path: string, container: string): Error {
  return notFound(`Could not find the file ${path} in container ${container}`);
}

/** A tar of `hostPath` itself, named `as` (Docker's cp archives), owners kept or set to `owner`. */
export function archivePath(hostPath: string, as: string | undefined, owner?: { uid: number; gid: number }): Readable {
  return layerFromDirectory(hostPath, { root: as, owner, xattrs: 'none' });
}

/** Extracts a cp archive into a directory; `chown` keeps the archive's owners. */
export async function extractArchive(tar: Readable | AsyncIterable<Uint8Array>, dir: string, chown: boolean): Promise<void> {
  await extractTar(tar, dir, { chown });
}

/** Go's os.FileMode of a Unix st_mode: the permission bits and Go's type and special bits. */
function goFileMode(mode: number): number {
  let m = mode & 0o777;
  switch (mode & S_IFMT) {
    case S_IFDIR:
      m += 2 ** 31;
      break;
    case S_IFLNK:
      m += 2 ** 27;
      break;
    case S_IFIFO:
      m += 2 ** 25;
      break;
    case S_IFSOCK:
      m += 2 ** 24;
      break;
    case S_IFBLK:
      m += 2 ** 26;
      break;
    case S_IFCHR:
      m += 2 ** 26 + 2 ** 21;
      break;
  }
  if (mode & 0o4000) m += 2 ** 23;
  if (mode & 0o2000) m += 2 ** 22;
  if (mode & 0o1000) m += 2 ** 20;
  return m;
}

/** Docker's container.PathStat (the X-Docker-Container-Path-Stat header of the archive endpoints). */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export function pathStat(p: ContainerPath, target: ContainerPath | undefined): PathStat {
  const st = p.stat!;
  const ns = BigInt(st.mtimeSec) * 1_000_000_000n + BigInt(st.mtimeNsec);
  return {
    name: p.name === '.' ? basename(p.path) || '/' : p.name,
    size: st.size,
    mode: goFileMode(st.mode),
    mtime: rfc3339Nano(ns),
    linkTarget: (st.mode & S_IFMT) === S_IFLNK && target?.stat ? target.path : '',
  };
}
