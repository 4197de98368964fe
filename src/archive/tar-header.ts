/** The tar header model: the same fields and semantics as Go's archive/tar Header. */

export const TarType = {
  File: '0',
  /** Legacy regular file ('\0'); readers promote it to File or Dir. */
  RegA: '\0',
  Link: '1',
  Symlink: '2',
  Char: '3',
  Block: '4',
  Dir: '5',
  Fifo: '6',
  Cont: '7',
  PaxHeader: 'x',
  PaxGlobal: 'g',
  GnuSparse: 'S',
  GnuLongName: 'L',
  GnuLongLink: 'K',
} as const;

/** One typeflag byte as a one-character string. */
export type TarTypeflag = string;

/** A point in time with nanosecond precision: seconds since the epoch (may be negative) + 0..999999999 ns. */
export interface TarTime {
  sec: number;
  nsec: number;
}

/**
 * The header encodings Go distinguishes. Reading sets it to Go's best guess
 * (undefined when Go would say FormatUnknown, e.g. V7 or STAR headers); writing uses it as
 * Go's WriteHeader does: undefined lets the writer pick the first of USTAR, PAX, GNU that can
 * encode the header (rounding mtime to the second and dropping atime/ctime), 'pax' allows USTAR
 * too unless sub-second or out-of-range times need PAX records.
 */
export type TarFormat = 'ustar' | 'pax' | 'gnu';

export interface TarHeader {
  type: TarTypeflag;
  name: string;
  linkname: string;
  /** Logical size of the body; header-only types (links, dirs, devices, fifos) have no body whatever it says. */
  size: number;
  /** Permission and mode bits as stored (may include S_IF* type bits, as Docker <= 20.10 wrote). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: TarTime;
  atime?: TarTime;
  ctime?: TarTime;
  devmajor: number;
  devminor: number;
  /** Extended attributes, from/to SCHILY.xattr.* PAX records; values are raw bytes. */
  xattrs?: Record<string, Buffer>;
  /** All other PAX records of the entry (including path, size, ... as read). */
  pax?: Record<string, string>;
  format?: TarFormat;
}

/** What a writer accepts: a name and whatever differs from Go's zero values. */
export type TarHeaderInit = Partial<TarHeader> & { name: string };

export function headerDefaults(init: TarHeaderInit): TarHeader {
  return {
    type: init.type ?? TarType.RegA,
    name: init.name,
    linkname: init.linkname ?? '',
    size: init.size ?? 0,
    mode: init.mode ?? 0,
    uid: init.uid ?? 0,
    gid: init.gid ?? 0,
    uname: init.uname ?? '',
    gname: init.gname ?? '',
    mtime: init.mtime ?? { sec: 0, nsec: 0 },
    ...(init.atime !== undefined ? { atime: init.atime } : {}),
    ...(init.ctime !== undefined ? { ctime: init.ctime } : {}),
    devmajor: init.devmajor ?? 0,
    devminor: init.devminor ?? 0,
    ...(init.xattrs !== undefined ? { xattrs: init.xattrs } : {}),
    ...(init.pax !== undefined ? { pax: init.pax } : {}),
    ...(init.format !== undefined ? { format: init.format } : {}),
  };
}

/** Types whose body is empty regardless of the size field. */
export function isHeaderOnlyType(type: TarTypeflag): boolean {
  return (
    type === TarType.Link ||
    type === TarType.Symlink ||
    type === TarType.Char ||
    type === TarType.Block ||
    type === TarType.Dir ||
    type === TarType.Fifo
  );
}

export function tarTimeFromDate(d: Date): TarTime {
  const ms = d.getTime();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1e6 };
}

export function tarTimeToDate(t: TarTime): Date {
  return new Date(t.sec * 1000 + Math.floor(t.nsec / 1e6));
}

/** From nanoseconds since the epoch, e.g. fs.Stats with bigint: true. */
export function tarTimeFromNs(ns: bigint): TarTime {
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

export function toTarTime(t: TarTime | Date | number): TarTime {
  if (t instanceof Date) return tarTimeFromDate(t);
  if (typeof t === 'number') {
    const sec = Math.floor(t);
    const nsec = Math.round((t - sec) * 1e9);
    return nsec >= 1e9 ? { sec: sec + 1, nsec: nsec - 1e9 } : { sec, nsec };
  }
  return t;
}

export function compareTarTime(a: TarTime, b: TarTime): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}
