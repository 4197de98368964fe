import type { DB } from './db.js';
import { writeTx } from './db.js';
import { isProcessAlive, selfStartTime } from './process-identity.js';
import { nodeCrypto } from '../image/lazy-builtins.js';

const randomBytes = (size: number): Buffer => nodeCrypto().randomBytes(size);

export type ResourceKind = 'blob' | 'layer' | 'image' | 'snapshot' | 'container';

export interface Resource {
  kind: ResourceKind;
  key: string;
}

const DEFAULT_TTL_MS = 24 * 3600 * 1000;

/**
 * A lease protects everything a piece of in-flight work writes or reuses from garbage collection,
 * from its first byte until the work's final transaction hands the resources to images and refs.
 * Leases of dead owners (pid + start time no longer running) are ignored and removed by GC.
 */
export class Lease {
  constructor(
    readonly id: string,
    private readonly leases: Leases,
  ) {}

  /** Attach resources; must run inside or outside a transaction (it joins the caller's). */
  attach(kind: ResourceKind, key: string): void {
    this.leases.attach(this.id, kind, key);
  }

  attachMany(resources: Iterable<Resource>): void {
    for (const r of resources) this.leases.attach(this.id, r.kind, r.key);
  }

  /** The ingest file prefix for this lease: files starting with it die with the lease. */
  get ingestPrefix(): string {
    return `${this.id}-`;
  }
}

export class Leases {
  private readonly insertLease;
  private readonly insertResource;
  private readonly deleteResources;
  private readonly deleteLease;
  private readonly selectResources;

  constructor(private readonly db: DB) {
    this.insertLease = db.prepare(
      'INSERT INTO leases (id, pid, start_time, expires, created, purpose) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertResource = db.prepare('INSERT OR IGNORE INTO lease_resources (lease_id, kind, key) VALUES (?, ?, ?)');
    this.deleteResources = db.prepare('DELETE FROM lease_resources WHERE lease_id = ?');
    this.deleteLease = db.prepare('DELETE FROM leases WHERE id = ?');
    this.selectResources = db.prepare('SELECT kind, key FROM lease_resources WHERE lease_id = ?');
  }

  create(purpose: string, ttlMs = DEFAULT_TTL_MS): Lease {
    const id = randomBytes(8).toString('hex');
    const now = Date.now();
    writeTx(this.db, () => {
      this.insertLease.run(id, process.pid, selfStartTime(), now + ttlMs, now, purpose);
    });
    return new Lease(id, this);
  }

  attach(leaseId: string, kind: ResourceKind, key: string): void {
    this.insertResource.run(leaseId, kind, key);
  }

  resources(leaseId: string): Resource[] {
    return this.selectResources.all(leaseId) as Resource[];
  }

  /** Removes the lease row and its resources; returns what it protected (GC candidates). Joins the caller's tx. */
  drop(leaseId: string): Resource[] {
    const res = this.resources(leaseId);
    this.deleteResources.run(leaseId);
    this.deleteLease.run(leaseId);
    return res;
  }

  /** Leases whose owner process is gone or whose time is up. Must run inside a write tx to be acted upon. */
  deadLeases(now = Date.now()): string[] {
    const rows = this.db.prepare('SELECT id, pid, start_time, expires FROM leases').all() as {
      id: string;
      pid: number;
      start_time: string;
      expires: number;
    }[];
    return rows.filter((r) => r.expires < now || !isProcessAlive(r.pid, r.start_time)).map((r) => r.id);
  }

  liveLeaseIds(): Set<string> {
    const rows = this.db.prepare('SELECT id FROM leases').all() as { id: string }[];
    return new Set(rows.map((r) => r.id));
  }
}
