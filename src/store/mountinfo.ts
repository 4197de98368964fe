import { readFileSync } from 'node:fs';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
}

/** The mounts of this process's mount namespace (/proc/self/mountinfo); none when it cannot be read. */
export function readMountInfo(): MountEntry[] {
  let info: string;
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: MountEntry[] = [];
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const sep = line.indexOf(' - ');
    out.push({
      // Octal escapes (\040 for a space) as the kernel writes them.
      mountPoint: mp.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))),
      fsType: sep < 0 ? '' : line.slice(sep + 3).split(' ')[0]!,
    });
  }
  return out;
}

/** Mount points at or below dir, deepest first. */
export function mountPointsUnder(dir: string): string[] {
  return readMountInfo()
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}
