import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

export function haveBusybox(): boolean {
  return existsSync(BUSYBOX);
}

/**
 * Makes a small root filesystem from the real busybox-static binary and packs it as a tarball
 * with GNU tar (reproducible: sorted, fixed mtime and owners). Extra files can be added.
 */
export function makeRootfsTar(dir: string, name = 'rootfs.tar', extra: Record<string, string> = {}): string {
  const root = join(dir, name + '.d');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
  for (const app of ['sh', 'ls', 'cat', 'echo', 'mkdir', 'rm', 'true', 'env', 'sleep']) {
    symlinkSync('busybox', join(root, 'bin', app));
  }
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  for (const [p, content] of Object.entries(extra)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), content);
  }
  const out = join(dir, name);
  execFileSync('tar', ['-C', root, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', out, '.']);
  return out;
}
