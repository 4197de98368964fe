// The functions docker/cli's templates package adds to every --format template, and the
// variants it swaps in when rendering a table header.

import { marshal } from '../gojson.js';
import { sprint } from '../gofmt.js';
import { goFunc, kindOf, mapEntries, compareGoStrings, goTypeName, type GoFunc } from '../values.js';
import type { FuncMap } from './funcspec.js';

/** strings.Split: sep "" splits after each UTF-8 sequence. */
function split(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

/** docker's join: []string joined directly, other slices and maps through fmt.Sprint. */
function join(elems: unknown, sep: string): string {
  const k = kindOf(elems);
  if (k === 'nil' || k === 'nilslice' || k === 'nilmap') return '';
  if (k === 'slice') return (elems as unknown[]).map((e) => (typeof e === 'string' ? e : sprint(e))).join(sep);
  if (k === 'map') {
    return mapEntries(elems)
      .map(([, v]) => sprint(v))
      .sort(compareGoStrings)
      .join(sep);
  }
  throw new Error(`expected slice, got ${goTypeName(elems)}`);
}

const ASCII_WORD = /[A-Za-z0-9_]/;
const LETTER_DIGIT = /[\p{L}\p{Nd}]/u;

// strings.Title's notion of a word separator.
function isSeparator(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if (cp <= 0x7f) return !ASCII_WORD.test(ch);
  if (LETTER_DIGIT.test(ch)) return false;
  return /\s/u.test(ch);
}

function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    // Go maps rune by rune; multi-rune results (ß -> SS) are left alone.
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

/** strings.Title: upper-cases the first letter of each word. */
export function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? mapRunes(ch, (c) => c.toUpperCase()) : ch;
    prev = ch;
  }
  return out;
}

export function lower(s: string): string {
  return mapRunes(s, (c) => c.toLowerCase());
}

export function upper(s: string): string {
  return mapRunes(s, (c) => c.toUpperCase());
}

function repeat(n: number): string {
  if (n < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(n);
}

/** docker's pad: surrounds non-empty text with spaces. */
function pad(source: string, prefix: number, suffix: number): string {
  if (source === '') return source;
  return repeat(prefix) + source + repeat(suffix);
}

/** docker's truncate: the first `length` bytes of source. */
function truncate(source: string, length: number): string {
  const bytes = Buffer.from(source, 'utf8');
  if (bytes.length < length) return source;
  if (length < 0) throw new Error(`runtime error: slice bounds out of range [:${length}]`);
  return bytes.subarray(0, length).toString('utf8');
}

/** docker's json: encoding/json without HTML escaping, trailing newline trimmed. */
function json(v: unknown): string {
  return marshal(v, { escapeHTML: false }).trim();
}

const fns = {
  json: goFunc(['any'], json),
  split: goFunc(['string', 'string'], split),
  join: goFunc(['any', 'string'], join),
  title: goFunc(['string'], title),
  lower: goFunc(['string'], lower),
  upper: goFunc(['string'], upper),
  pad: goFunc(['string', 'int', 'int'], (s: string, a: number | bigint, b: number | bigint) => pad(s, Number(a), Number(b))),
  truncate: goFunc(['string', 'int'], (s: string, n: number | bigint) => truncate(s, Number(n))),
};

/** docker/cli templates.basicFunctions. */
export const dockerFuncs: Readonly<Record<string, GoFunc>> = fns;

const identity = (v: string): string => v;

/** docker/cli templates.HeaderFunctions: keep the header text intact (pad is not replaced). */
export const dockerHeaderFuncs: FuncMap = {
  json: goFunc(['string'], identity),
  split: goFunc(['string', 'string'], identity),
  join: goFunc(['string', 'string'], identity),
  title: goFunc(['string'], identity),
  lower: goFunc(['string'], identity),
  upper: goFunc(['string'], identity),
  truncate: goFunc(['string', 'int'], identity),
};

