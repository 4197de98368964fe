/**
 * Snapshots: image layers unpacked once into directories shared by every container and build
 * step that uses them, created lazily under a lease and recorded only once complete.
 *
 * - overlay: snapshots/<name> holds one layer's content with overlay whiteouts (0/0 character
 *   devices, trusted.overlay.opaque on directories); a container mounts them as lower layers.
 * - copy (where overlay is not available): snapshots/<name> holds the whole file system up to
 *   and including that layer, with whiteouts applied; a container copies the top one.
 *
 * Names are short base-36 numbers from a counter that never goes back, so a name is never
 * reused: once its row is gone nothing can claim the directory again, and the sweep may delete it.
 * An unpack happens in snapshots/.tmp-<lease>-<name>, is synced to disk, renamed into place, and
 * only then recorded; a crash leaves a temporary directory of a dead lease, which GC removes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Store, Lease } from '../store/store.js';
import type { Digest } from '../image/digest.js';
import { fsyncDir } from '../store/durable.js';
import { BerthError, corrupt, notFound } from '../image/errors.js';
import { decompressAuto } from '../archive/compression.js';
import { extractTar } from '../archive/extract.js';
import { chooseSnapshotter, type SnapshotterKind } from './detect.js';
import { runtimeNative } from './native.js';

export interface SnapshotRow {
  name: string;
  chain_id: Digest;
  kind: SnapshotterKind;
  size: number;
  created: number;
}

export class Snapshots {
  readonly kind: SnapshotterKind;
  readonly root: string;

  constructor(
    readonly store: Store,
    kind?: SnapshotterKind,
  ) {
    this.root = store.paths.snapshots;
    this.kind = kind ?? chooseSnapshotter(this.root);
  }

  dir(name: string): string {
    return join(this.root, name);
  }

  find(chainId: Digest): SnapshotRow | undefined {
    return this.store.db.prepare('SELECT * FROM snapshots WHERE chain_id = ? AND kind = ?').get(chainId, this.kind) as SnapshotRow | undefined;
  }

  /**
   * Makes sure every layer of a chain (bottom first) is unpacked, with the layers protected by
   * the lease; returns the snapshot names, bottom first.
   */
  async prepare(lease: Lease, chain: readonly Digest[]): Promise<string[]> {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    // One transaction claims every layer and finds what is already unpacked: with hundreds of
    // layers, a transaction (and fsync) per layer would dominate the start of a container.
    const rows = this.store.tx(() =>
      chain.map((chainId) => {
        lease.attach('layer', chainId);
        if (!this.store.meta.layer(chainId)) throw notFound(`layer ${chainId} not found in the store`);
        return this.find(chainId);
      }),
    );
    const names: string[] = [];
    for (let i = 0; i < chain.length; i++) {
      const row = rows[i];
      if (row && existsSync(this.dir(row.name))) {
        names.push(row.name);
        continue;
      }
      names.push(await this.unpack(lease, chain[i]!, i > 0 ? names[i - 1]! : undefined, row?.name));
    }
    return names;
  }

  private allocateName(lease: Lease): string {
    return this.store.tx(() => {
      const db = this.store.db;
      db.prepare("INSERT INTO counters (name, value) VALUES ('snapshot', 0) ON CONFLICT(name) DO NOTHING").run();
      const v = (db.prepare("UPDATE counters SET value = value + 1 WHERE name = 'snapshot' RETURNING value").pluck().get() as number);
      const name = v.toString(36);
      lease.attach('snapshot', name);
      return name;
    });
  }

  private async unpack(lease: Lease, chainId: Digest, parent: string | undefined, stale: string | undefined): Promise<string> {
    const store = this.store;
    const layer = store.meta.layer(chainId)!;
    const blobs = store.meta.layerBlobs(layer.diff_id);
    if (blobs.length === 0) throw corrupt(`layer ${layer.diff_id} has no stored blob`);
    const blob = blobs.find((b) => b.blob === layer.diff_id) ?? blobs[0]!;
    const name = this.allocateName(lease);
    const tmp = join(this.root, `.tmp-${lease.id}-${name}`);
    rmSync(tmp, { recursive: true, force: true });
    let size = 0;
    try {
      if (this.kind === 'copy' && parent !== undefined) {
        const r = spawnSync('cp', ['-a', '--preserve=all', '--', this.dir(parent), tmp], { encoding: 'utf8' });
        if (r.status !== 0) throw new BerthError('internal', `cannot copy snapshot ${parent}: ${r.stderr.trim()}`);
      } else {
        mkdirSync(tmp, { mode: 0o755 });
      }
      const { stream } = await decompressAuto(store.content.createReadStream(blob.blob));
      const res = await extractTar(stream as AsyncIterable<Buffer>, tmp, { whiteouts: this.kind === 'overlay' ? 'overlay' : 'apply' });
      size = res.size;
      runtimeNative().syncfs(tmp);
      const final = this.dir(name);
      renameSync(tmp, final);
      fsyncDir(this.root);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (err instanceof BerthError) throw err;
      throw new BerthError('internal', `cannot unpack layer ${layer.diff_id}: ${(err as Error).message}`, { cause: err });
    }
    return store.tx(() => {
      const db = store.db;
      // A row whose directory went missing (removed by hand) is replaced.
      if (stale !== undefined) {
        const cur = this.find(chainId);
        if (cur?.name === stale) {
          db.prepare('DELETE FROM snapshots WHERE name = ?').run(stale);
          db.prepare("INSERT OR IGNORE INTO trash (kind, key) VALUES ('snapshot', ?)").run(stale);
        }
      }
      const res = db
        .prepare('INSERT OR IGNORE INTO snapshots (name, chain_id, kind, size, created) VALUES (?, ?, ?, ?, ?)')
        .run(name, chainId, this.kind, size, Date.now());
      if (res.changes > 0) return name;
      // Another process unpacked the same layer first: use its snapshot, drop ours.
      db.prepare("INSERT OR IGNORE INTO trash (kind, key) VALUES ('snapshot', ?)").run(name);
      return this.find(chainId)!.name;
    });
  }
}
