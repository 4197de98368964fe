import { readFileSync } from 'node:fs';

/**
 * A process is identified by its pid and its start time (in clock ticks since boot, field 22 of
 * /proc/<pid>/stat), so a recycled pid is never mistaken for the lease owner.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 is rest[19]
  return rest[19];
}

let self: string | undefined;
export function selfStartTime(): string {
  self ??= processStartTime(process.pid) ?? '0';
  return self;
}

export function isProcessAlive(pid: number, startTime: string): boolean {
  const st = processStartTime(pid);
  return st !== undefined && st === startTime;
}
