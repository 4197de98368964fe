import { readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { mountPointsUnder } from './mountinfo.js';
import type { DB } from './db.js';
import { processStartTime } from './process-identity.js';
import { writeTx } from './db.js';
import type { Leases, Resource } from './leases.js';
import type { StorePaths } from './paths.js';
import type { ContentStore } from './content.js';
import type { ScratchSpace } from './scratch.js';
import type { Digest } from '../image/digest.js';

export interface Candidates {
  layers?: Iterable<Digest>;
  blobs?: Iterable<Digest>;
}

export interface Collected {
  /** Chain IDs of layers whose last user went away, top first. */
  layers: Digest[];
  /** Sum of the content sizes of those layers (what Docker reports as reclaimed). */
  layerBytes: number;
  blobs: Digest[];
  /** Bytes of blob files queued for unlinking. */
  bytes: number;
}

/**
 * Garbage collection: metadata is marked and swept inside a write transaction; blob files are
 * queued in `trash` and unlinked by `sweep()` in a later transaction that checks, under the write
 * lock, that nothing claimed them again. A crash anywhere leaves at worst queued or orphaned files,
 * which the next collection removes.
 */
export class GarbageCollector {
  private readonly s;

  constructor(
    private readonly db: DB,
    private readonly paths: StorePaths,
    private readonly leases: Leases,
    private readonly content: ContentStore,
    private readonly scratch: ScratchSpace,
  ) {
    const p = <T = unknown>(sql: string) => db.prepare<unknown[], T>(sql);
    this.s = {
      layer: p<{ diff_id: Digest; parent: Digest | null; size: number }>(
        'SELECT diff_id, parent, size FROM layers WHERE chain_id = ?',
      ),
      layerUsedByImage: p<number>('SELECT 1 FROM image_layers WHERE chain_id = ? LIMIT 1'),
      layerHasChild: p<number>('SELECT 1 FROM layers WHERE parent = ? LIMIT 1'),
      layerCached: p<number>('SELECT 1 FROM build_cache WHERE top_layer = ? LIMIT 1'),
      layerUsedByContainer: p<number>('SELECT 1 FROM containers WHERE top_layer = ? LIMIT 1'),
      snapshotsOfLayer: p<{ name: string }>('DELETE FROM snapshots WHERE chain_id = ? RETURNING name'),
      snapshotExists: p<number>('SELECT 1 FROM snapshots WHERE name = ?'),
      containerExists: p<number>('SELECT 1 FROM containers WHERE id = ?'),
      blobCached: p<number>('SELECT 1 FROM build_cache WHERE image_id = ? LIMIT 1'),
      leased: p<number>('SELECT 1 FROM lease_resources WHERE kind = ? AND key = ? LIMIT 1'),
      deleteLayer: p('DELETE FROM layers WHERE chain_id = ?'),
      diffStillUsed: p<number>('SELECT 1 FROM layers WHERE diff_id = ? LIMIT 1'),
      blobsOfDiff: p<{ blob: Digest }>('SELECT blob FROM layer_blobs WHERE diff_id = ?'),
      deleteLayerBlobs: p('DELETE FROM layer_blobs WHERE diff_id = ?'),
      blobIsImage: p<number>('SELECT 1 FROM images WHERE id = ?'),
      blobIsManifest: p<number>('SELECT 1 FROM image_manifests WHERE digest = ? LIMIT 1'),
      blobIsLayer: p<number>('SELECT 1 FROM layer_blobs WHERE blob = ? LIMIT 1'),
      blobSize: db.prepare<unknown[], number>('SELECT size FROM blobs WHERE digest = ?').pluck(),
      deleteBlob: p('DELETE FROM blobs WHERE digest = ?'),
      trash: p('INSERT OR IGNORE INTO trash (kind, key) VALUES (?, ?)'),
    };
  }

  /**
   * Drops leases whose owners are gone and returns what they protected. Joins the caller's tx.
   */
  reapDeadLeases(): Resource[] {
    const out: Resource[] = [];
    for (const id of this.leases.deadLeases()) out.push(...this.leases.drop(id));
    return out;
  }

  /** Collects the given candidates if nothing uses them any more. Joins the caller's tx. */
  collect(c: Candidates): Collected {
    const result: Collected = { layers: [], layerBytes: 0, blobs: [], bytes: 0 };
    const blobCandidates = new Set<Digest>(c.blobs ?? []);
    const layerQueue = [...(c.layers ?? [])];
    const seenLayers = new Set<Digest>();
    while (layerQueue.length > 0) {
      const chain = layerQueue.shift()!;
      if (seenLayers.has(chain)) continue;
      seenLayers.add(chain);
      const row = this.s.layer.get(chain);
      if (!row) continue;
      if (this.s.layerUsedByImage.get(chain) !== undefined) continue;
      if (this.s.leased.get('layer', chain) !== undefined) continue;
      if (this.s.layerHasChild.get(chain) !== undefined) continue;
      if (this.s.layerCached.get(chain) !== undefined) continue;
      if (this.s.layerUsedByContainer.get(chain) !== undefined) continue;
      this.s.deleteLayer.run(chain);
      for (const r of this.s.snapshotsOfLayer.all(chain)) this.s.trash.run('snapshot', r.name);
      result.layers.push(chain);
      result.layerBytes += row.size;
      if (this.s.diffStillUsed.get(row.diff_id) === undefined) {
        for (const b of this.s.blobsOfDiff.all(row.diff_id)) blobCandidates.add(b.blob);
        this.s.deleteLayerBlobs.run(row.diff_id);
      }
      if (row.parent) layerQueue.push(row.parent);
    }
    for (const d of blobCandidates) {
      if (this.blobInUse(d)) continue;
      const size = this.s.blobSize.get(d);
      this.s.trash.run('blob', d);
      // A file renamed into place by a process that died before recording it has no row.
      if (size === undefined) continue;
      this.s.deleteBlob.run(d);
      result.blobs.push(d);
      result.bytes += size;
    }
    return result;
  }

  private blobInUse(d: Digest): boolean {
    return (
      this.s.blobIsImage.get(d) !== undefined ||
      this.s.blobIsManifest.get(d) !== undefined ||
      this.s.blobIsLayer.get(d) !== undefined ||
      this.s.blobCached.get(d) !== undefined ||
      this.s.leased.get('blob', d) !== undefined
    );
  }

  /** Full mark-and-sweep over the metadata. Joins the caller's tx. */
  markAndSweep(): Collected {
    this.reapDeadLeases();
    const db = this.db;
    const deadLayers = db
      .prepare(
        `WITH RECURSIVE live(c) AS (
           SELECT chain_id FROM image_layers
           UNION SELECT key FROM lease_resources WHERE kind = 'layer'
           UNION SELECT top_layer FROM build_cache WHERE top_layer IS NOT NULL
           UNION SELECT top_layer FROM containers WHERE top_layer IS NOT NULL
           UNION SELECT l.parent FROM layers l JOIN live ON l.chain_id = live.c WHERE l.parent IS NOT NULL
         )
         SELECT chain_id FROM layers WHERE chain_id NOT IN (SELECT c FROM live)`,
      )
      .pluck()
      .all() as Digest[];
    const delLayer = db.prepare('DELETE FROM layers WHERE chain_id = ?');
    for (const c of deadLayers) delLayer.run(c);
    db.prepare('DELETE FROM layer_blobs WHERE diff_id NOT IN (SELECT diff_id FROM layers)').run();
    const deadSnapshots = db
      .prepare(
        `DELETE FROM snapshots WHERE chain_id NOT IN (SELECT chain_id FROM layers)
           AND name NOT IN (SELECT key FROM lease_resources WHERE kind = 'snapshot') RETURNING name`,
      )
      .pluck()
      .all() as string[];
    for (const n of deadSnapshots) this.s.trash.run('snapshot', n);
    const dead = db
      .prepare(
        `SELECT digest, size FROM blobs WHERE digest NOT IN (
           SELECT id FROM images
           UNION SELECT digest FROM image_manifests
           UNION SELECT blob FROM layer_blobs
           UNION SELECT image_id FROM build_cache
           UNION SELECT key FROM lease_resources WHERE kind = 'blob')`,
      )
      .all() as { digest: Digest; size: number }[];
    const result: Collected = { layers: deadLayers, layerBytes: 0, blobs: [], bytes: 0 };
    for (const b of dead) {
      this.s.deleteBlob.run(b.digest);
      this.s.trash.run('blob', b.digest);
      result.blobs.push(b.digest);
      result.bytes += b.size;
    }
    return result;
  }

  /**
   * Unlinks queued files that are still unclaimed, and ingest files of leases that no longer
   * exist. Runs under the write lock so no writer can claim a digest between check and unlink.
   */
  sweep(): number {
    let freed = 0;
    const dirs: string[] = [];
    let scratch: string[] = [];
    writeTx(this.db, () => {
      const rows = this.db.prepare('SELECT kind, key FROM trash').all() as { kind: string; key: string }[];
      const del = this.db.prepare('DELETE FROM trash WHERE kind = ? AND key = ?');
      for (const r of rows) {
        if (r.kind === 'blob' && !this.content.has(r.key) && this.s.leased.get('blob', r.key) === undefined) {
          try {
            unlinkSync(this.content.path(r.key));
            freed++;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        }
        if (r.kind === 'snapshot' || r.kind === 'container') {
          // Directories are renamed aside under the lock and deleted after it.
          const d = this.claimDirectory(r.kind, r.key);
          if (d === null) continue;
          if (d) dirs.push(d);
        }
        del.run(r.kind, r.key);
      }
      this.sweepIngest();
      scratch = this.scratch.dead(this.leases.liveLeaseIds());
    });
    for (const d of dirs) {
      rmSync(d, { recursive: true, force: true });
      freed++;
    }
    // After the lock: reclaiming may wait for processes to die.
    freed += this.scratch.reclaim(scratch);
    if (freed > 0) this.compactDatabase();
    return freed;
  }

  /** Gives freed database pages back to the file system, so space really comes back. */
  compactDatabase(): void {
    try {
      this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy with concurrent readers: a later collection will do it.
    }
  }

  /**
   * For a queued snapshot or container directory still unclaimed: renames it to a .trash name and
   * returns that path ('' when already gone), or null to keep it queued (still claimed, or a
   * mount is still active under it).
   */
  private claimDirectory(kind: 'snapshot' | 'container', key: string): string | null {
    if (!/^[a-z0-9]+$/.test(key)) return '';
    const base = kind === 'snapshot' ? this.paths.snapshots : this.paths.containers;
    if (kind === 'snapshot' && (this.s.snapshotExists.get(key) !== undefined || this.s.leased.get('snapshot', key) !== undefined)) return null;
    if (kind === 'container' && this.s.containerExists.get(key) !== undefined) return null;
    const dir = join(base, key);
    if (mountedUnder(dir)) return null;
    const aside = join(base, `.trash-${key}-${Date.now().toString(36)}`);
    try {
      renameSync(dir, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
    return aside;
  }

  private sweepIngest(): void {
    let names: string[];
    try {
      names = readdirSync(this.paths.ingest);
    } catch {
      return;
    }
    const live = this.leases.liveLeaseIds();
    for (const n of names) {
      const leaseId = n.split('-', 1)[0]!;
      if (!live.has(leaseId)) rmSync(join(this.paths.ingest, n), { force: true, recursive: true });
    }
    // Unpacks of dead leases (.tmp-<lease>-<name>) and directories left renamed aside.
    for (const base of [this.paths.snapshots, this.paths.containers]) {
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      for (const n of names) {
        const probeOfDeadProcess = n.startsWith('.probe-') && processStartTime(Number(n.split('-', 3)[1])) === undefined;
        if (n.startsWith('.trash-') || probeOfDeadProcess || (n.startsWith('.tmp-') && !live.has(n.split('-', 3)[1]!))) {
          try {
            rmSync(join(base, n), { force: true, recursive: true });
          } catch {
            // Still mounted (a process killed mid-mount): a later sweep retries after the unmount.
          }
        }
      }
    }
  }

  /** Snapshot and container directories with no row and no lease claim. */
  orphanDirectories(): { kind: 'snapshot' | 'container'; key: string }[] {
    const out: { kind: 'snapshot' | 'container'; key: string }[] = [];
    const list = (d: string) => {
      try {
        return readdirSync(d).filter((n) => /^[a-z0-9]+$/.test(n));
      } catch {
        return [];
      }
    };
    for (const n of list(this.paths.snapshots)) {
      if (this.s.snapshotExists.get(n) === undefined && this.s.leased.get('snapshot', n) === undefined) out.push({ kind: 'snapshot', key: n });
    }
    for (const n of list(this.paths.containers)) {
      if (this.s.containerExists.get(n) === undefined) out.push({ kind: 'container', key: n });
    }
    return out;
  }

  /** Blob files with no metadata row and no lease claim (left by crashes before the sweep). */
  orphanFiles(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.paths.blobs);
    } catch {
      return [];
    }
    const known = this.db.prepare('SELECT 1 FROM blobs WHERE digest = ?').pluck();
    return names.filter((n) => {
      const d = 'sha256:' + n;
      return known.get(d) === undefined && this.s.leased.get('blob', d) === undefined;
    });
  }

  /** Queues orphan files for the sweep. Joins the caller's tx. */
  queueOrphans(): number {
    const orphans = this.orphanFiles();
    for (const n of orphans) this.s.trash.run('blob', 'sha256:' + n);
    const dirs = this.orphanDirectories();
    for (const d of dirs) this.s.trash.run(d.kind, d.key);
    return orphans.length + dirs.length;
  }

  /** Full collection: dead leases, unreferenced metadata, orphan files; then the sweep. */
  run(): Collected {
    const res = writeTx(this.db, () => {
      const r = this.markAndSweep();
      this.queueOrphans();
      return r;
    });
    this.sweep();
    return res;
  }

  /**
   * Cheap collection for the end of every write command: only when a dead lease or queued trash
   * exists does it do any work.
   */
  opportunistic(): void {
    const pending = this.db.prepare('SELECT 1 FROM trash LIMIT 1').get() !== undefined;
    const dead = this.leases.deadLeases().length > 0;
    if (!pending && !dead) return;
    if (dead) {
      writeTx(this.db, () => {
        const res = this.reapDeadLeases();
        this.collect({
          layers: res.filter((r) => r.kind === 'layer').map((r) => r.key),
          blobs: res.filter((r) => r.kind === 'blob').map((r) => r.key),
        });
      });
    }
    this.sweep();
  }
}

/** Whether anything is mounted at or below dir (a container's root file system, say). */
function mountedUnder(dir: string): boolean {
  return mountPointsUnder(dir).length > 0;
}
