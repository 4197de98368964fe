// listImages reads whole columns and merges references through the refs_image index; these
// tests hold it to a plain row-by-row reading of the same tables (the listing as first written),
// on valid stores and on damaged ones that force its fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { EngineCore } from '../../src/engine/engine.js';
import { commitImages, type ImageToCommit } from '../../src/engine/commit-images.js';
import { listImages, referenceMatches } from '../../src/engine/list.js';
import { matchLabels, parseFilters, type Filters } from '../../src/engine/filters.js';
import { familiarRef, familiarRepo } from '../../src/image/familiar.js';
import { parseNormalizedNamed } from '../../src/image/reference.js';
import type { ImageSummary } from '../../src/engine/types.js';
import type { ImageConfig } from '../../src/image/types.js';
import { tempDir } from '../helpers/berth.js';

/** The listing read row by row (no filters needing image lookups: before/since are left out). */
function oracle(store: Store, opts: { all?: boolean; filters?: Filters } = {}): ImageSummary[] {
  const filters = opts.filters ?? new Map<string, string[]>();
  const dangling = filters.get('dangling');
  const danglingOnly = dangling !== undefined && dangling.every((v) => v === 'true');
  const labelFilter = filters.get('label');
  const refPatterns = filters.get('reference');
  const db = store.db;
  const images = db.prepare('SELECT id, created, size, parent, labels FROM images').raw().all() as [string, number, number, string | null, string | null][];
  const refs = db.prepare('SELECT image_id, repo, tag, digest FROM refs ORDER BY name').raw().all() as [string, string, string | null, string | null][];
  const parents = new Set(images.map((r) => r[3]).filter((p) => p !== null));
  const out: (ImageSummary & { ms: number })[] = [];
  for (const [id, created, size, parent, labelsJson] of images) {
    const labels = labelsJson ? (JSON.parse(labelsJson) as Record<string, string>) : null;
    if (labelFilter && !matchLabels(labelFilter, labels)) continue;
    if (danglingOnly && parents.has(id)) continue;
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const [img, repo, tag, digest] of refs) {
      if (img !== id) continue;
      const fam = familiarRef(repo, tag, digest);
      if (refPatterns && !refPatterns.some((p) => referenceMatches(p, fam, familiarRepo(repo)))) continue;
      (tag !== null ? repoTags : repoDigests).push(fam);
    }
    if (repoTags.length === 0 && repoDigests.length === 0) {
      if (!opts.all && parents.has(id)) continue;
      if (dangling && !danglingOnly) continue;
      if (refPatterns) continue;
      repoTags.push('<none>:<none>');
      repoDigests.push('<none>@<none>');
    } else if (danglingOnly && repoTags.length > 0) continue;
    out.push({
      Containers: -1,
      Created: Math.floor(created / 1000),
      Id: id,
      Labels: labels,
      ParentId: parent ?? '',
      RepoDigests: repoDigests,
      RepoTags: repoTags,
      SharedSize: -1,
      Size: size,
      VirtualSize: size,
      ms: created,
    });
  }
  out.sort((a, b) => b.ms - a.ms || (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
  return out.map(({ ms: _ms, ...img }) => img);
}

const canon = (familiar: string) => parseNormalizedNamed(familiar).name;

async function populate(store: Store, count: number): Promise<string[]> {
  const lease = store.lease('test');
  const items: ImageToCommit[] = [];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const config = {
      architecture: 'amd64',
      os: 'linux',
      // Some share a creation time, to exercise the ID tie-break; two far apart make the sort keys wide.
      created:
        i === 3 ? '5000-01-01T00:00:00Z' : i === 4 ? '1960-06-01T00:00:00.5Z' : new Date(Date.UTC(2024, 0, 1) + (i % 7 === 0 ? 0 : i * 61_000)).toISOString(),
      config: i % 3 === 0 ? {} : { Labels: { team: `t${i % 4}`, n: String(i) } },
      rootfs: { type: 'layers', diff_ids: [] },
    };
    const { digest } = await store.content.writeBuffer(lease, Buffer.from(JSON.stringify(config)));
    ids.push(digest);
    const repo = canon(['busybox', 'lab/app', '127.0.0.1:5000/lab/app', 'quay.io/x/y'][i % 4]!);
    const item: ImageToCommit = {
      image: { id: digest, config: config as unknown as ImageConfig, layers: [], parent: i % 11 === 5 ? ids[i - 1] : null },
      tags: i % 5 === 4 ? [] : [{ repo, tag: `v${i}` }, ...(i % 6 === 1 ? [{ repo, tag: 'latest' }, { repo: canon('other'), tag: `o${i}` }] : [])],
      digestRefs: i % 8 === 3 ? [{ repo, digest: `sha256:${String(i).padStart(64, '0')}` }] : [],
    };
    items.push(item);
  }
  store.tx(() => commitImages(store, items));
  store.release(lease);
  return ids;
}

const CASES: { all?: boolean; filters?: string[] }[] = [
  {},
  { all: true },
  { filters: ['dangling=true'] },
  { filters: ['dangling=false'] },
  { filters: ['label=team=t1'] },
  { filters: ['label=team'] },
  { filters: ['reference=lab/*'] },
  { filters: ['reference=*:latest'] },
  { filters: ['reference=busybox', 'label=n'] },
];

function check(store: Store, engine: EngineCore, what: string): void {
  for (const c of CASES) {
    const filters = parseFilters(c.filters ?? []);
    assert.deepEqual(listImages(engine, { all: c.all, filters }), oracle(store, { all: c.all, filters }), `${what}: ${JSON.stringify(c)}`);
  }
}

test('listImages equals the row-by-row listing, on a valid store and on damaged ones', async () => {
  const t = tempDir();
  const root = join(t.dir, 'root');
  try {
    const store = Store.open(root);
    const ids = await populate(store, 240);
    const engine = new EngineCore({ root });
    check(store, engine, 'valid');

    // A reference to an image that is gone is not listed (both paths skip it).
    store.db.prepare("INSERT INTO refs (name, repo, tag, digest, image_id, created) VALUES ('docker.io/lab/app:ghost', 'docker.io/lab/app', 'ghost', NULL, ?, 0)").run(`sha256:${'f'.repeat(64)}`);
    store.db.prepare("INSERT INTO refs (name, repo, tag, digest, image_id, created) VALUES ('docker.io/lab/app:ghost0', 'docker.io/lab/app', 'ghost0', NULL, ?, 0)").run(`sha256:${'0'.repeat(64)}`);
    check(store, engine, 'dangling references');

    // A name that is not repo:tag makes the merge give up and read the columns instead.
    assert.equal(store.db.prepare("UPDATE refs SET name = 'odd-name' WHERE name = 'docker.io/lab/app:v1'").run().changes, 1);
    check(store, engine, 'odd name');

    // A separator inside a value makes the column reading fall back to rows.
    assert.equal(store.db.prepare("UPDATE refs SET name = 'docker.io/lab/app:v\x1f5', tag = 'v\x1f5' WHERE name = 'docker.io/lab/app:v5'").run().changes, 1);
    check(store, engine, 'separator in a name');
    assert.ok(ids.length > 0);

    engine.close();
    store.close();
  } finally {
    t.cleanup();
  }
});

test('an empty store lists nothing', () => {
  const t = tempDir();
  try {
    const engine = new EngineCore({ root: join(t.dir, 'root') });
    assert.deepEqual(listImages(engine, {}), []);
    assert.deepEqual(listImages(engine, { all: true, filters: parseFilters(['label=x']) }), []);
    engine.close();
  } finally {
    t.cleanup();
  }
});
