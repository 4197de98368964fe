// The listing base as one buffer, the form the store caches it in (store/listing-cache.ts):
// decoding is views over the bytes and two latin1 strings, no per-image work.
//
// Layout, in the platform's byte order (the magic number reads differently in the other one):
//   header    8 × u32: MAGIC, FORMAT, crc32 of everything after the header, images n, references m,
//             bytes of the ID text, bytes of the reference text, 0
//   f64       createdMs[n], size[n]
//   i32       idFrom[n], idTo[n], idHexFrom[n], scanIndex[n], refs.at[n + 1],
//             refs.from[m], refs.split[m], refs.to[m], refs.familiar[m]
//   u8        isParent[n], refs.digest[m]
//   text      the ID text, then the reference text, both ASCII
import { isAscii, type ListingBase } from './listing-base.js';
import { nodeZlib } from '../image/lazy-builtins.js';

const MAGIC = 0x42534c42;
/** Bump when the layout or the meaning of a field changes: older bytes are then recomputed. */
const FORMAT = 1;
const HEADER = 32;

function byteLength(n: number, m: number, idBytes: number, refBytes: number): number {
  return HEADER + 16 * n + 4 * (5 * n + 1 + 4 * m) + n + m + idBytes + refBytes;
}

/** zlib.crc32 came with Node 20.15; without it nothing is cached. */
function crc32(): ((data: Uint8Array) => number) | undefined {
  const z = nodeZlib() as { crc32?: (data: Uint8Array) => number };
  return typeof z.crc32 === 'function' ? z.crc32 : undefined;
}

/** The base's bytes, or undefined when it cannot be encoded (texts that are not ASCII). */
export function encodeListingBase(base: ListingBase): Buffer | undefined {
  const crc = crc32();
  const { length: n, refs } = base;
  const m = refs.from.length;
  if (!crc || !isAscii(base.idText) || !isAscii(refs.text)) return undefined;
  const idBytes = base.idText.length;
  const refBytes = refs.text.length;
  // Not from the pool: offset 0, so every section is aligned.
  const buf = Buffer.allocUnsafeSlow(byteLength(n, m, idBytes, refBytes));
  let at = HEADER;
  const f64 = (a: Float64Array) => {
    new Float64Array(buf.buffer, buf.byteOffset + at, a.length).set(a);
    at += 8 * a.length;
  };
  const i32 = (a: Int32Array) => {
    new Int32Array(buf.buffer, buf.byteOffset + at, a.length).set(a);
    at += 4 * a.length;
  };
  const u8 = (a: Uint8Array) => {
    buf.set(a, at);
    at += a.length;
  };
  f64(base.createdMs);
  f64(base.size);
  i32(base.idFrom);
  i32(base.idTo);
  i32(base.idHexFrom);
  i32(base.scanIndex);
  i32(refs.at);
  i32(refs.from);
  i32(refs.split);
  i32(refs.to);
  i32(refs.familiar);
  u8(base.isParent);
  u8(refs.digest);
  at += buf.write(base.idText, at, 'latin1');
  at += buf.write(refs.text, at, 'latin1');
  if (at !== buf.length) return undefined;
  const header = new Uint32Array(buf.buffer, buf.byteOffset, HEADER / 4);
  header.set([MAGIC, FORMAT, 0, n, m, idBytes, refBytes, 0]);
  header[2] = crc(buf.subarray(HEADER));
  return buf;
}

/** The base these bytes hold, or undefined if they are not a whole, intact encoding of this format. */
export function decodeListingBase(bytes: Buffer): ListingBase | undefined {
  if (bytes.length < HEADER) return undefined;
  let buf = bytes;
  if (buf.byteOffset % 8 !== 0) {
    const copy = Buffer.allocUnsafeSlow(bytes.length);
    bytes.copy(copy);
    buf = copy;
  }
  const [magic, format, sum, n, m, idBytes, refBytes] = new Uint32Array(buf.buffer, buf.byteOffset, HEADER / 4);
  if (magic !== MAGIC || format !== FORMAT) return undefined;
  if (buf.length !== byteLength(n!, m!, idBytes!, refBytes!)) return undefined;
  const crc = crc32();
  if (!crc || crc(buf.subarray(HEADER)) !== sum) return undefined;
  let at = HEADER;
  const f64 = (count: number) => {
    const a = new Float64Array(buf.buffer, buf.byteOffset + at, count);
    at += 8 * count;
    return a;
  };
  const i32 = (count: number) => {
    const a = new Int32Array(buf.buffer, buf.byteOffset + at, count);
    at += 4 * count;
    return a;
  };
  const u8 = (count: number) => {
    const a = buf.subarray(at, at + count);
    at += count;
    return a;
  };
  const text = (count: number) => {
    const t = buf.toString('latin1', at, at + count);
    at += count;
    return t;
  };
  const createdMs = f64(n!);
  const size = f64(n!);
  const idFrom = i32(n!);
  const idTo = i32(n!);
  const idHexFrom = i32(n!);
  const scanIndex = i32(n!);
  const refAt = i32(n! + 1);
  const from = i32(m!);
  const split = i32(m!);
  const to = i32(m!);
  const familiar = i32(m!);
  const isParent = u8(n!);
  const digest = u8(m!);
  const idText = text(idBytes!);
  const refText = text(refBytes!);
  if (refAt[0] !== 0 || refAt[n!] !== m) return undefined;
  return {
    length: n!,
    idText,
    idFrom,
    idTo,
    idHexFrom,
    createdMs,
    size,
    isParent,
    scanIndex,
    refs: { at: refAt, text: refText, from, split, to, digest, familiar },
  };
}
