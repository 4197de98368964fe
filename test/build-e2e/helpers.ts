import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { newStore, tempDir, type RunOptions, type RunResult } from '../helpers/berth.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import type { ContainerConfig } from '../../src/image/types.js';

export interface Inspected {
  Id: string;
  Parent: string;
  Config: { [K in keyof ContainerConfig]-?: NonNullable<ContainerConfig[K]> } & { Healthcheck: Record<string, unknown>; OnBuild: string[] | null };
}

export interface BuildStore {
  root: string;
  dir: string;
  berth: (...args: string[]) => Promise<RunResult>;
  run: (args: string[], opts?: RunOptions) => Promise<RunResult & { out: Buffer }>;
  /** Writes a context directory: file contents, or { link } for symlinks. */
  ctx(name: string, files: Record<string, string | { link: string }>): string;
  /** image inspect of one image, parsed. */
  inspect(ref: string): Promise<Inspected>;
  cleanup(): void;
}

/** A store with busybox:local (the busybox-static rootfs), as the fixtures' base image. */
export async function buildStore(): Promise<BuildStore> {
  const s = newStore();
  const t = tempDir('berth-build-');
  const rootfs = makeRootfsTar(t.dir, 'rootfs.tar', { 'etc/group': 'root:x:0:\nstaff:x:50:\n' });
  const r = await s.berth('import', rootfs, 'busybox:local');
  if (r.code !== 0) throw new Error(r.stderr);
  const ctx = (name: string, files: Record<string, string | { link: string }>) => {
    const root = join(t.dir, name);
    mkdirSync(root, { recursive: true });
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      if (typeof c === 'string') writeFileSync(join(root, p), c);
      else symlinkSync(c.link, join(root, p));
    }
    return root;
  };
  return {
    root: s.root,
    dir: t.dir,
    berth: s.berth,
    run: s.run,
    ctx,
    inspect: async (ref) => {
      const r = await s.berth('image', 'inspect', ref);
      if (r.code !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout)[0];
    },
    cleanup: () => {
      s.cleanup();
      t.cleanup();
    },
  };
}

/** Replaces image and container IDs by placeholders, as the fixtures' README asks. */
export function normalizeIds(s: string): string {
  return s.replace(/sha256:[0-9a-f]{64}/g, 'sha256:<id>').replace(/\b[0-9a-f]{12}\b/g, '<id>');
}

export function readText(p: string): string {
  return readFileSync(p, 'utf8');
}

/** Debian's arm64 busybox-static, put there by scripts/install.sh ($BERTH_TEST_ARM64_BUSYBOX elsewhere). */
export const ARM64_BUSYBOX = process.env.BERTH_TEST_ARM64_BUSYBOX ?? '/var/cache/berth/busybox.arm64';

/** A small root filesystem tree made of one busybox binary and links to it, in dir. */
export function busyboxTree(dir: string, busybox: string): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  copyFileSync(busybox, join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const app of ['sh', 'cat', 'echo', 'uname', 'ls', 'test', 'true']) symlinkSync('busybox', join(dir, 'bin', app));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  return dir;
}

/** What is left in a store's scratch space (tmp/): nothing once builds are done or collected. */
export function scratchLeft(root: string): string[] {
  try {
    return readdirSync(join(root, 'tmp'));
  } catch {
    return [];
  }
}

/** Mount points at or below a directory. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(dir + '/')));
}
