/** Where a container's files live, and removing them. */
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { runDirFor } from './runc.js';
import { containerEvent, getRow, parseSpec, type ContainerRow } from './container-store.js';
import { ContainerFs } from './container-fs.js';
import type { SnapshotterKind } from './detect.js';

/** Docker's exit code for a container that could not start (setExitCodeFromError). */
export function startFailureCode(message: string): number {
  const m = message.toLowerCase();
  if (m.includes('permission denied') || m.includes('is a directory')) return 126;
  if (m.includes('not a directory')) return 127;
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(m)) return 127;
  return 128;
}

export function containerPaths(store: Store, id: string) {
  const runDir = runDirFor(store.paths.root);
  return {
    dir: join(store.paths.containers, id),
    runDir,
    socket: join(runDir, `${id}.sock`),
    pidFile: join(runDir, `${id}.pid`),
    consoleSocket: join(runDir, `${id}.tty`),
    runtimeLog: join(store.paths.containers, id, 'runtime.log'),
    log: join(store.paths.containers, id, `${id}-json.log`),
  };
}

export function containerFs(store: Store, row: ContainerRow): ContainerFs {
  return new ContainerFs({
    dir: join(store.paths.containers, row.id),
    kind: row.snapshotter as SnapshotterKind,
    snapshotsDir: store.paths.snapshots,
    snapshots: parseSpec(row).Snapshots,
  });
}

/** Deletes a container's row and queues its directory for the sweep. */
export function removeContainer(store: Store, id: string, fs: ContainerFs): void {
  try {
    fs.unmount();
  } catch {
    /* the sweep waits for mounts to go */
  }
  store.tx(() => {
    const row = getRow(store, id);
    if (row) containerEvent(store, row, 'destroy');
    store.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    store.db.prepare("INSERT OR IGNORE INTO trash (kind, key) VALUES ('container', ?)").run(id);
    if (row?.top_layer) store.gc.collect({ layers: [row.top_layer] });
  });
  store.gc.sweep();
}

