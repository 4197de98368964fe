/**
 * Streaming tar reader: ustar, PAX (x/g), GNU (long names, base-256), old V7 and STAR headers,
 * with the header and format interpretation of Go's archive/tar Reader. Bodies are never
 * buffered; an entry's unread body is skipped when the next entry is requested.
 */
import { Readable } from 'node:stream';
import { invalidArgument } from '../image/errors.js';
import { ByteSource, type ByteInput } from './byte-source.js';
import { decodeRaw } from './raw-string.js';
import {
  BLOCK,
  F,
  FieldError,
  MAX_SPECIAL_FILE,
  blockFormat,
  blockPadding,
  fieldBytes,
  isZeroBlock,
  parseNumeric,
  parsePaxRecords,
  parsePaxTime,
  parseString,
  tarCorrupt,
  validPaxRecord,
  type BlockFormat,
} from './tar-fields.js';
import { TarType, isHeaderOnlyType, type TarFormat, type TarHeader } from './tar-header.js';
import {
  paxSparseMap01,
  paxSparseVersion,
  readOldGnuSparseMap,
  readPaxSparseMap10,
  validateSparse,
  type SparseFragment,
} from './tar-sparse.js';

export interface ReadTarOptions {
  /**
   * Require the end-of-archive marker (default true). Go's reader also accepts input that simply
   * stops at an entry boundary; set false for that leniency. Empty input is always an empty archive.
   */
  requireEndMarker?: boolean;
  /** Read and discard whatever follows the end marker, so digests over the input are complete (default true). */
  drainTrailing?: boolean;
}

export interface TarEntryBody extends AsyncIterable<Buffer> {
  /** Number of bytes the body yields (the logical size; holes of sparse files included). */
  readonly size: number;
  /** Number of body bytes stored in the archive (differs from size only for sparse files). */
  readonly storedSize: number;
  /** The whole body in memory; refuses bodies larger than maxBytes (default 64 MiB). */
  readAll(maxBytes?: number): Promise<Buffer>;
  /** The body as a Readable stream. */
  stream(): Readable;
  /** Skips what is left of the body. */
  discard(): Promise<void>;
}

export interface TarEntry {
  readonly header: TarHeader;
  readonly body: TarEntryBody;
  /** Offset in the input of the entry's first header block (its PAX/GNU extension headers included). */
  readonly offset: number;
  /** The entry's header blocks exactly as read (extension headers and their data included). */
  readonly rawHeader: Buffer;
}

const USTAR = 1;
const PAX = 2;
const GNU = 4;
const XATTR_PREFIX = 'SCHILY.xattr.';
const LIBARCHIVE_XATTR_PREFIX = 'LIBARCHIVE.xattr.';
/** Bound on the extension-header bytes accumulated for one entry (chains of x/L/K headers). */
const MAX_RAW_HEADER = 8 << 20;

class EntryBody implements TarEntryBody {
  /** Stored bytes not yet read. */
  remaining: number;
  /** Logical position, for sparse files. */
  private pos = 0;
  private valid = true;

  constructor(
    private readonly source: ByteSource,
    /** Bytes the entry occupies in the archive (before padding). */
    readonly storedSize: number,
    readonly name: string,
    private readonly sparse?: { fragments: SparseFragment[]; size: number; mapBytes: number },
  ) {
    this.remaining = storedSize - (sparse?.mapBytes ?? 0);
  }

  get size(): number {
    return this.sparse?.size ?? this.storedSize;
  }

  [Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    return this.sparse === undefined ? this.stored(this.remaining) : this.expanded(this.sparse.fragments);
  }

  private check(): void {
    if (!this.valid) throw invalidArgument(`archive/tar: body of ${JSON.stringify(this.name)} read after moving to the next entry`);
  }

  /** Up to n stored bytes. */
  private async *stored(n: number): AsyncGenerator<Buffer> {
    this.check();
    let left = Math.min(n, this.remaining);
    while (left > 0) {
      const chunk = await this.source.readUpTo(left);
      this.check();
      if (chunk === null) throw truncated(`inside the body of ${JSON.stringify(this.name)} (${this.remaining} of ${this.storedSize} bytes missing)`);
      this.remaining -= chunk.length;
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Sparse files: zeros for the holes, stored data for the fragments. */
  private async *expanded(fragments: SparseFragment[]): AsyncGenerator<Buffer> {
    this.check();
    const holeTo = function* (this: EntryBody, end: number): Generator<Buffer> {
      while (this.pos < end) {
        const k = Math.min(end - this.pos, 64 << 10);
        this.pos += k;
        yield Buffer.alloc(k);
        this.check();
      }
    }.bind(this);
    for (const f of fragments) {
      const end = f.offset + f.length;
      if (end <= this.pos) continue;
      yield* holeTo(f.offset);
      for await (const chunk of this.stored(end - this.pos)) {
        this.pos += chunk.length;
        yield chunk;
      }
    }
    yield* holeTo(this.size);
  }

  async readAll(maxBytes = 64 << 20): Promise<Buffer> {
    if (this.size > maxBytes) {
      throw invalidArgument(`archive/tar: ${JSON.stringify(this.name)} is ${this.size} bytes, more than the ${maxBytes} allowed in memory`);
    }
    const parts: Buffer[] = [];
    for await (const c of this) parts.push(c);
    return Buffer.concat(parts);
  }

  stream(): Readable {
    return Readable.from(this, { objectMode: false });
  }

  async discard(): Promise<void> {
    if (this.remaining === 0) return;
    const want = this.remaining;
    const got = await this.source.skip(want);
    this.remaining -= got;
    if (got < want) throw truncated(`inside the body of ${JSON.stringify(this.name)} (${want - got} of ${this.storedSize} bytes missing)`);
  }

  invalidate(): void {
    this.valid = false;
  }
}

function truncated(where: string): Error {
  return tarCorrupt(`unexpected EOF: archive truncated ${where}`);
}

/** Iterates the entries of a tar stream. Breaking out of the loop closes the input. */
export async function* readTar(input: ByteInput, options: ReadTarOptions = {}): AsyncGenerator<TarEntry, void, undefined> {
  const requireEnd = options.requireEndMarker ?? true;
  const source = new ByteSource(input);
  let body: EntryBody | undefined;
  let count = 0;
  try {
    for (;;) {
      if (body !== undefined) {
        body.invalidate();
        await body.discard();
        const pad = blockPadding(body.storedSize);
        const got = await source.skip(pad);
        if (got < pad && requireEnd) throw truncated(`in the padding after ${JSON.stringify(body.name)}`);
        body = undefined;
        if (got < pad) return;
      }
      const next = await readEntryHeader(source, count, requireEnd);
      if (next === undefined) break;
      count++;
      body = new EntryBody(source, next.storedSize, next.header.name, next.sparse);
      yield { header: next.header, body, offset: next.offset, rawHeader: next.raw };
    }
    if (options.drainTrailing ?? true) await source.drain();
  } finally {
    body?.invalidate();
    await source.close();
  }
}

interface ReadHeader {
  header: TarHeader;
  offset: number;
  raw: Buffer;
  storedSize: number;
  sparse?: { fragments: SparseFragment[]; size: number; mapBytes: number };
}

interface ParsedBlock {
  header: TarHeader;
  /** Go's per-block format guess (bit mask) used to compute the entry's final format. */
  goFormat: number;
  blockFormat: BlockFormat;
}

async function readEntryHeader(
  source: ByteSource,
  entriesSoFar: number,
  requireEnd: boolean,
): Promise<ReadHeader | undefined> {
  const offset = source.offset;
  const raw: Buffer[] = [];
  let rawSize = 0;
  let paxRecords: Map<string, Buffer> | undefined;
  let gnuLongName: string | undefined;
  let gnuLongLink: string | undefined;
  let format = USTAR | PAX | GNU;

  for (;;) {
    const blockOffset = source.offset;
    const block = await source.readFull(BLOCK);
    if (block.length === 0) {
      if (raw.length > 0) throw truncated(`after an extension header at offset ${offset}`);
      if (requireEnd && (entriesSoFar > 0 || offset > 0)) {
        throw truncated(`at offset ${blockOffset}: no end-of-archive marker`);
      }
      return undefined;
    }
    if (block.length < BLOCK) throw truncated(`inside a header block at offset ${blockOffset}`);
    if (isZeroBlock(block)) {
      const second = await source.readFull(BLOCK);
      if (second.length === 0 || (second.length === BLOCK && isZeroBlock(second))) return undefined;
      if (second.length < BLOCK) throw truncated(`in the end-of-archive marker at offset ${blockOffset}`);
      throw tarCorrupt(`invalid tar header at offset ${blockOffset + BLOCK}: data after an end-of-archive block`);
    }

    const parsed = parseBlock(block, blockOffset);
    const hdr = parsed.header;
    format &= parsed.goFormat;
    raw.push(block);
    rawSize += BLOCK;

    if (!isHeaderOnlyType(hdr.type) && hdr.size < 0) {
      throw tarCorrupt(`invalid tar header at offset ${blockOffset}: negative size ${hdr.size}`);
    }

    switch (hdr.type) {
      case TarType.PaxHeader:
      case TarType.PaxGlobal: {
        format &= PAX;
        const data = await readSpecialFile(source, hdr, blockOffset, raw);
        rawSize += data.length + blockPadding(data.length);
        if (rawSize > MAX_RAW_HEADER) throw tarCorrupt(`too many extension headers before the entry at offset ${offset}`);
        paxRecords = parsePax(data, blockOffset);
        if (hdr.type === TarType.PaxGlobal) {
          const global: TarHeader = {
            ...blankHeader(),
            name: hdr.name,
            type: TarType.PaxGlobal,
            ...recordsToHeaderMaps(paxRecords),
            ...(formatName(format) !== undefined ? { format: formatName(format)! } : {}),
          };
          return { header: global, offset, raw: Buffer.concat(raw), storedSize: 0 };
        }
        continue;
      }
      case TarType.GnuLongName:
      case TarType.GnuLongLink: {
        format &= GNU;
        const data = await readSpecialFile(source, hdr, blockOffset, raw);
        rawSize += data.length + blockPadding(data.length);
        if (rawSize > MAX_RAW_HEADER) throw tarCorrupt(`too many extension headers before the entry at offset ${offset}`);
        const value = parseString(data);
        if (hdr.type === TarType.GnuLongName) gnuLongName = value;
        else gnuLongLink = value;
        continue;
      }
      default: {
        if (paxRecords !== undefined) mergePax(hdr, paxRecords, blockOffset);
        if (gnuLongName !== undefined && gnuLongName !== '') hdr.name = gnuLongName;
        if (gnuLongLink !== undefined && gnuLongLink !== '') hdr.linkname = gnuLongLink;
        if (hdr.type === TarType.RegA) hdr.type = hdr.name.endsWith('/') ? TarType.Dir : TarType.File;
        if (!isHeaderOnlyType(hdr.type) && hdr.size < 0) {
          throw tarCorrupt(`invalid tar header at offset ${blockOffset}: negative size ${hdr.size}`);
        }
        const storedSize = isHeaderOnlyType(hdr.type) ? 0 : hdr.size;
        let sparse: ReadHeader['sparse'];
        if (hdr.type === TarType.GnuSparse) {
          if (parsed.blockFormat !== 'gnu') throw tarCorrupt(`invalid tar header at offset ${blockOffset}: sparse entry in a non-GNU header`);
          // readOldGnuSparseMap bounds its extension blocks itself
          const m = await readOldGnuSparseMap(block, source, raw, blockOffset);
          hdr.size = m.realSize;
          sparse = { fragments: m.fragments, size: m.realSize, mapBytes: 0 };
        } else if (hdr.pax !== undefined && !isHeaderOnlyType(hdr.type)) {
          const version = paxSparseVersion(hdr.pax);
          if (version !== undefined) {
            format &= PAX;
            if (hdr.pax['GNU.sparse.name']) hdr.name = hdr.pax['GNU.sparse.name'];
            const size = hdr.pax['GNU.sparse.size'] ?? hdr.pax['GNU.sparse.realsize'];
            if (size !== undefined) hdr.size = Number(/^[0-9]+$/.test(size) ? size : NaN);
            if (!Number.isSafeInteger(hdr.size)) throw tarCorrupt(`invalid sparse PAX header at offset ${blockOffset}: bad size`);
            if (version === '1.0') {
              const m = await readPaxSparseMap10(source, storedSize, blockOffset);
              sparse = { fragments: m.fragments, size: hdr.size, mapBytes: m.consumed };
            } else {
              sparse = { fragments: paxSparseMap01(hdr.pax, blockOffset), size: hdr.size, mapBytes: 0 };
            }
          }
        }
        if (sparse !== undefined) validateSparse(sparse.fragments, sparse.size, storedSize - sparse.mapBytes, blockOffset);
        if (format & USTAR && format & PAX) format = USTAR;
        const name = formatName(format);
        if (name !== undefined) hdr.format = name;
        else delete hdr.format;
        return { header: hdr, offset, raw: Buffer.concat(raw), storedSize, ...(sparse !== undefined ? { sparse } : {}) };
      }
    }
  }
}

function formatName(mask: number): TarFormat | undefined {
  if (mask === USTAR) return 'ustar';
  if (mask === PAX) return 'pax';
  if (mask === GNU) return 'gnu';
  return undefined;
}

function blankHeader(): TarHeader {
  return {
    type: TarType.File,
    name: '',
    linkname: '',
    size: 0,
    mode: 0,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime: { sec: 0, nsec: 0 },
    devmajor: 0,
    devminor: 0,
  };
}

/** Reads a PAX header or GNU long name body (bounded) plus its padding, appending both to raw. */
async function readSpecialFile(source: ByteSource, hdr: TarHeader, at: number, raw: Buffer[]): Promise<Buffer> {
  if (hdr.size > MAX_SPECIAL_FILE) {
    throw tarCorrupt(`extension header at offset ${at} is ${hdr.size} bytes, more than the ${MAX_SPECIAL_FILE} allowed`);
  }
  const total = hdr.size + blockPadding(hdr.size);
  const data = await source.readFull(total);
  if (data.length < hdr.size) throw truncated(`inside the extension header at offset ${at}`);
  raw.push(data);
  return data.subarray(0, hdr.size);
}

function parseBlock(block: Buffer, at: number): ParsedBlock {
  const bf = blockFormat(block);
  if (bf === undefined) {
    throw tarCorrupt(`invalid tar header at offset ${at}: ${checksumLooksPresent(block) ? 'checksum mismatch' : 'not a tar header'}`);
  }
  const field = (f: readonly [number, number]): Buffer => fieldBytes(block, f);
  const num = (f: readonly [number, number], name: string): number => {
    try {
      return parseNumeric(field(f));
    } catch (err) {
      throw tarCorrupt(`invalid tar header at offset ${at}: bad ${name} field (${(err as Error).message})`);
    }
  };
  const hdr = blankHeader();
  hdr.type = String.fromCharCode(block[F.typeflag[0]]!);
  hdr.name = parseString(field(F.name));
  hdr.linkname = parseString(field(F.linkname));
  hdr.size = num(F.size, 'size');
  hdr.mode = num(F.mode, 'mode');
  hdr.uid = num(F.uid, 'uid');
  hdr.gid = num(F.gid, 'gid');
  hdr.mtime = { sec: num(F.mtime, 'mtime'), nsec: 0 };

  let goFormat = 0;
  if (bf !== 'v7') {
    hdr.uname = parseString(field(F.uname));
    hdr.gname = parseString(field(F.gname));
    hdr.devmajor = num(F.devmajor, 'devmajor');
    hdr.devminor = num(F.devminor, 'devminor');
    let prefix = '';
    if (bf === 'ustar') {
      goFormat = USTAR | PAX;
      prefix = parseString(field(F.prefix));
      const nulTerminated = [F.size, F.mode, F.uid, F.gid, F.mtime, F.devmajor, F.devminor].every(
        ([off, len]) => block[off + len - 1] === 0,
      );
      if (block.some((c) => c >= 0x80) || !nulTerminated) goFormat = 0;
    } else if (bf === 'star') {
      prefix = parseString(field(F.starPrefix));
      hdr.atime = { sec: num(F.starAtime, 'atime'), nsec: 0 };
      hdr.ctime = { sec: num(F.starCtime, 'ctime'), nsec: 0 };
    } else {
      goFormat = GNU;
      try {
        if (block[F.gnuAtime[0]] !== 0) hdr.atime = { sec: parseNumeric(field(F.gnuAtime)), nsec: 0 };
        if (block[F.gnuCtime[0]] !== 0) hdr.ctime = { sec: parseNumeric(field(F.gnuCtime)), nsec: 0 };
      } catch {
        // Writers before Go 1.8 put a USTAR prefix where GNU keeps atime/ctime.
        delete hdr.atime;
        delete hdr.ctime;
        const p = parseString(field(F.prefix));
        if (!/[^\x01-\x7f]/.test(p)) prefix = p;
        goFormat = 0;
      }
    }
    if (prefix.length > 0) hdr.name = `${prefix}/${hdr.name}`;
  }
  return { header: hdr, goFormat, blockFormat: bf };
}

function checksumLooksPresent(block: Buffer): boolean {
  const f = fieldBytes(block, F.chksum);
  return f.some((c) => c >= 0x30 && c <= 0x37);
}

function parsePax(data: Buffer, at: number): Map<string, Buffer> {
  let records: Array<[Buffer, Buffer]>;
  try {
    records = parsePaxRecords(data);
  } catch (err) {
    throw tarCorrupt(`invalid PAX header at offset ${at}: ${(err as Error).message}`);
  }
  const out = new Map<string, Buffer>();
  // Sparse format 0.0 repeats offset/numbytes records; Go folds them into a 0.1-style map.
  const sparseMap: string[] = [];
  for (const [k, v] of records) {
    const key = decodeRaw(k);
    if (!validPaxRecord(key, v)) throw tarCorrupt(`invalid PAX header at offset ${at}: invalid record ${JSON.stringify(key)}`);
    if (key === 'GNU.sparse.offset' || key === 'GNU.sparse.numbytes') {
      const expected = sparseMap.length % 2 === 0 ? 'GNU.sparse.offset' : 'GNU.sparse.numbytes';
      if (key !== expected || v.includes(0x2c)) throw tarCorrupt(`invalid PAX header at offset ${at}: misordered sparse records`);
      sparseMap.push(v.toString('latin1'));
      continue;
    }
    out.set(key, v);
  }
  if (sparseMap.length > 0) out.set('GNU.sparse.map', Buffer.from(sparseMap.join(','), 'latin1'));
  return out;
}

/** Splits PAX records into the header's xattrs (SCHILY and LIBARCHIVE) and other records. */
function recordsToHeaderMaps(records: Map<string, Buffer>): Pick<TarHeader, 'xattrs' | 'pax'> {
  const pax: Record<string, string> = {};
  const xattrs: Record<string, Buffer> = {};
  const libarchive: Array<[string, string]> = [];
  for (const [k, v] of records) {
    if (k.startsWith(XATTR_PREFIX)) {
      xattrs[k.slice(XATTR_PREFIX.length)] = Buffer.from(v);
      continue;
    }
    const value = decodeRaw(v);
    pax[k] = value;
    if (k.startsWith(LIBARCHIVE_XATTR_PREFIX)) libarchive.push([k.slice(LIBARCHIVE_XATTR_PREFIX.length), value]);
  }
  for (const [encodedName, b64] of libarchive) {
    const name = decodeRaw(percentDecode(encodedName));
    if (!(name in xattrs)) xattrs[name] = Buffer.from(b64, 'base64');
  }
  const out: Pick<TarHeader, 'xattrs' | 'pax'> = {};
  if (Object.keys(pax).length > 0) out.pax = pax;
  if (Object.keys(xattrs).length > 0) out.xattrs = xattrs;
  return out;
}

function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x25 && i + 2 < raw.length && /^[0-9a-fA-F]{2}$/.test(raw.toString('latin1', i + 1, i + 3))) {
      bytes.push(parseInt(raw.toString('latin1', i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  return Buffer.from(bytes);
}

/** Go's mergePAX: records override header fields; empty values keep the header's value. */
function mergePax(hdr: TarHeader, records: Map<string, Buffer>, at: number): void {
  const int = (k: string, v: string): number => {
    if (!/^[+-]?[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw tarCorrupt(`invalid PAX header at offset ${at}: bad ${k} ${JSON.stringify(v)}`);
    }
    return Number(v);
  };
  const time = (k: string, v: string): { sec: number; nsec: number } => {
    try {
      return parsePaxTime(v);
    } catch (err) {
      if (err instanceof FieldError) throw tarCorrupt(`invalid PAX header at offset ${at}: bad ${k} ${JSON.stringify(v)}`);
      throw err;
    }
  };
  for (const [k, raw] of records) {
    if (raw.length === 0) continue;
    if (k.startsWith(XATTR_PREFIX)) continue;
    const v = decodeRaw(raw);
    switch (k) {
      case 'path':
        hdr.name = v;
        break;
      case 'linkpath':
        hdr.linkname = v;
        break;
      case 'uname':
        hdr.uname = v;
        break;
      case 'gname':
        hdr.gname = v;
        break;
      case 'uid':
        hdr.uid = int(k, v);
        break;
      case 'gid':
        hdr.gid = int(k, v);
        break;
      case 'size':
        hdr.size = int(k, v);
        break;
      case 'mtime':
        hdr.mtime = time(k, v);
        break;
      case 'atime':
        hdr.atime = time(k, v);
        break;
      case 'ctime':
        hdr.ctime = time(k, v);
        break;
    }
  }
  Object.assign(hdr, recordsToHeaderMaps(records));
}
