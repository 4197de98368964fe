import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goClean, goJoin, goSplit } from '../../src/archive/go-path.js';
import { compareRaw, decodeRaw, encodeRaw, rawByteLength, toAscii } from '../../src/archive/raw-string.js';
import {
  formatNumeric,
  formatOctal,
  formatPaxRecord,
  formatPaxTime,
  formatString,
  parseNumeric,
  parseOctal,
  parsePaxRecords,
  parsePaxTime,
} from '../../src/archive/tar-fields.js';

describe('raw strings', () => {
  it('round-trips valid UTF-8 and arbitrary bytes', () => {
    const samples = [
      Buffer.from('plain/ascii'),
      Buffer.from('héllo/wörld/日本/😀'),
      Buffer.from([0x66, 0xff, 0xfe, 0x2f, 0xc3]), // invalid sequences
      Buffer.from([0xe2, 0x82]), // truncated 3-byte sequence
      Buffer.from([0xed, 0xa0, 0x80]), // UTF-8 encoded surrogate (invalid)
      Buffer.from([0xc0, 0xaf]), // overlong "/"
      Buffer.from('a\ufffdb'), // a literal replacement character
    ];
    for (const b of samples) {
      const s = decodeRaw(b);
      assert.deepEqual(encodeRaw(s), b, `round trip of ${b.toString('hex')}`);
      assert.equal(rawByteLength(s), b.length);
    }
    assert.equal(decodeRaw(Buffer.from('héllo')), 'héllo');
  });

  it('toAscii drops non-ASCII like Go', () => {
    assert.equal(toAscii('héllo/☺x'), 'hllo/x');
    assert.equal(toAscii(decodeRaw(Buffer.from([0x61, 0xff, 0x62]))), 'ab');
  });

  it('compares by bytes, as Go sorts strings', () => {
    // UTF-16 order would put U+1F600 (surrogates D83D..) before U+FFFD.
    assert.ok(compareRaw('\ufffd', '😀') < 0);
    assert.ok(compareRaw('B', 'a') < 0);
  });
});

describe('Go path semantics', () => {
  it('cleans like path.Clean', () => {
    const cases: Array<[string, string]> = [
      ['', '.'],
      ['a/b/', 'a/b'],
      ['./a//b/./c/..', 'a/b'],
      ['/../x', '/x'],
      ['a/../../x', '../x'],
      ['..', '..'],
      ['/', '/'],
    ];
    for (const [i, o] of cases) assert.equal(goClean(i), o, i);
    assert.equal(goJoin('a/b/', 'PaxHeaders.0', ''), 'a/b/PaxHeaders.0');
    assert.equal(goJoin('', 'PaxHeaders.0', 'f'), 'PaxHeaders.0/f');
    assert.equal(goJoin('', ''), '');
    assert.deepEqual(goSplit('a/b/c'), ['a/b/', 'c']);
    assert.deepEqual(goSplit('dir/'), ['dir/', '']);
  });
});

describe('numeric fields', () => {
  it('formats octal with leading zeros and a NUL, and refuses what does not fit', () => {
    const b = Buffer.alloc(12, 0xaa);
    assert.equal(formatOctal(b, [0, 8], 0o755), true);
    assert.equal(b.subarray(0, 8).toString('latin1'), '0000755\0');
    assert.equal(formatOctal(b, [0, 8], 0o7777777), true);
    assert.equal(formatOctal(b, [0, 8], 0o10000000), false);
    assert.equal(b.subarray(0, 8).toString('latin1'), '0000000\0');
  });

  it('uses base-256 for GNU when octal does not fit', () => {
    const b = Buffer.alloc(12);
    formatNumeric(b, [0, 8], 3_000_000);
    assert.equal(b[0], 0x80);
    assert.equal(parseNumeric(b.subarray(0, 8)), 3_000_000);
    const m = Buffer.alloc(12);
    formatNumeric(m, [0, 12], -1);
    assert.deepEqual(m, Buffer.alloc(12, 0xff));
    assert.equal(parseNumeric(m), -1);
    formatNumeric(m, [0, 12], -123456789012);
    assert.equal(parseNumeric(m), -123456789012);
    formatNumeric(m, [0, 12], 2 ** 40);
    assert.equal(parseNumeric(m), 2 ** 40);
  });

  it('parses octal leniently (spaces, NULs) and rejects garbage', () => {
    assert.equal(parseOctal(Buffer.from(' 644 \0')), 0o644);
    assert.equal(parseOctal(Buffer.from('\0\0\0\0')), 0);
    assert.equal(parseOctal(Buffer.from('0000644\0')), 0o644);
    assert.throws(() => parseOctal(Buffer.from('12x4\0')));
    assert.throws(() => parseNumeric(Buffer.from([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])));
  });

  it('truncates long strings and replaces a trailing slash with NUL', () => {
    const b = Buffer.alloc(10, 0xaa);
    assert.equal(formatString(b, [0, 4], Buffer.from('abcde/')), false);
    assert.equal(b.subarray(0, 4).toString('latin1'), 'abcd');
    assert.equal(formatString(b, [0, 4], Buffer.from('abc/e')), false);
    assert.equal(b.subarray(0, 4).toString('latin1'), 'abc\0');
    assert.equal(formatString(b, [0, 4], Buffer.from('ab')), true);
    assert.equal(b.subarray(0, 3).toString('latin1'), 'ab\0');
  });
});

describe('PAX records', () => {
  it('computes self-including lengths, including across a digit boundary', () => {
    assert.equal(formatPaxRecord(Buffer.from('path'), Buffer.from('foo')).toString(), '12 path=foo\n');
    for (let n = 80; n < 120; n++) {
      const rec = formatPaxRecord(Buffer.from('path'), Buffer.alloc(n, 'a'));
      assert.equal(Number(rec.toString().split(' ')[0]), rec.length);
    }
    const v = Buffer.from([0, 1, 2, 0xff, 0x0a]);
    const rec = formatPaxRecord(Buffer.from('SCHILY.xattr.user.bin'), v);
    assert.deepEqual(parsePaxRecords(rec), [[Buffer.from('SCHILY.xattr.user.bin'), v]]);
  });

  it('rejects malformed records', () => {
    for (const bad of ['13 path=foo\n', '12 path=foo', 'x path=foo\n', '10 pathfoo\n', '3 a=\n', '12 path=foo\n\0']) {
      assert.throws(() => parsePaxRecords(Buffer.from(bad)), bad);
    }
  });

  it('formats and parses times like Go (negative, fractions)', () => {
    assert.equal(formatPaxTime({ sec: 1350244992, nsec: 23960108 }), '1350244992.023960108');
    assert.equal(formatPaxTime({ sec: 1350244992, nsec: 300000000 }), '1350244992.3');
    assert.equal(formatPaxTime({ sec: -2, nsec: 500000000 }), '-1.5');
    assert.equal(formatPaxTime({ sec: 5, nsec: 0 }), '5');
    assert.deepEqual(parsePaxTime('1350244992.3'), { sec: 1350244992, nsec: 300000000 });
    assert.deepEqual(parsePaxTime('-1.5'), { sec: -2, nsec: 500000000 });
    assert.deepEqual(parsePaxTime('1.0000000019'), { sec: 1, nsec: 1 });
    assert.deepEqual(parsePaxTime('-0.25'), { sec: -1, nsec: 750000000 });
    assert.throws(() => parsePaxTime('1.5x'));
    assert.throws(() => parsePaxTime(''));
  });
});
