/**
 * Reading and creating files inside a container's root file system from the host, with every
 * path — symlinks included — resolved as if the root were "/" (the native addon's
 * RESOLVE_IN_ROOT walk), so an image cannot point berth at a host file.
 */
import { closeSync, constants as fsc, readFileSync, readlinkSync } from 'node:fs';
import { loadNative } from '../archive/native.js';
import { goClean, goJoin } from '../archive/go-path.js';

const MAX_LINKS = 40;

function clean(p: string): string {
  const c = goClean('/' + p);
  return c === '/' ? '' : c.slice(1);
}

function split(rel: string): { dir: string; base: string } {
  const i = rel.lastIndexOf('/');
  return i < 0 ? { dir: '', base: rel } : { dir: rel.slice(0, i), base: rel.slice(i + 1) };
}

/** The contents of a file in the root, or undefined when it does not exist. */
export function readFileIn(root: string, path: string): Buffer | undefined {
  const n = loadNative();
  const rootFd = n.openRoot(root);
  try {
    let rel = clean(path);
    for (let i = 0; i < MAX_LINKS; i++) {
      if (rel === '') return undefined;
      const { dir, base } = split(rel);
      let dirFd: number;
      try {
        dirFd = n.resolveIn(rootFd, dir);
      } catch {
        return undefined;
      }
      try {
        const st = n.lstatAt(dirFd, base);
        if (st === null) return undefined;
        if ((st.mode & fsc.S_IFMT) === fsc.S_IFLNK) {
          const target = readlinkSync(`/proc/self/fd/${dirFd}/${base}`, 'utf8');
          rel = clean(target.startsWith('/') ? target : goJoin(dir, target));
          continue;
        }
        if ((st.mode & fsc.S_IFMT) !== fsc.S_IFREG) return undefined;
        const fd = n.openFileAt(dirFd, base, fsc.O_RDONLY, 0);
        try {
          return readFileSync(fd);
        } finally {
          closeSync(fd);
        }
      } finally {
        closeSync(dirFd);
      }
    }
    return undefined;
  } finally {
    closeSync(rootFd);
  }
}

/** Creates a directory and its missing parents inside the root (like MkdirAllAndChownNew). */
export function mkdirAllIn(root: string, path: string, mode = 0o755, owner?: { uid: number; gid: number }): void {
  const n = loadNative();
  const rootFd = n.openRoot(root);
  try {
    const parts = clean(path).split('/').filter(Boolean);
    let done = '';
    for (const part of parts) {
      const dirFd = n.resolveIn(rootFd, done);
      try {
        const st = n.lstatAt(dirFd, part);
        if (st === null) {
          n.mkdirAt(dirFd, part, mode);
          if (owner) n.lchownAt(dirFd, part, owner.uid, owner.gid);
        }
      } finally {
        closeSync(dirFd);
      }
      done = done === '' ? part : `${done}/${part}`;
    }
  } finally {
    closeSync(rootFd);
  }
}
