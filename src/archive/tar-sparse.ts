/**
 * GNU sparse files, read the way Go's archive/tar reads them: the old GNU 'S' header with its
 * extension blocks, and the PAX encodings 0.0, 0.1 (map in records) and 1.0 (map at the start of
 * the data). The stored data is the concatenation of the data fragments; holes read as zeros.
 */
import type { ByteSource } from './byte-source.js';
import { BLOCK, FieldError, MAX_SPECIAL_FILE, parseNumeric, tarCorrupt } from './tar-fields.js';

export interface SparseFragment {
  offset: number;
  length: number;
}

const OLD_GNU_MAP = 386;
const OLD_GNU_ENTRIES = 4;
const OLD_GNU_IS_EXTENDED = 482;
const EXT_ENTRIES = 21;
const EXT_IS_EXTENDED = 504;

function parseEntries(block: Buffer, start: number, count: number, out: SparseFragment[]): void {
  for (let i = 0; i < count; i++) {
    const off = start + i * 24;
    if (block[off] === 0) break; // same end condition as GNU and BSD tar
    out.push({ offset: parseNumeric(block.subarray(off, off + 12)), length: parseNumeric(block.subarray(off + 12, off + 24)) });
  }
}

/**
 * The map of an old GNU sparse header, reading its extension blocks from source (appended to raw).
 * Returns the fragments and the real (logical) size.
 */
export async function readOldGnuSparseMap(
  block: Buffer,
  source: ByteSource,
  raw: Buffer[],
  at: number,
): Promise<{ fragments: SparseFragment[]; realSize: number }> {
  const fragments: SparseFragment[] = [];
  let extensionBytes = 0;
  try {
    const realSize = parseNumeric(block.subarray(483, 495));
    parseEntries(block, OLD_GNU_MAP, OLD_GNU_ENTRIES, fragments);
    let extended = block[OLD_GNU_IS_EXTENDED] !== 0;
    while (extended) {
      const ext = await source.readFull(BLOCK);
      if (ext.length < BLOCK) throw tarCorrupt(`unexpected EOF: archive truncated in the sparse map at offset ${at}`);
      raw.push(ext);
      extensionBytes += BLOCK;
      if (extensionBytes > MAX_SPECIAL_FILE) throw tarCorrupt(`sparse map at offset ${at} is too large`);
      parseEntries(ext, 0, EXT_ENTRIES, fragments);
      extended = ext[EXT_IS_EXTENDED] !== 0;
    }
    return { fragments, realSize };
  } catch (err) {
    if (err instanceof FieldError) throw tarCorrupt(`invalid sparse header at offset ${at}: ${err.message}`);
    throw err;
  }
}

function int(s: string | undefined, what: string, at: number): number {
  if (s === undefined || !/^[+-]?[0-9]+$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw tarCorrupt(`invalid sparse PAX header at offset ${at}: bad ${what} ${JSON.stringify(s)}`);
  }
  return Number(s);
}

/** Which PAX sparse encoding the records use, as Go decides; undefined when not sparse (or unknown). */
export function paxSparseVersion(records: Record<string, string>): '0.x' | '1.0' | undefined {
  const major = records['GNU.sparse.major'];
  const minor = records['GNU.sparse.minor'];
  if (major === '0' && (minor === '0' || minor === '1')) return '0.x';
  if (major === '1' && minor === '0') return '1.0';
  if (major !== undefined || minor !== undefined) return undefined;
  return records['GNU.sparse.map'] !== undefined && records['GNU.sparse.map'] !== '' ? '0.x' : undefined;
}

/** The map of PAX sparse formats 0.0 and 0.1 ("offset,length,offset,length..."). */
export function paxSparseMap01(records: Record<string, string>, at: number): SparseFragment[] {
  const n = int(records['GNU.sparse.numblocks'], 'GNU.sparse.numblocks', at);
  const map = records['GNU.sparse.map'] ?? '';
  const parts = map === '' ? [] : map.split(',');
  if (n < 0 || parts.length !== 2 * n) throw tarCorrupt(`invalid sparse PAX header at offset ${at}: map does not have ${n} entries`);
  const out: SparseFragment[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    out.push({ offset: int(parts[i], 'offset', at), length: int(parts[i + 1], 'length', at) });
  }
  return out;
}

/**
 * Reads the PAX 1.0 map from the start of the data: newline-terminated decimal numbers (count,
 * then offset/length pairs), block-padded. Returns the fragments and the data bytes consumed.
 */
export async function readPaxSparseMap10(
  source: ByteSource,
  storedSize: number,
  at: number,
): Promise<{ fragments: SparseFragment[]; consumed: number }> {
  let text = '';
  let consumed = 0;
  const tokens: string[] = [];
  let need = 1;
  while (tokens.length < need) {
    if (consumed + BLOCK > storedSize || consumed >= MAX_SPECIAL_FILE) {
      throw tarCorrupt(`invalid sparse map at offset ${at}`);
    }
    const blk = await source.readFull(BLOCK);
    if (blk.length < BLOCK) throw tarCorrupt(`unexpected EOF: archive truncated in the sparse map at offset ${at}`);
    consumed += BLOCK;
    text += blk.toString('latin1');
    const lines = text.split('\n');
    text = lines.pop()!;
    tokens.push(...lines);
    if (tokens.length >= 1) need = 1 + 2 * int(tokens[0], 'entry count', at);
  }
  const n = int(tokens[0], 'entry count', at);
  const out: SparseFragment[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ offset: int(tokens[1 + 2 * i], 'offset', at), length: int(tokens[2 + 2 * i], 'length', at) });
  }
  return { fragments: out, consumed };
}

/** Go's validateSparseEntries plus the check that the stored data matches the map exactly. */
export function validateSparse(fragments: SparseFragment[], size: number, stored: number, at: number): void {
  let end = 0;
  let total = 0;
  for (const f of fragments) {
    if (f.offset < 0 || f.length < 0 || f.offset + f.length > size || f.offset < end) {
      throw tarCorrupt(`invalid sparse map at offset ${at}: fragment ${f.offset}+${f.length} out of order or range`);
    }
    end = f.offset + f.length;
    total += f.length;
  }
  if (total !== stored) {
    throw tarCorrupt(`invalid sparse file at offset ${at}: map describes ${total} data bytes, archive stores ${stored}`);
  }
}
