import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mountPointsUnder } from './mountinfo.js';
import type { Lease } from './leases.js';
import { nodeChildProcess } from '../image/lazy-builtins.js';

/** Inside a scratch directory: cgroups (one absolute path a line) whose processes belong to it. */
const CGROUPS_FILE = '.cgroups';
const KILL_WAIT_MS = 5000;

/**
 * Scratch space for work in flight (a build's RUN containers, unpacked sources, temporary
 * outputs): tmp/<lease>-<name>-XXXXXX under the store root. Like ingest files, a directory is
 * named after its lease, so once the lease is gone (released, or its owner died) the collector
 * removes it: it first kills the processes of the cgroups recorded for it (a RUN step still
 * running), removes those cgroups, and detaches whatever is still mounted below it.
 */
export class ScratchSpace {
  constructor(private readonly root: string) {}

  /** A new, empty directory for the lease's work. */
  create(lease: Lease, name: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    return mkdtempSync(join(this.root, `${lease.id}-${name.replace(/[^a-zA-Z0-9_.]/g, '_')}-`));
  }

  /**
   * Records cgroups whose processes belong to a scratch directory: when the directory is
   * reclaimed after its lease died, they are killed and the cgroups removed. Call before the
   * cgroups are created, so no moment exists where they are unknown.
   */
  recordCgroups(dir: string, cgroups: readonly string[]): void {
    appendFileSync(join(dir, CGROUPS_FILE), cgroups.map((c) => c + '\n').join(''));
  }

  /** Removes a scratch directory now, detaching anything still mounted below it first. */
  remove(dir: string): void {
    detachMounts(dir);
    rmSync(dir, { recursive: true, force: true });
  }

  /** Scratch directories whose lease is not among the live ones. */
  dead(live: ReadonlySet<string>): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((n) => !live.has(n.split('-', 1)[0]!)).map((n) => join(this.root, n));
  }

  /**
   * Reclaims directories of dead leases: processes of their cgroups killed, the cgroups removed,
   * mounts detached, files deleted. Lease IDs are never reused, so nothing can claim these
   * directories again and this needs no lock. Returns how many were removed.
   */
  reclaim(dirs: readonly string[]): number {
    let n = 0;
    for (const dir of dirs) {
      try {
        killCgroups(dir);
        this.remove(dir);
        n++;
      } catch {
        // Busy (a process that would not die): a later collection retries.
      }
    }
    return n;
  }
}

function killCgroups(dir: string): void {
  let list: string[];
  try {
    list = readFileSync(join(dir, CGROUPS_FILE), 'utf8').split('\n').filter(Boolean);
  } catch {
    return;
  }
  const procs = (cg: string): number[] => {
    try {
      return readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const deadline = Date.now() + KILL_WAIT_MS;
  for (;;) {
    let alive = 0;
    for (const cg of list) {
      for (const pid of procs(cg)) {
        alive++;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    if (alive === 0 || Date.now() > deadline) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  // Deepest first; a cgroup that still has processes stays (rmdir refuses), to be retried.
  for (const cg of [...list].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(cg);
    } catch {
      // Already gone, or busy.
    }
  }
}

/** Lazily unmounts everything at or below dir (a RUN step's overlay left by a killed build). */
function detachMounts(dir: string): void {
  const mounts = mountPointsUnder(dir);
  // Unmounting is rare (only what a killed process left): the system's umount does it.
  const { spawnSync } = nodeChildProcess();
  for (const m of mounts) spawnSync('umount', ['--lazy', '--', m], { stdio: 'ignore' });
  if (mounts.length && mountPointsUnder(dir).length) throw new Error(`cannot unmount below ${dir}`);
}
