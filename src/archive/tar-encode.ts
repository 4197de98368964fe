/**
 * Header encoding with the exact choices of Go's archive/tar Writer.WriteHeader: the first of
 * USTAR, PAX, GNU able to represent the header (restricted by header.format), PAX records only
 * for what USTAR cannot hold, sorted keys, "PaxHeaders.0" names, GNU ././@LongLink files.
 */
import { invalidArgument } from '../image/errors.js';
import { goJoin, goSplit } from './go-path.js';
import { encodeRaw, isAsciiNoNul, rawByteLength, toAscii, compareRaw } from './raw-string.js';
import {
  BLOCK,
  F,
  MAX_SPECIAL_FILE,
  NAME_SIZE,
  PREFIX_SIZE,
  blockPadding,
  fitsInBase256,
  fitsInOctal,
  formatNumeric,
  formatOctal,
  formatPaxRecord,
  formatPaxTime,
  formatString,
  setBlockFormat,
  validPaxRecord,
  type Field,
} from './tar-fields.js';
import { TarType, isHeaderOnlyType, type TarHeader, type TarTime } from './tar-header.js';

const USTAR = 1;
const PAX = 2;
const GNU = 4;

const BASIC_KEYS = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'uname', 'gname', 'mtime', 'atime', 'ctime']);
const XATTR_PREFIX = 'SCHILY.xattr.';

export interface EncodedHeader {
  /** Every block to write before the body: PAX/GNU extension headers with their data, then the header. */
  bytes: Buffer;
  /** Number of body bytes that must follow (0 for header-only types). */
  bodySize: number;
  format: 'ustar' | 'pax' | 'gnu';
}

type PaxValue = string | Buffer;

/** Encodes a header the way Go's tar.Writer.WriteHeader would; throws invalid-argument if it cannot. */
export function encodeHeader(input: TarHeader): EncodedHeader {
  const h: TarHeader = { ...input };
  if (h.type === TarType.RegA) h.type = h.name.endsWith('/') ? TarType.Dir : TarType.File;
  if (h.format === undefined) {
    h.mtime = roundToSecond(h.mtime);
    delete h.atime;
    delete h.ctime;
  }
  const { formats, paxHdrs, why } = allowedFormats(h);
  if (formats & USTAR) return { bytes: writeUstar(h), bodySize: bodySizeOf(h), format: 'ustar' };
  if (formats & PAX) return { bytes: writePax(h, paxHdrs), bodySize: bodySizeOf(h), format: 'pax' };
  if (formats & GNU) return { bytes: writeGnu(h), bodySize: bodySizeOf(h), format: 'gnu' };
  throw invalidArgument(`archive/tar: cannot encode header ${JSON.stringify(h.name)}: ${why}`);
}

function bodySizeOf(h: TarHeader): number {
  return isHeaderOnlyType(h.type) || h.type === TarType.PaxGlobal ? 0 : h.size;
}

/** Go's time.Round(time.Second): halves round up. */
function roundToSecond(t: TarTime): TarTime {
  return t.nsec >= 500_000_000 ? { sec: t.sec + 1, nsec: 0 } : { sec: t.sec, nsec: 0 };
}

interface Allowed {
  formats: number;
  paxHdrs: Map<string, PaxValue>;
  why: string;
}

function allowedFormats(h: TarHeader): Allowed {
  let formats = USTAR | PAX | GNU;
  const pax = new Map<string, PaxValue>();
  const reasons: string[] = [];
  let preferPax = false;
  const records = h.pax ?? {};

  const verifyString = (s: string, size: number, name: string, key: string): void => {
    const len = rawByteLength(s);
    const tooLong = len > size;
    const allowLongGnu = key === 'path' || key === 'linkpath';
    if (s.includes('\0') || (tooLong && !allowLongGnu)) {
      reasons.push(`GNU cannot encode ${name}=${JSON.stringify(s)}`);
      formats &= ~GNU;
    }
    if (!isAsciiNoNul(s) || tooLong) {
      if (!(key === 'path' && splitUstarPath(s) !== undefined)) {
        reasons.push(`USTAR cannot encode ${name}=${JSON.stringify(s)}`);
        formats &= ~USTAR;
      }
      pax.set(key, s);
    }
    if (records[key] === s) pax.set(key, s);
  };
  const verifyNumeric = (n: number, size: number, name: string, key: string | undefined): void => {
    if (!fitsInBase256(size, n)) {
      reasons.push(`GNU cannot encode ${name}=${n}`);
      formats &= ~GNU;
    }
    if (!fitsInOctal(size, n)) {
      reasons.push(`USTAR cannot encode ${name}=${n}`);
      formats &= ~USTAR;
      if (key === undefined) {
        reasons.push(`PAX cannot encode ${name}=${n}`);
        formats &= ~PAX;
      } else {
        pax.set(key, String(n));
      }
    }
    if (key !== undefined && records[key] === String(n)) pax.set(key, String(n));
  };
  const verifyTime = (t: TarTime | undefined, size: number, name: string, key: string): void => {
    if (t === undefined) return;
    if (!fitsInBase256(size, t.sec)) {
      reasons.push(`GNU cannot encode ${name}`);
      formats &= ~GNU;
    }
    const isMtime = key === 'mtime';
    const fitsOctal = fitsInOctal(size, t.sec);
    if (!isMtime || !fitsOctal) {
      reasons.push(`USTAR cannot encode ${name}`);
      formats &= ~USTAR;
    }
    if (!isMtime || !fitsOctal || t.nsec !== 0) {
      preferPax = true;
      pax.set(key, formatPaxTime(t));
    }
    if (records[key] === formatPaxTime(t)) pax.set(key, formatPaxTime(t));
  };

  verifyString(h.name, NAME_SIZE, 'Name', 'path');
  verifyString(h.linkname, NAME_SIZE, 'Linkname', 'linkpath');
  verifyString(h.uname, 32, 'Uname', 'uname');
  verifyString(h.gname, 32, 'Gname', 'gname');
  verifyNumeric(h.mode, 8, 'Mode', undefined);
  verifyNumeric(h.uid, 8, 'Uid', 'uid');
  verifyNumeric(h.gid, 8, 'Gid', 'gid');
  verifyNumeric(h.size, 12, 'Size', 'size');
  verifyNumeric(h.devmajor, 8, 'Devmajor', undefined);
  verifyNumeric(h.devminor, 8, 'Devminor', undefined);
  verifyTime(h.mtime, 12, 'ModTime', 'mtime');
  verifyTime(h.atime, 12, 'AccessTime', 'atime');
  verifyTime(h.ctime, 12, 'ChangeTime', 'ctime');

  const fail = (msg: string): Allowed => ({ formats: 0, paxHdrs: pax, why: msg });
  switch (h.type) {
    case TarType.File:
    case TarType.Char:
    case TarType.Block:
    case TarType.Fifo:
    case TarType.GnuSparse:
      if (h.name.endsWith('/')) return fail('filename may not have trailing slash');
      break;
    case TarType.PaxHeader:
    case TarType.GnuLongName:
    case TarType.GnuLongLink:
      return fail('cannot manually encode TypeXHeader, TypeGNULongName, or TypeGNULongLink headers');
    case TarType.PaxGlobal: {
      const onlyPaxFields =
        h.linkname === '' && h.size === 0 && h.mode === 0 && h.uid === 0 && h.gid === 0 && h.uname === '' &&
        h.gname === '' && h.mtime.sec === 0 && h.mtime.nsec === 0 && h.atime === undefined &&
        h.ctime === undefined && h.devmajor === 0 && h.devminor === 0;
      if (!onlyPaxFields) return fail('only PAXRecords should be set for TypeXGlobalHeader');
      reasons.push('only PAX supports TypeXGlobalHeader');
      formats &= PAX;
      break;
    }
  }
  if (!isHeaderOnlyType(h.type) && h.size < 0) return fail('negative size on header-only type');

  const xattrs = h.xattrs ?? {};
  if (Object.keys(xattrs).length > 0) {
    for (const [k, v] of Object.entries(xattrs)) pax.set(XATTR_PREFIX + k, v);
    reasons.push('only PAX supports Xattrs');
    formats &= PAX;
  }
  const recordKeys = Object.keys(records);
  if (recordKeys.length > 0) {
    for (const k of recordKeys) {
      if (pax.has(k)) continue;
      if (h.type === TarType.PaxGlobal || (!BASIC_KEYS.has(k) && !k.startsWith('GNU.sparse.'))) pax.set(k, records[k]!);
    }
    reasons.push('only PAX supports PAXRecords');
    formats &= PAX;
  }
  for (const [k, v] of pax) {
    if (!validPaxRecord(k, v)) return fail(`invalid PAX record: ${JSON.stringify(`${k} = ${String(v)}`)}`);
  }

  if (h.format !== undefined) {
    let want = h.format === 'ustar' ? USTAR : h.format === 'pax' ? PAX : GNU;
    if (want & PAX && !preferPax) want |= USTAR;
    formats &= want;
    if (formats === 0) reasons.unshift(`Format specifies ${h.format.toUpperCase()}`);
  }
  return { formats, paxHdrs: pax, why: reasons.join('; and ') };
}

/** USTAR's prefix/name split of a long ASCII name; undefined if it cannot be split. */
export function splitUstarPath(name: string): [prefix: string, suffix: string] | undefined {
  let length = name.length;
  if (length <= NAME_SIZE || !isAsciiNoNul(name)) return undefined;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (name[length - 1] === '/') length--;
  const i = name.lastIndexOf('/', length - 1);
  const nlen = name.length - i - 1;
  const plen = i;
  if (i <= 0 || nlen > NAME_SIZE || nlen === 0 || plen > PREFIX_SIZE) return undefined;
  return [name.slice(0, i), name.slice(i + 1)];
}

type StrFmt = (block: Buffer, field: Field, s: string) => void;
type NumFmt = (block: Buffer, field: Field, n: number) => void;

function templateV7Plus(h: TarHeader, fmtStr: StrFmt, fmtNum: NumFmt): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.type, F.typeflag[0], 'latin1');
  fmtStr(b, F.name, h.name);
  fmtStr(b, F.linkname, h.linkname);
  fmtNum(b, F.mode, h.mode);
  fmtNum(b, F.uid, h.uid);
  fmtNum(b, F.gid, h.gid);
  fmtNum(b, F.size, h.size);
  fmtNum(b, F.mtime, h.mtime.sec);
  fmtStr(b, F.uname, h.uname);
  fmtStr(b, F.gname, h.gname);
  fmtNum(b, F.devmajor, h.devmajor);
  fmtNum(b, F.devminor, h.devminor);
  return b;
}

const rawStr: StrFmt = (b, f, s) => void formatString(b, f, encodeRaw(s));
const asciiStr: StrFmt = (b, f, s) => void formatString(b, f, Buffer.from(toAscii(s), 'latin1'));
const octal: NumFmt = (b, f, n) => void formatOctal(b, f, n);
const numeric: NumFmt = (b, f, n) => void formatNumeric(b, f, n);

function writeUstar(h: TarHeader): Buffer {
  let name = h.name;
  let prefix = '';
  const split = splitUstarPath(name);
  if (split !== undefined) [prefix, name] = split;
  const b = templateV7Plus({ ...h, name }, rawStr, octal);
  rawStr(b, F.prefix, prefix);
  setBlockFormat(b, 'ustar');
  return b;
}

function writePax(h: TarHeader, paxHdrs: Map<string, PaxValue>): Buffer {
  const out: Buffer[] = [];
  const isGlobal = h.type === TarType.PaxGlobal;
  if (paxHdrs.size > 0 || isGlobal) {
    const keys = [...paxHdrs.keys()].sort(compareRaw);
    const data = Buffer.concat(
      keys.map((k) => {
        const v = paxHdrs.get(k)!;
        return formatPaxRecord(encodeRaw(k), typeof v === 'string' ? encodeRaw(v) : v);
      }),
    );
    let name: string;
    if (isGlobal) {
      name = h.name === '' ? 'GlobalHead.0.0' : h.name;
    } else {
      const [dir, file] = goSplit(h.name);
      name = goJoin(dir, 'PaxHeaders.0', file);
    }
    if (data.length > MAX_SPECIAL_FILE) {
      throw invalidArgument(`archive/tar: PAX header of ${JSON.stringify(h.name)} is larger than ${MAX_SPECIAL_FILE} bytes`);
    }
    out.push(rawFile(name, data, isGlobal ? TarType.PaxGlobal : TarType.PaxHeader, 'ustar'));
    if (isGlobal) return Buffer.concat(out);
  }
  const b = templateV7Plus(h, asciiStr, octal);
  setBlockFormat(b, 'ustar');
  out.push(b);
  return Buffer.concat(out);
}

function writeGnu(h: TarHeader): Buffer {
  const out: Buffer[] = [];
  const longName = '././@LongLink';
  const nameBytes = encodeRaw(h.name);
  if (nameBytes.length > NAME_SIZE) {
    out.push(rawFile(longName, Buffer.concat([nameBytes, Buffer.alloc(1)]), TarType.GnuLongName, 'gnu'));
  }
  const linkBytes = encodeRaw(h.linkname);
  if (linkBytes.length > NAME_SIZE) {
    out.push(rawFile(longName, Buffer.concat([linkBytes, Buffer.alloc(1)]), TarType.GnuLongLink, 'gnu'));
  }
  const b = templateV7Plus(h, rawStr, numeric);
  if (h.atime !== undefined) numeric(b, F.gnuAtime, h.atime.sec);
  if (h.ctime !== undefined) numeric(b, F.gnuCtime, h.ctime.sec);
  setBlockFormat(b, 'gnu');
  out.push(b);
  return Buffer.concat(out);
}

/** A minimal meta file (PAX header or GNU long name) with its data and padding. */
function rawFile(name: string, data: Buffer, type: string, format: 'ustar' | 'gnu'): Buffer {
  let n = toAscii(name);
  if (n.length > NAME_SIZE) n = n.slice(0, NAME_SIZE);
  n = n.replace(/\/+$/, '');
  const b = Buffer.alloc(BLOCK);
  b.write(type, F.typeflag[0], 'latin1');
  formatString(b, F.name, Buffer.from(n, 'latin1'));
  formatOctal(b, F.mode, 0);
  formatOctal(b, F.uid, 0);
  formatOctal(b, F.gid, 0);
  formatOctal(b, F.size, data.length);
  formatOctal(b, F.mtime, 0);
  setBlockFormat(b, format);
  return Buffer.concat([b, data, Buffer.alloc(blockPadding(data.length))]);
}
