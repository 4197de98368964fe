// The default `images` table and `images -q` are written without the template engine and the
// tabwriter; these tests hold them to the generic renderer byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageSummaries, listingFromRows, type ImageListing, type ListingRow } from '../../src/engine/list.js';
import { renderImagesQuiet, renderImagesTable } from '../../src/cli/commands/images.js';
import { durationKey, durationText, humanSize3, listingRefCells, type RefCell } from '../../src/cli/image-cells.js';
import { imageRefCells } from '../../src/cli/image-rows.js';
import {
  DefaultQuietFormat,
  humanDuration,
  humanSizeWithPrecision,
  imageHeaders,
  imageRow,
  imageRowType,
  newImageFormat,
  renderFormatted,
} from '../../src/cli/format/index.js';

/** A small deterministic generator (xorshift32), so failures reproduce. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

const hex = (r: ReturnType<typeof rng>, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[r.int(16)]).join('');

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const REPOS = [
  'docker.io/library/busybox',
  'docker.io/library/alpine',
  'docker.io/lab/small',
  'docker.io/library/a/b',
  'docker.io/libraryx/y',
  'docker.io/dockerx',
  '127.0.0.1:5000/lab/small',
  'registry.example.com:5000/team7/svc-with-a-rather-long-name-for-width',
  'localhost/only',
  'quay.io/org/tool',
];
const SIZES = [0, 1, 999, 1000, 1125, 1135, 1005, 999_500, 999_700, 999_999, 1_000_000, 1_986_000, 12_345_678, 2 ** 40, 1e21, 123.5];

/** Rows of every shape docker's imageFormatTaggedAndDigest distinguishes. */
function generate(seed: number, count: number, repos: readonly string[] = REPOS): ListingRow[] {
  const r = rng(seed);
  const rows: ListingRow[] = [];
  for (let i = 0; i < count; i++) {
    const refs: ListingRow['refs'] = [];
    const shape = r.int(10);
    const digest = () => `sha256:${hex(r, 64)}`;
    if (shape <= 4) refs.push({ repo: r.pick(repos), tag: `v${r.int(1000)}` });
    else if (shape === 5) {
      const repo = r.pick(repos);
      refs.push({ repo, tag: 'latest' }, { repo, tag: `1.${r.int(30)}` }, { repo: r.pick(repos), tag: 'x' });
    } else if (shape === 6) refs.push({ repo: r.pick(repos), digest: digest() });
    else if (shape === 7) {
      const repo = r.pick(repos);
      refs.push({ repo, tag: 'a' }, { repo, digest: digest() }, { repo, digest: digest() }, { repo: r.pick(repos), digest: digest() });
    }
    // shapes 8 and 9: untagged
    // References come in name order within an image, as the store keeps them.
    refs.sort((a, b) => {
      const na = a.tag != null ? `${a.repo}:${a.tag}` : `${a.repo}@${a.digest}`;
      const nb = b.tag != null ? `${b.repo}:${b.tag}` : `${b.repo}@${b.digest}`;
      return na < nb ? -1 : na > nb ? 1 : 0;
    });
    const ageMs = r.pick([0, 500, 1500, 59_000, 61_000, 3_599_000, 5_400_000, 86_400_000, 30 * 86_400_000, 800 * 86_400_000, -5000]) + r.int(1000);
    rows.push({
      id: `sha256:${hex(r, 64)}`,
      createdMs: NOW - ageMs,
      size: r.next() < 0.5 ? r.pick(SIZES) : r.int(5_000_000_000),
      refs,
    });
  }
  // Newest first, as the listing is.
  return rows.sort((a, b) => b.createdMs - a.createdMs);
}

/** The generic path: ImageSummary rows, their cells, imageRow, the Go-template renderer. */
function generic(l: ImageListing, opts: { quiet?: boolean; digests?: boolean; trunc?: boolean }, cells: (i: number, withDigests: boolean) => readonly RefCell[]): string {
  const format = newImageFormat('', Boolean(opts.quiet), Boolean(opts.digests));
  const summaries = imageSummaries(l);
  function* rows() {
    for (let i = 0; i < summaries.length; i++) {
      const img = summaries[i]!;
      for (const c of cells(i, Boolean(opts.digests))) {
        yield imageRow({ ID: img.Id, Created: img.Created, Size: img.Size, SharedSize: img.SharedSize, Containers: img.Containers }, c, {
          trunc: opts.trunc !== false,
          nowMs: NOW,
        });
      }
    }
  }
  return renderFormatted({ format, headers: { ...imageHeaders }, rows: rows(), rowType: imageRowType });
}

test('the cells of a listing are the cells docker derives from RepoTags and RepoDigests', () => {
  const l = listingFromRows(generate(1, 400));
  const summaries = imageSummaries(l);
  for (let i = 0; i < l.length; i++) {
    for (const d of [false, true]) assert.deepEqual(listingRefCells(l, i, d), imageRefCells(summaries[i]!, d), `image ${i}`);
  }
});

test('default table, --digests, --no-trunc and -q match the template renderer byte for byte', async () => {
  // 300 rows take the string path, 2,500 the buffer path.
  for (const [seed, count] of [[2, 300], [3, 300], [4, 2500]] as const) {
    const l = listingFromRows(generate(seed, count));
    const summaries = imageSummaries(l);
    const parsed = (i: number, d: boolean) => imageRefCells(summaries[i]!, d);
    for (const digests of [false, true]) {
      for (const trunc of [true, false]) {
        const fast = (await renderImagesTable(l, { digests, trunc, nowMs: NOW })).toString('utf8');
        assert.equal(fast, generic(l, { digests, trunc }, parsed), `seed ${seed} digests ${digests} trunc ${trunc}`);
      }
    }
    for (const trunc of [true, false]) {
      assert.equal(renderImagesQuiet(l, trunc).toString('utf8'), generic(l, { quiet: true, trunc }, parsed));
    }
    assert.equal(newImageFormat('', true, false), DefaultQuietFormat);
  }
});

test('an empty listing prints the header only', async () => {
  const l = listingFromRows([]);
  const out = (await renderImagesTable(l, { digests: false, trunc: true, nowMs: NOW })).toString();
  assert.equal(out, 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');
  assert.equal(out, generic(l, {}, () => []));
  assert.equal(renderImagesQuiet(l, true).length, 0);
});

test('wide and non-ASCII names go through the tabwriter, which measures display width', async () => {
  // Not valid references (docker would not parse them back), so the generic side takes the
  // listing's own cells; what is compared is the table layout.
  const repos = ['docker.io/library/日本語', 'docker.io/émoji/🐳', 'registry.example.com/ｗｉｄｅ/ｎａｍｅ', 'docker.io/library/plain', 'docker.io/tab\tin/name'];
  for (const [seed, count] of [[5, 200], [6, 2500]] as const) {
    const l = listingFromRows(generate(seed, count, repos));
    const own = (i: number, d: boolean) => listingRefCells(l, i, d);
    for (const digests of [false, true]) {
      const fast = (await renderImagesTable(l, { digests, trunc: true, nowMs: NOW })).toString('utf8');
      assert.equal(fast, generic(l, { digests }, own));
    }
  }
});

test('humanSize3 is units.HumanSizeWithPrecision(size, 3), ties and exponents included', () => {
  const r = rng(7);
  const values = [...SIZES, 1115, 1125, 1375, 2_500, 12_500, 125_500, 999_499, 999_500, 1_005_000, 1_015_000, 9_995_000, 2 ** 53, -1, -1500];
  for (let i = 0; i < 20_000; i++) values.push(r.int(10 ** (1 + r.int(12))));
  for (let d = 1000; d < 1_000_000; d += 5) values.push(d);
  for (const v of values) {
    const fast = humanSize3(v);
    if (fast !== undefined) assert.equal(fast, humanSizeWithPrecision(v, 3), `size ${v}`);
  }
  assert.equal(humanSize3(1125), undefined, 'an exact tie is left to the library');
  assert.equal(humanSize3(999_700), undefined, '999.7kB rounds to 1e+03kB');
});

test('durationKey and durationText spell units.HumanDuration', () => {
  const r = rng(8);
  const values = [-1, 0, 999, 1000, 1999, 2000, 59_999, 60_000, 119_999, 120_000, 3_599_999, 3_600_000, 5_399_999, 5_400_000, 172_799_999, 172_800_000];
  for (let i = 0; i < 20_000; i++) values.push(r.int(10 ** (1 + r.int(12))));
  for (const ms of values) assert.equal(durationText(durationKey(ms)), humanDuration(ms), `${ms} ms`);
});
