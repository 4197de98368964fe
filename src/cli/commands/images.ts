import type { CliContext } from '../context.js';
import { quickArgs } from '../fast-args.js';
import { listImageColumns, listImages, type ImageListing } from '../../engine/list.js';
import { parseFilters } from '../../engine/filters.js';
import { CliError } from '../errors.js';
import { durationKey, durationText, humanSize3, imageRefCells, listingRefCells } from '../image-rows.js';
import { familiarRepo } from '../../image/familiar.js';

type ImagesOpts = {
  all?: boolean;
  digests?: boolean;
  filter?: string[];
  format?: string;
  trunc?: boolean;
  quiet?: boolean;
};

const QUICK = {
  flags: { '-a': 'all', '--all': 'all', '--digests': 'digests', '--no-trunc': 'trunc', '-q': 'quiet', '--quiet': 'quiet' },
  values: { '-f': { key: 'filter', repeat: true }, '--filter': { key: 'filter', repeat: true }, '--format': { key: 'format' } },
  args: { min: 0, max: 1 },
};

async function parse(argv: string[]): Promise<{ opts: ImagesOpts; args: string[] }> {
  const quick = quickArgs<ImagesOpts>(argv, QUICK);
  if (quick) return quick;
  const { parseArgs, collect } = await import('../args.js');
  return parseArgs<ImagesOpts>(
    {
      name: 'images',
      usage: 'berth images [OPTIONS] [REPOSITORY[:TAG]]',
      description: 'List images',
      args: { min: 0, max: 1 },
      options: (c) =>
        c
          .option('-a, --all', 'Show all images (default hides intermediate images)')
          .option('--digests', 'Show digests')
          .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
          .option('--format <string>', 'Format output using a custom template')
          .option('--no-trunc', "Don't truncate output")
          .option('-q, --quiet', 'Only show image IDs'),
    },
    argv,
  );
}

export default async function images(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = await parse(argv);
  let filters;
  try {
    filters = parseFilters(opts.filter ?? []);
  } catch (err) {
    throw new CliError(`invalid argument "${opts.filter?.at(-1)}" for "-f, --filter" flag: ${(err as Error).message}\nSee 'berth images --help'.`, 125);
  }
  if (args[0] !== undefined) filters.set('reference', [...(filters.get('reference') ?? []), args[0]]);
  const trunc = opts.trunc !== false;
  const now = Date.now();
  const source = opts.format ?? '';

  // The default table and -q (docker/cli's NewImageFormat for "" and "table") are what scripts
  // run at scale: they are rendered straight from the listing's columns, without the template
  // engine, byte for byte as the template renderer would (test/cli/images-fast-path.test.ts).
  if (source === '' || source === 'table') {
    const listing = listImageColumns(ctx.engine(), { all: opts.all, filters });
    ctx.out.write(opts.quiet ? renderImagesQuiet(listing, trunc) : await renderImagesTable(listing, { digests: Boolean(opts.digests), trunc, nowMs: now }));
    return 0;
  }

  const list = listImages(ctx.engine(), { all: opts.all, filters });
  const { renderFormatted, newImageFormat, imageHeaders, imageRow, imageRowType } = await import('../format/index.js');
  const format = newImageFormat(source, Boolean(opts.quiet), Boolean(opts.digests));
  const rows = function* () {
    for (const img of list) {
      for (const c of imageRefCells(img, Boolean(opts.digests) || format.includes('.Digest'))) {
        yield imageRow({ ID: img.Id, Created: img.Created, Size: img.Size, SharedSize: img.SharedSize, Containers: img.Containers }, c, {
          trunc,
          nowMs: now,
        });
      }
    }
  };
  try {
    ctx.out.write(renderFormatted({ format, headers: { ...imageHeaders }, rows: rows(), rowType: imageRowType }));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return 0;
}

/** formatter.TruncateID */
function truncateId(id: string): string {
  const i = id.indexOf(':');
  const hex = i >= 0 ? id.slice(i + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/** familiarRepo, remembered: a repository's references come in a run sharing one string. */
function memoFamiliar(): (repo: string) => string {
  const memo = new Map<string, string>();
  let last = '';
  let lastFamiliar = '';
  return (repo) => {
    if (repo === last) return lastFamiliar;
    let f = memo.get(repo);
    if (f === undefined) memo.set(repo, (f = familiarRepo(repo)));
    last = repo;
    lastFamiliar = f;
    return f;
  };
}

/** `images -q`: one ID per line of the default table. */
export function renderImagesQuiet(l: ImageListing, trunc: boolean): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < l.length; i++) {
    const id = trunc ? truncateId(l.id[i]!) : l.id[i]!;
    const n = l.refStart[i + 1]! - l.refStart[i]! <= 1 ? 1 : listingRefCells(l, i, false).length;
    for (let k = 0; k < n; k++) lines.push(id);
  }
  return Buffer.from(lines.length ? lines.join('\n') + '\n' : '', 'utf8');
}

/** Copies s[from .. to) into buf at `at` if it is printable ASCII; false otherwise. */
function putAscii(buf: Buffer, s: string, at: number, from = 0, to = s.length): boolean {
  for (let j = from; j < to; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x20 || c > 0x7e) return false;
    buf[at + j - from] = c;
  }
  return true;
}

/**
 * The default `images` table (with --digests, the DIGEST column too): docker/cli's
 * tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) over rows that all have the same cells. When every
 * cell is printable ASCII, a column is as wide as its widest cell plus 3 (at least 10) and every
 * cell but the last is padded with spaces to it, which is written straight into one buffer;
 * anything else goes through the tabwriter itself, which measures display widths.
 */
export async function renderImagesTable(l: ImageListing, o: { digests: boolean; trunc: boolean; nowMs: number }): Promise<Buffer> {
  const familiar = memoFamiliar();
  const header = o.digests ? ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE'] : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];

  // The lines: one per (repository, tag[, digest]) of each image, the one-tag image inline.
  const repos: string[] = [];
  const tags: string[] = [];
  const digests: string[] = [];
  const owner: number[] = [];
  for (let i = 0; i < l.length; i++) {
    const s = l.refStart[i]!;
    if (l.refStart[i + 1]! - s === 1 && l.refTag[s] !== null) {
      repos.push(familiar(l.refRepo[s]!));
      tags.push(l.refTag[s]!);
      if (o.digests) digests.push('<none>');
      owner.push(i);
      continue;
    }
    for (const c of listingRefCells(l, i, o.digests, familiar)) {
      repos.push(c.repo);
      tags.push(c.tag);
      if (o.digests) digests.push(c.digest);
      owner.push(i);
    }
  }

  // Per image: the ID (a range of l.id[i], not copied), CREATED and SIZE.
  const idFrom = new Int32Array(l.length);
  const idTo = new Int32Array(l.length);
  const since: string[] = new Array(l.length);
  const sizes: string[] = new Array(l.length);
  const sizeMemo = new Map<number, string | undefined>();
  let librarySizes = false;
  let lastKey = -1;
  let lastSince = '';
  for (let i = 0; i < l.length; i++) {
    const id = l.id[i]!;
    if (o.trunc) {
      const c = id.indexOf(':');
      idFrom[i] = c + 1;
      idTo[i] = Math.min(id.length, c + 13);
    } else idTo[i] = id.length;
    // Newest first: equal CREATED texts are adjacent, so one string serves a run of them.
    const key = durationKey(o.nowMs - Math.floor(l.createdMs[i]! / 1000) * 1000);
    if (key !== lastKey) {
      lastKey = key;
      lastSince = durationText(key) + ' ago';
    }
    since[i] = lastSince;
    const size = l.size[i]!;
    let s = sizeMemo.get(size);
    if (s === undefined && !sizeMemo.has(size)) sizeMemo.set(size, (s = humanSize3(size)));
    if (s === undefined) librarySizes = true;
    else sizes[i] = s;
  }
  if (librarySizes) {
    const { humanSizeWithPrecision } = await import('../format/units.js');
    for (let i = 0; i < l.length; i++) sizes[i] ??= humanSizeWithPrecision(l.size[i]!, 3);
  }

  const rowCols = o.digests ? [repos, tags, digests] : [repos, tags];
  const nrow = rowCols.length;
  const widths = header.slice(0, -1).map((h) => h.length);
  for (let c = 0; c < nrow; c++) for (const s of rowCols[c]!) if (s.length > widths[c]!) widths[c] = s.length;
  for (let i = 0; i < l.length; i++) {
    if (idTo[i]! - idFrom[i]! > widths[nrow]!) widths[nrow] = idTo[i]! - idFrom[i]!;
    if (since[i]!.length > widths[nrow + 1]!) widths[nrow + 1] = since[i]!.length;
  }
  for (let c = 0; c < widths.length; c++) widths[c] = Math.max(10, widths[c]! + 3);
  const rowWidth = widths.reduce((a, b) => a + b, 0);
  let total = rowWidth + header[header.length - 1]!.length + 1;
  for (let r = 0; r < owner.length; r++) total += rowWidth + sizes[owner[r]!]!.length + 1;

  const buf = Buffer.alloc(total, 0x20);
  let at = 0;
  let ok = true;
  for (let c = 0; c < header.length; c++) {
    buf.write(header[c]!, at, 'latin1');
    at += c < widths.length ? widths[c]! : header[c]!.length;
  }
  buf[at++] = 0x0a;
  for (let r = 0; r < owner.length && ok; r++) {
    const i = owner[r]!;
    for (let c = 0; c < nrow; c++) {
      ok &&= putAscii(buf, rowCols[c]![r]!, at);
      at += widths[c]!;
    }
    ok &&= putAscii(buf, l.id[i]!, at, idFrom[i]!, idTo[i]!);
    at += widths[nrow]!;
    ok &&= putAscii(buf, since[i]!, at);
    at += widths[nrow + 1]!;
    ok &&= putAscii(buf, sizes[i]!, at);
    at += sizes[i]!.length;
    buf[at++] = 0x0a;
  }
  if (ok) return buf;

  const { dockerTableWriter } = await import('../format/tabwriter.js');
  const tw = dockerTableWriter();
  tw.write(header.join('\t') + '\n');
  for (let r = 0; r < owner.length; r++) {
    const i = owner[r]!;
    tw.write([...rowCols.map((col) => col[r]!), l.id[i]!.slice(idFrom[i]!, idTo[i]!), since[i]!, sizes[i]!].join('\t') + '\n');
  }
  return Buffer.from(tw.flush(), 'utf8');
}
