import type { EngineCore } from './engine.js';
import { chainIds, type Digest } from '../image/digest.js';
import type { ImageConfig } from '../image/types.js';

export interface CheckProblem {
  kind: 'missing-blob' | 'corrupt-blob' | 'orphan-file' | 'dangling-ref' | 'bad-image' | 'missing-layer' | 'dead-lease' | 'pending-trash';
  /** Leftovers of interrupted work: not an inconsistency, reclaimed by the next collection. */
  reclaimable?: boolean;
  subject: string;
  detail: string;
  repaired?: boolean;
}

export interface CheckReport {
  images: number;
  blobs: number;
  layers: number;
  refs: number;
  problems: CheckProblem[];
}

/**
 * `system check`: verifies every blob against its digest and every reference between rows;
 * with repair, fixes what can be fixed without losing data (dead leases and their leftovers,
 * orphan files, references to images that no longer exist, duplicate layer representations that
 * are corrupt while a good one remains).
 */
export async function checkStore(engine: EngineCore, opts: { repair?: boolean } = {}): Promise<CheckReport> {
  const store = engine.store;
  const db = store.db;
  const problems: CheckProblem[] = [];

  const dead = store.leases.deadLeases();
  for (const id of dead) {
    problems.push({ kind: 'dead-lease', subject: id, detail: 'lease of a process that no longer runs', reclaimable: true });
  }
  if (opts.repair && dead.length) {
    store.gc.opportunistic();
    dead.forEach((_, i) => (problems[problems.length - dead.length + i]!.repaired = true));
  }

  const blobs = db.prepare('SELECT digest, size FROM blobs ORDER BY digest').all() as { digest: Digest; size: number }[];
  const badBlobs = new Set<Digest>();
  for (const b of blobs) {
    const v = await store.content.verify(b.digest);
    if (v !== 'ok') {
      badBlobs.add(b.digest);
      problems.push({
        kind: v === 'missing' ? 'missing-blob' : 'corrupt-blob',
        subject: b.digest,
        detail: v === 'missing' ? 'blob file is missing' : 'blob content does not match its digest',
      });
    }
  }
  for (const f of store.gc.orphanFiles()) {
    problems.push({ kind: 'orphan-file', subject: 'sha256:' + f, detail: 'blob file with no metadata', reclaimable: true });
  }
  const pending = db.prepare('SELECT count(*) FROM trash').pluck().get() as number;
  if (pending) {
    problems.push({ kind: 'pending-trash', subject: `${pending} file(s)`, detail: 'files queued for removal', reclaimable: true });
  }

  const refs = db.prepare('SELECT name, image_id FROM refs WHERE image_id NOT IN (SELECT id FROM images)').all() as { name: string; image_id: string }[];
  for (const r of refs) problems.push({ kind: 'dangling-ref', subject: r.name, detail: `points to missing image ${r.image_id}` });

  const images = db.prepare('SELECT id FROM images').pluck().all() as Digest[];
  for (const id of images) {
    if (badBlobs.has(id)) {
      problems.push({ kind: 'bad-image', subject: id, detail: 'config blob is missing or corrupt' });
      continue;
    }
    let cfg: ImageConfig;
    try {
      cfg = JSON.parse((await store.content.readBuffer(id)).toString('utf8')) as ImageConfig;
    } catch {
      problems.push({ kind: 'bad-image', subject: id, detail: 'config blob is unreadable' });
      continue;
    }
    const expected = chainIds(cfg.rootfs?.diff_ids ?? []);
    const actual = store.meta.layerChain(id);
    if (expected.join() !== actual.join()) {
      problems.push({ kind: 'bad-image', subject: id, detail: 'recorded layers differ from the config rootfs' });
      continue;
    }
    for (const chain of actual) {
      const layer = store.meta.layer(chain);
      if (!layer) {
        problems.push({ kind: 'missing-layer', subject: chain, detail: `layer of image ${id} has no record` });
        continue;
      }
      const reps = store.meta.layerBlobs(layer.diff_id);
      const good = reps.filter((r) => !badBlobs.has(r.blob) && store.content.has(r.blob));
      if (good.length === 0) {
        problems.push({ kind: 'missing-layer', subject: chain, detail: `no intact blob for layer ${layer.diff_id} of image ${id}` });
      }
    }
  }

  if (opts.repair) {
    store.tx(() => {
      for (const p of problems) {
        if (p.kind === 'dangling-ref') {
          store.meta.q.deleteRef.run(p.subject);
          p.repaired = true;
        }
      }
      // A damaged representation of a layer can go when an intact one of the same diff remains.
      for (const d of badBlobs) {
        const rows = db.prepare('SELECT diff_id FROM layer_blobs WHERE blob = ?').pluck().all(d) as Digest[];
        if (rows.length === 0) continue;
        const allHaveOther = rows.every((diff) =>
          store.meta.layerBlobs(diff).some((r) => r.blob !== d && !badBlobs.has(r.blob) && store.content.has(r.blob)),
        );
        if (!allHaveOther) continue;
        db.prepare('DELETE FROM layer_blobs WHERE blob = ?').run(d);
        store.gc.collect({ blobs: [d] });
        for (const p of problems) if (p.subject === d) p.repaired = true;
      }
      const n = store.gc.queueOrphans();
      if (n) for (const p of problems) if (p.kind === 'orphan-file') p.repaired = true;
    });
    store.gc.sweep();
    for (const p of problems) if (p.kind === 'pending-trash') p.repaired = true;
  }

  return {
    images: images.length,
    blobs: blobs.length,
    layers: db.prepare('SELECT count(*) FROM layers').pluck().get() as number,
    refs: db.prepare('SELECT count(*) FROM refs').pluck().get() as number,
    problems,
  };
}
