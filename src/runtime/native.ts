/**
 * Loader and types for berth's runtime addon (src/runtime/native, built with node-gyp): pipes,
 * subreaping and waitpid, console sockets, window sizes, mount/umount, syncfs.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { unavailable } from '../image/errors.js';

export type WaitStatus = { code: number } | { signal: number } | { gone: true };

export interface NativeRuntime {
  /** [readFd, writeFd], close-on-exec. */
  pipe(): [number, number];
  setSubreaper(): void;
  /** Non-blocking waitpid: null while the child runs. */
  waitpid(pid: number): WaitStatus | null;
  /** Reaps exited children other than `keep`; returns how many. */
  reapOthers(keep: number[]): number;
  listenUnix(path: string): number;
  /** A file descriptor received on the listening socket, or -1 after timeoutMs. */
  recvFd(listenFd: number, timeoutMs: number): number;
  setWinsize(fd: number, rows: number, cols: number): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null, cwd: string | null): void;
  umount(target: string, flags: number): void;
  syncfs(path: string): void;
  setNonblock(fd: number, on: boolean): void;
  termiosGet(fd: number): Buffer;
  termiosSet(fd: number, saved: Buffer): void;
  termiosRaw(fd: number): void;
}

export const MS_RDONLY = 1;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;
export const MNT_DETACH = 2;

const ADDON = 'berth_runtime.node';

function candidates(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const out: string[] = [];
  if (process.env.BERTH_RUNTIME_ADDON) out.push(process.env.BERTH_RUNTIME_ADDON);
  out.push(`${here}../runtime/native/build/Release/${ADDON}`);
  out.push(`${here}../../../src/runtime/native/build/Release/${ADDON}`);
  return out;
}

let loaded: NativeRuntime | undefined;

export function runtimeNative(): NativeRuntime {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  const tried = candidates();
  for (const p of tried) {
    if (existsSync(p)) {
      loaded = require(p) as NativeRuntime;
      return loaded;
    }
  }
  throw unavailable(
    `berth's runtime addon is not built (looked for ${tried.join(', ')}); build it with: npm run build`,
  );
}
