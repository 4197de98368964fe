/**
 * Byte layout of a 512-byte tar header block and the codecs for its fields, following the
 * rules of Go's archive/tar (which wrote every Docker archive): octal with a trailing NUL,
 * base-256 for GNU when octal does not fit, checksum "NNNNNN\0 ", PAX "len key=value\n".
 */
import { corrupt } from '../image/errors.js';
import type { TarTime } from './tar-header.js';
import { decodeRaw } from './raw-string.js';

export const BLOCK = 512;
/** Largest PAX header or GNU long name/link we accept or produce (libarchive's and Go's limit). */
export const MAX_SPECIAL_FILE = 1 << 20;
export const NAME_SIZE = 100;
export const PREFIX_SIZE = 155;

export const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
  gnuAtime: [345, 12],
  gnuCtime: [357, 12],
  gnuRealSize: [483, 12],
  starPrefix: [345, 131],
  starAtime: [476, 12],
  starCtime: [488, 12],
  starTrailer: [508, 4],
} as const satisfies Record<string, readonly [number, number]>;

export type Field = readonly [offset: number, length: number];

export const ZERO_BLOCK: Buffer = Buffer.alloc(BLOCK);

export function blockPadding(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

export function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

export class FieldError extends Error {}

export function fieldBytes(block: Buffer, [off, len]: Field): Buffer {
  return block.subarray(off, off + len);
}

/** NUL-terminated string (the whole field if no NUL), decoded losslessly. */
export function parseString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return decodeRaw(nul >= 0 ? b.subarray(0, nul) : b);
}

export function parseOctal(b: Uint8Array): number {
  let start = 0;
  let end = b.length;
  while (start < end && (b[start] === 0x20 || b[start] === 0)) start++;
  while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  if (start === end) return 0;
  const nul = b.subarray(start, end).indexOf(0);
  if (nul >= 0) end = start + nul;
  let x = 0n;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x37) throw new FieldError('invalid octal number');
    x = x * 8n + BigInt(c - 0x30);
    if (x > 0xffffffffffffffffn) throw new FieldError('octal number overflows');
  }
  // Go reads octal as uint64 and then converts to int64 (which can wrap negative).
  return safeNumber(BigInt.asIntN(64, x));
}

/** Base-256 (GNU binary, two's complement, high bit set) or octal. */
export function parseNumeric(b: Uint8Array): number {
  if (b.length > 0 && (b[0]! & 0x80) !== 0) {
    const inv = (b[0]! & 0x40) !== 0 ? 0xff : 0;
    let x = 0n;
    for (let i = 0; i < b.length; i++) {
      let c = b[i]! ^ inv;
      if (i === 0) c &= 0x7f;
      if (x >> 56n > 0n) throw new FieldError('base-256 number overflows');
      x = (x << 8n) | BigInt(c);
    }
    if (x >> 63n > 0n) throw new FieldError('base-256 number overflows');
    return safeNumber(inv === 0xff ? -x - 1n : x);
  }
  return parseOctal(b);
}

function safeNumber(x: bigint): number {
  if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new FieldError(`number ${x} is out of range`);
  }
  return Number(x);
}

/**
 * Copies s into the field, NUL-terminating when there is room. Returns false when s is too long
 * (it is then truncated, and a trailing slash of the truncated name is replaced by NUL as Go does).
 */
export function formatString(block: Buffer, [off, len]: Field, s: Buffer): boolean {
  const field = block.subarray(off, off + len);
  s.copy(field, 0, 0, Math.min(s.length, len));
  if (s.length < len) field[s.length] = 0;
  if (s.length > len && field[len - 1] === 0x2f) {
    let n = len;
    while (n > 0 && field[n - 1] === 0x2f) n--;
    field[n] = 0;
  }
  return s.length <= len;
}

export function fitsInOctal(n: number, x: number): boolean {
  return x >= 0 && (n >= 22 || x < 2 ** ((n - 1) * 3));
}

export function fitsInBase256(n: number, x: number): boolean {
  if (n >= 9) return true;
  const bits = (n - 1) * 8;
  return x >= -(2 ** bits) && x < 2 ** bits;
}

/** Returns false (writing zero) when x does not fit, like Go's formatter. */
export function formatOctal(block: Buffer, field: Field, x: number): boolean {
  const ok = fitsInOctal(field[1], x);
  let s = (ok ? x : 0).toString(8);
  const pad = field[1] - s.length - 1;
  if (pad > 0) s = '0'.repeat(pad) + s;
  formatString(block, field, Buffer.from(s, 'latin1'));
  return ok;
}

export function formatNumeric(block: Buffer, field: Field, x: number): boolean {
  if (fitsInOctal(field[1], x)) return formatOctal(block, field, x);
  const [off, len] = field;
  if (fitsInBase256(len, x)) {
    let v = BigInt(x);
    for (let i = len - 1; i >= 0; i--) {
      block[off + i] = Number(BigInt.asUintN(8, v));
      v >>= 8n;
    }
    block[off] = block[off]! | 0x80;
    return true;
  }
  formatOctal(block, field, 0);
  return false;
}

/** POSIX sums unsigned bytes; old Sun tar summed signed ones. Both are accepted when reading. */
export function computeChecksum(block: Uint8Array): [unsigned: number, signed: number] {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += c;
    signed += c >= 0x80 ? c - 256 : c;
  }
  return [unsigned, signed];
}

export type BlockFormat = 'v7' | 'ustar' | 'gnu' | 'star';

/** Go's block.getFormat: undefined when the checksum does not verify. */
export function blockFormat(block: Buffer): BlockFormat | undefined {
  let value: number;
  try {
    value = parseOctal(fieldBytes(block, F.chksum));
  } catch {
    return undefined;
  }
  const [u, s] = computeChecksum(block);
  if (value !== u && value !== s) return undefined;
  const magic = fieldBytes(block, F.magic).toString('latin1');
  const version = fieldBytes(block, F.version).toString('latin1');
  const trailer = fieldBytes(block, F.starTrailer).toString('latin1');
  if (magic === 'ustar\0' && trailer === 'tar\0') return 'star';
  if (magic === 'ustar\0') return 'ustar';
  if (magic === 'ustar ' && version === ' \0') return 'gnu';
  return 'v7';
}

/** Writes magic/version for the format and then the checksum, exactly as Go's setFormat. */
export function setBlockFormat(block: Buffer, format: 'ustar' | 'gnu'): void {
  if (format === 'gnu') {
    block.write('ustar ', F.magic[0], 'latin1');
    block.write(' \0', F.version[0], 'latin1');
  } else {
    block.write('ustar\0', F.magic[0], 'latin1');
    block.write('00', F.version[0], 'latin1');
  }
  const [sum] = computeChecksum(block);
  formatOctal(block, [F.chksum[0], 7], sum);
  block[F.chksum[0] + 7] = 0x20;
}

// ---- PAX records ----

export function validPaxRecord(key: string, value: Buffer | string): boolean {
  if (key === '' || key.includes('=')) return false;
  switch (key) {
    case 'path':
    case 'linkpath':
    case 'uname':
    case 'gname':
      return typeof value === 'string' ? !value.includes('\0') : value.indexOf(0) < 0;
    default:
      return !key.includes('\0');
  }
}

export function formatPaxRecord(key: Buffer, value: Buffer): Buffer {
  const base = key.length + value.length + 3;
  let size = base + String(base).length;
  if (String(size).length + base !== size) size = String(size).length + base;
  return Buffer.concat([Buffer.from(`${size} `, 'latin1'), key, Buffer.from('=', 'latin1'), value, Buffer.from('\n', 'latin1')]);
}

/** Parses "len key=value\n" records; throws FieldError on any malformed record. */
export function parsePaxRecords(data: Buffer): Array<[key: Buffer, value: Buffer]> {
  const out: Array<[Buffer, Buffer]> = [];
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) throw new FieldError('PAX record has no length');
    const lenStr = data.toString('latin1', pos, sp);
    if (!/^[0-9]+$/.test(lenStr)) throw new FieldError('PAX record length is not a number');
    const n = Number(lenStr);
    if (n < 5 || n > data.length - pos || sp + 1 >= pos + n) throw new FieldError('PAX record length is out of range');
    const end = pos + n;
    if (data[end - 1] !== 0x0a) throw new FieldError('PAX record does not end with a newline');
    const rec = data.subarray(sp + 1, end - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new FieldError('PAX record has no "="');
    out.push([rec.subarray(0, eq), rec.subarray(eq + 1)]);
    pos = end;
  }
  return out;
}

export function formatPaxTime(t: TarTime): string {
  if (t.nsec === 0) return String(t.sec);
  let { sec, nsec } = t;
  let sign = '';
  if (sec < 0) {
    sign = '-';
    sec = -(sec + 1);
    nsec = -(nsec - 1e9);
  }
  return `${sign}${sec}.${String(nsec).padStart(9, '0')}`.replace(/0+$/, '');
}

export function parsePaxTime(s: string): TarTime {
  const dot = s.indexOf('.');
  const ss = dot >= 0 ? s.slice(0, dot) : s;
  const sn = dot >= 0 ? s.slice(dot + 1) : '';
  if (!/^[+-]?[0-9]+$/.test(ss)) throw new FieldError(`invalid PAX time ${JSON.stringify(s)}`);
  const secs = Number(ss);
  if (!Number.isSafeInteger(secs)) throw new FieldError(`PAX time ${JSON.stringify(s)} is out of range`);
  if (sn === '') return { sec: secs, nsec: 0 };
  if (!/^[0-9]+$/.test(sn)) throw new FieldError(`invalid PAX time ${JSON.stringify(s)}`);
  const nsecs = Number(sn.slice(0, 9).padEnd(9, '0'));
  // Go: time.Unix(secs, -nsecs) for a negative seconds part, then normalised.
  if (ss.startsWith('-') && nsecs !== 0) return { sec: secs - 1, nsec: 1e9 - nsecs };
  return { sec: secs, nsec: nsecs };
}

/** A one-line error for a malformed archive; kind "corrupt". */
export function tarCorrupt(message: string, cause?: unknown): Error {
  return corrupt(`archive/tar: ${message}`, cause);
}
