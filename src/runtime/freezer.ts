/**
 * Whether a container's cgroup is frozen (runc pause), read from the cgroup itself: v2's
 * cgroup.freeze, or v1's freezer.state, under the /berth/<id> cgroup berth gives containers.
 */
import { readFileSync } from 'node:fs';

export function isFrozen(id: string): boolean {
  for (const [file, frozen] of [
    [`/sys/fs/cgroup/berth/${id}/cgroup.freeze`, '1'],
    [`/sys/fs/cgroup/freezer/berth/${id}/freezer.state`, 'FROZEN'],
  ] as const) {
    try {
      return readFileSync(file, 'utf8').trim() === frozen;
    } catch {
      /* not this hierarchy */
    }
  }
  return false;
}
