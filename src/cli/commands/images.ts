import { quickArgs, type CliContext } from '../context.js';
import { compileListQuery, imageSummaries, listingId, needsReferenceGrammar, readListing, type ImageListing } from '../../engine/listing.js';
import { parseFilters } from '../../engine/filters.js';
import { durationKey, durationText, humanSize3, listingRefCells, type RefCell } from '../image-cells.js';

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
  const { parseArgs, collect, FORMAT_HELP } = await import('../args.js');
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
          .option('--format <string>', FORMAT_HELP)
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
    const { filterFlagError } = await import('../args.js');
    throw filterFlagError({ name: 'images', usage: 'berth images [OPTIONS] [REPOSITORY[:TAG]]' }, opts.filter ?? [], '-f, --filter', err);
  }
  if (args[0] !== undefined) filters.set('reference', [...(filters.get('reference') ?? []), args[0]]);
  const trunc = opts.trunc !== false;
  const now = Date.now();
  const source = opts.format ?? '';

  // The default table and -q (docker/cli's NewImageFormat for "" and "table") are what scripts
  // run at scale: they are rendered straight from the listing's columns, without the template
  // engine, byte for byte as the template renderer would (test/cli/images-fast-path.test.ts).
  const engine = ctx.engine();
  const listOpts = { all: opts.all, filters };
  // Only the before, since and reference filters need the reference grammar loaded.
  const query = needsReferenceGrammar(filters) ? (await import('../../engine/list.js')).listQuery(engine, listOpts) : compileListQuery(listOpts);
  if (source === '' || source === 'table') {
    const listing = readListing(engine, query);
    ctx.write(opts.quiet ? renderImagesQuiet(listing, trunc) : await renderImagesTable(listing, { digests: Boolean(opts.digests), trunc, nowMs: now }));
    return 0;
  }

  const list = imageSummaries(readListing(engine, { ...query, details: true }));
  const [{ renderFormatted, newImageFormat, imageHeaders, imageRow, imageRowType }, { imageRefCells }] = await Promise.all([
    import('../format/index.js'),
    import('../image-rows.js'),
  ]);
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
    ctx.write(renderFormatted({ format, headers: { ...imageHeaders }, rows: rows(), rowType: imageRowType }));
  } catch (err) {
    const { CliError } = await import('../errors.js');
    throw new CliError((err as Error).message);
  }
  return 0;
}

// The table and -q are written from the listing's texts (see ImageListing) as bytes: Uint8Array
// reads are what the JIT makes fastest, and the texts are all ASCII whenever the store's names
// are valid (asciiBytes says so, else the generic path runs).

/** The text as bytes, or undefined if it is not all ASCII (then bytes and characters differ). */
function asciiBytes(text: string): Buffer | undefined {
  const b = Buffer.from(text, 'utf8');
  return b.length === text.length ? b : undefined;
}

/** `images -q`: one ID per line of the default table. */
export function renderImagesQuiet(l: ImageListing, trunc: boolean): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < l.length; i++) {
    // formatter.TruncateID: the hex part, at most 12 long.
    const id = trunc ? l.idText.slice(l.idHexFrom[i]!, Math.min(l.idTo[i]!, l.idHexFrom[i]! + 12)) : l.idText.slice(l.idFrom[i]!, l.idTo[i]!);
    // A line per tag; digest references need the cells worked out.
    const start = l.refStart[i]!;
    const end = l.refStart[i + 1]!;
    let n = Math.max(1, end - start);
    for (let r = start; r < end && n > 1; r++) if (l.refIsDigest[r]) n = listingRefCells(l, i, false).length;
    for (let k = 0; k < n; k++) lines.push(id);
  }
  return Buffer.from(lines.length ? lines.join('\n') + '\n' : '', 'utf8');
}

/** Copies src[from .. to) into buf at `at` if it is printable ASCII; false otherwise. */
function putBytes(buf: Buffer, src: Uint8Array, at: number, from: number, to: number): boolean {
  for (let j = from; j < to; j++) {
    const c = src[j]!;
    if (c < 0x20 || c > 0x7e) return false;
    buf[at + j - from] = c;
  }
  return true;
}

function putString(buf: Buffer, s: string, at: number): boolean {
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x20 || c > 0x7e) return false;
    buf[at + j] = c;
  }
  return true;
}

const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * Up to this many lines the table is made of strings with builtins (padEnd, join): the code runs
 * once per process, mostly interpreted, where a builtin call per cell costs less than a loop per
 * character. Above it the loops get compiled and copying bytes into one buffer wins.
 */
const SMALL_TABLE = 2048;

/**
 * The default `images` table (with --digests, the DIGEST column too): docker/cli's
 * tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) over rows that all have the same cells. When every
 * cell is printable ASCII, a column is as wide as its widest cell plus 3 (at least 10) and every
 * cell but the last is padded with spaces to it; anything else goes through the tabwriter
 * itself, which measures display widths.
 */
export async function renderImagesTable(l: ImageListing, o: { digests: boolean; trunc: boolean; nowMs: number }): Promise<Buffer> {
  const t = new ImagesTable(l, o.digests);
  await t.measure(o.trunc, o.nowMs);
  return (t.lines <= SMALL_TABLE ? t.joined() : t.copied()) ?? tabwriterTable(l, o);
}

/** The table measured in one pass over the listing, then written in a second. */
class ImagesTable {
  readonly titles: string[];
  readonly widths: number[];
  /** Column of IMAGE ID (CREATED is the next one). */
  private readonly idColumn: number;
  /**
   * An image with one tag, the common case, is one line made of ranges of the listing's text;
   * the lines of any other are worked out as cells.
   */
  private readonly cells = new Map<number, readonly RefCell[]>();
  private readonly idFrom: Int32Array;
  private readonly idTo: Int32Array;
  private readonly since: string[];
  private readonly sizes: string[];
  lines = 0;
  private sizeBytes = 0;
  constructor(
    private readonly l: ImageListing,
    private readonly digests: boolean,
  ) {
    this.titles = digests ? ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED'] : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED'];
    this.widths = this.titles.map((t) => t.length);
    this.idColumn = digests ? 3 : 2;
    this.idFrom = new Int32Array(l.length);
    this.idTo = new Int32Array(l.length);
    this.since = new Array<string>(l.length);
    this.sizes = new Array<string>(l.length);
  }

  /** Widths, CREATED and SIZE texts; reads only the listing's offsets, in order. */
  async measure(trunc: boolean, nowMs: number): Promise<void> {
    const { l, widths, digests, idColumn } = this;
    // '' marks a size the format library has to spell (see humanSize3).
    const sizeMemo = new Map<number, string>();
    let librarySizes = false;
    let lastKey = -1;
    let lastSince = '';
    for (let i = 0; i < l.length; i++) {
      const r = l.refStart[i]!;
      let n = 1;
      if (l.refStart[i + 1]! - r === 1 && !l.refIsDigest[r]) {
        if (l.refSplit[r]! - l.refFamiliar[r]! > widths[0]!) widths[0] = l.refSplit[r]! - l.refFamiliar[r]!;
        if (l.refTo[r]! - l.refSplit[r]! - 1 > widths[1]!) widths[1] = l.refTo[r]! - l.refSplit[r]! - 1;
        if (digests && widths[2]! < 6) widths[2] = 6;
      } else {
        const cs = listingRefCells(l, i, digests);
        this.cells.set(i, cs);
        n = cs.length;
        for (const c of cs) {
          if (c.repo.length > widths[0]!) widths[0] = c.repo.length;
          if (c.tag.length > widths[1]!) widths[1] = c.tag.length;
          if (digests && c.digest.length > widths[2]!) widths[2] = c.digest.length;
        }
      }
      // formatter.TruncateID: the hex part, at most 12 long.
      const from = trunc ? l.idHexFrom[i]! : l.idFrom[i]!;
      const to = trunc ? Math.min(l.idTo[i]!, from + 12) : l.idTo[i]!;
      this.idFrom[i] = from;
      this.idTo[i] = to;
      if (to - from > widths[idColumn]!) widths[idColumn] = to - from;
      // Newest first: equal CREATED texts are adjacent, so one string serves each run of them.
      const key = durationKey(nowMs - Math.floor(l.createdMs[i]! / 1000) * 1000);
      if (key !== lastKey) {
        lastKey = key;
        lastSince = durationText(key) + ' ago';
        if (lastSince.length > widths[idColumn + 1]!) widths[idColumn + 1] = lastSince.length;
      }
      this.since[i] = lastSince;
      const size = l.size[i]!;
      let s = sizeMemo.get(size);
      if (s === undefined) sizeMemo.set(size, (s = humanSize3(size) ?? ''));
      if (s === '') librarySizes = true;
      this.sizes[i] = s;
      this.sizeBytes += n * s.length;
      this.lines += n;
    }
    if (librarySizes) {
      const { humanSizeWithPrecision } = await import('../format/units.js');
      for (let i = 0; i < l.length; i++) {
        if (this.sizes[i] !== '') continue;
        this.sizes[i] = humanSizeWithPrecision(l.size[i]!, 3);
        this.sizeBytes += (this.cells.get(i)?.length ?? 1) * this.sizes[i]!.length;
      }
    }
    for (let c = 0; c < widths.length; c++) widths[c] = Math.max(10, widths[c]! + 3);
  }

  /** With strings and builtins; undefined if a cell is not printable ASCII. */
  joined(): Buffer | undefined {
    const { l, widths, digests, idColumn } = this;
    const text = l.refText;
    const out = [this.titles.map((t, c) => t.padEnd(widths[c]!)).join('') + 'SIZE'];
    for (let i = 0; i < l.length; i++) {
      const tail = l.idText.slice(this.idFrom[i]!, this.idTo[i]!).padEnd(widths[idColumn]!) + this.since[i]!.padEnd(widths[idColumn + 1]!) + this.sizes[i]!;
      const cs = this.cells.get(i);
      // A line is printable ASCII exactly when each of its cells is.
      let line: string;
      if (!cs) {
        const r = l.refStart[i]!;
        line = text.slice(l.refFamiliar[r]!, l.refSplit[r]!).padEnd(widths[0]!) + text.slice(l.refSplit[r]! + 1, l.refTo[r]!).padEnd(widths[1]!);
        if (digests) line += '<none>'.padEnd(widths[2]!);
        line += tail;
        if (!PRINTABLE.test(line)) return undefined;
        out.push(line);
        continue;
      }
      for (const c of cs) {
        line = c.repo.padEnd(widths[0]!) + c.tag.padEnd(widths[1]!) + (digests ? c.digest.padEnd(widths[2]!) : '') + tail;
        if (!PRINTABLE.test(line)) return undefined;
        out.push(line);
      }
    }
    out.push('');
    return Buffer.from(out.join('\n'), 'latin1');
  }

  /** Bytes copied from the listing's texts into one buffer; undefined if a cell is not printable ASCII. */
  copied(): Buffer | undefined {
    const { l, widths, digests, idColumn } = this;
    const refs = asciiBytes(l.refText);
    const ids = asciiBytes(l.idText);
    if (!refs || !ids) return undefined;
    const rowWidth = widths.reduce((a, b) => a + b, 0);
    const buf = Buffer.alloc((this.lines + 1) * (rowWidth + 1) + this.sizeBytes + 4, 0x20);
    let at = 0;
    this.titles.forEach((t, c) => {
      buf.write(t, at, 'latin1');
      at += widths[c]!;
    });
    at += buf.write('SIZE\n', at, 'latin1');
    let ok = true;
    for (let i = 0; i < l.length && ok; i++) {
      const cs = this.cells.get(i);
      const since = this.since[i]!;
      const size = this.sizes[i]!;
      for (let k = 0; k < (cs ? cs.length : 1); k++) {
        if (cs) {
          const c = cs[k]!;
          ok &&= putString(buf, c.repo, at);
          at += widths[0]!;
          ok &&= putString(buf, c.tag, at);
          at += widths[1]!;
          if (digests) {
            ok &&= putString(buf, c.digest, at);
            at += widths[2]!;
          }
        } else {
          const r = l.refStart[i]!;
          ok &&= putBytes(buf, refs, at, l.refFamiliar[r]!, l.refSplit[r]!);
          at += widths[0]!;
          ok &&= putBytes(buf, refs, at, l.refSplit[r]! + 1, l.refTo[r]!);
          at += widths[1]!;
          if (digests) {
            putString(buf, '<none>', at);
            at += widths[2]!;
          }
        }
        ok &&= putBytes(buf, ids, at, this.idFrom[i]!, this.idTo[i]!);
        at += widths[idColumn]!;
        ok &&= putString(buf, since, at);
        at += widths[idColumn + 1]!;
        ok &&= putString(buf, size, at);
        at += size.length;
        buf[at++] = 0x0a;
      }
    }
    return ok ? buf : undefined;
  }
}

/** docker/cli's own way, through the tabwriter, for cells that are not plain ASCII. */
async function tabwriterTable(l: ImageListing, o: { digests: boolean; trunc: boolean; nowMs: number }): Promise<Buffer> {
  const [{ dockerTableWriter }, { humanSizeWithPrecision }] = await Promise.all([import('../format/tabwriter.js'), import('../format/units.js')]);
  const tw = dockerTableWriter();
  tw.write((o.digests ? 'REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE\n' : 'REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n'));
  for (let i = 0; i < l.length; i++) {
    let id = listingId(l, i);
    if (o.trunc) {
      const c = id.indexOf(':');
      if (c >= 0) id = id.slice(c + 1);
      id = id.slice(0, 12);
    }
    const since = durationText(durationKey(o.nowMs - Math.floor(l.createdMs[i]! / 1000) * 1000)) + ' ago';
    const tail = [id, since, humanSizeWithPrecision(l.size[i]!, 3)];
    for (const c of listingRefCells(l, i, o.digests)) tw.write([c.repo, c.tag, ...(o.digests ? [c.digest] : []), ...tail].join('\t') + '\n');
  }
  return Buffer.from(tw.flush(), 'utf8');
}
