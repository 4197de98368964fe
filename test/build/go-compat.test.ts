// The Go-semantics helpers the Dockerfile frontend relies on to match BuildKit's output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvFields } from '../../src/build/dockerfile/csv-fields.js';
import { parseBool, parseDuration, parseInt10, parseUint, ramInBytes } from '../../src/build/dockerfile/go-parse.js';
import { isSpace, quote, quoteList, regexpSplit, toLower, toUpper, trimSpace } from '../../src/build/dockerfile/go-text.js';
import { suggest } from '../../src/build/dockerfile/suggest.js';

test('quote is strconv.Quote', () => {
  assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(quote('\x07\b\f\n\r\t\v\x00\x1b\x7f'), '"\\a\\b\\f\\n\\r\\t\\v\\x00\\x1b\\x7f"');
  assert.equal(quote('é♥☃한 '), '"é♥☃한 "');
  assert.equal(quote('\u00a0\u200b\u2028\ufeff'), '"\\u00a0\\u200b\\u2028\\ufeff"');
  assert.equal(quote('\u{1F600}\u{E0001}'), '"\u{1F600}\\U000e0001"');
  assert.equal(quoteList(['--a=b', 'c d']), '["--a=b" "c d"]');
  assert.equal(quoteList([]), '[]');
});

test('white space and case are Go\'s', () => {
  assert.ok(isSpace('\u0085') && isSpace('\u00a0') && isSpace('\u3000') && isSpace('\v'));
  assert.ok(!isSpace('\ufeff') && !isSpace('\u200b'));
  assert.equal(trimSpace('\u0085 a \ufeff'), 'a \ufeff');
  assert.equal(toUpper('straße'), 'STRAßE');
  assert.equal(toLower('RUN'), 'run');
});

test('regexpSplit is regexp.Split', () => {
  assert.deepEqual(regexpSplit('a  b c', /[ ]+/, 2), ['a', 'b c']);
  assert.deepEqual(regexpSplit('a  b c', /[ ]+/, -1), ['a', 'b', 'c']);
  assert.deepEqual(regexpSplit('abc', /[ ]+/, 2), ['abc']);
  assert.deepEqual(regexpSplit('', /[ ]+/, 2), ['']);
  assert.deepEqual(regexpSplit(' a ', /[ ]+/, -1), ['', 'a', '']);
});

test('parseDuration is time.ParseDuration (nanoseconds)', () => {
  const cases: [string, bigint][] = [
    ['0', 0n],
    ['1ns', 1n],
    ['1.5s', 1500000000n],
    ['1h2m3s', 3723000000000n],
    ['-2ms', -2000000n],
    ['+5us', 5000n],
    ['3µs', 3000n],
    ['3μs', 3000n],
    ['.5m', 30000000000n],
    ['1.000000001s', 1000000001n],
    ['2562047h47m16.854775807s', 9223372036854775807n],
  ];
  for (const [s, ns] of cases) assert.equal(parseDuration(s), ns, s);
  for (const [s, msg] of [
    ['', 'time: invalid duration ""'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['.s', 'time: invalid duration ".s"'],
    ['s', 'time: invalid duration "s"'],
    ['9999999999999999999h', 'time: invalid duration "9999999999999999999h"'],
    ['2562047h47m16.854775808s', 'time: invalid duration "2562047h47m16.854775808s"'],
    ['1é', 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'],
  ]) {
    assert.throws(() => parseDuration(s), { message: msg }, s);
  }
});

test('strconv parsers', () => {
  assert.equal(parseBool('T'), true);
  assert.equal(parseBool('False'), false);
  assert.throws(() => parseBool('yes'), { message: 'strconv.ParseBool: parsing "yes": invalid syntax' });
  assert.equal(parseUint('0755', 8, 32), 0o755n);
  assert.throws(() => parseUint('8', 8, 32), /invalid syntax/);
  assert.throws(() => parseUint('4294967296', 10, 32), /value out of range/);
  assert.equal(parseInt10('-2147483648', 32), -2147483648n);
  assert.throws(() => parseInt10('2147483648', 32), { message: 'strconv.ParseInt: parsing "2147483648": value out of range' });
  assert.throws(() => parseInt10('', 32), { message: 'strconv.ParseInt: parsing "": invalid syntax' });
  assert.throws(() => parseInt10('1_0', 32), /invalid syntax/);
});

test('ramInBytes is go-units RAMInBytes', () => {
  const cases: [string, number][] = [
    ['32', 32],
    ['32b', 32],
    ['32k', 32 * 1024],
    ['32KB', 32 * 1024],
    ['32 KiB', 32 * 1024],
    ['32.5m', 32.5 * 1024 * 1024],
    ['1g', 1024 ** 3],
    ['1T', 1024 ** 4],
    ['1e3', 1000],
    ['1 ', 1],
  ];
  for (const [s, n] of cases) assert.equal(ramInBytes(s), n, s);
  for (const s of ['', 'k', '-1', '1x', '1kib ', '1kbb', '32bb', '1.2.3k']) assert.throws(() => ramInBytes(s), s);
});

test('csvFields is go-csvvalue', () => {
  assert.deepEqual(csvFields('a,b,,c'), ['a', 'b', '', 'c']);
  assert.deepEqual(csvFields('"a,b","c""d",e\n'), ['a,b', 'c"d', 'e']);
  assert.deepEqual(csvFields('"a",'), ['a', '']);
  assert.throws(() => csvFields(''), { message: 'EOF' });
  assert.throws(() => csvFields('a"b'), { message: 'parse error on line 1, column 2: bare " in non-quoted-field' });
  assert.throws(() => csvFields('"ab'), { message: 'parse error on line 1, column 2: extraneous or missing " in quoted-field' });
  assert.throws(() => csvFields('é,"a"b'), { message: 'parse error on line 1, column 6: extraneous or missing " in quoted-field' });
});

test('suggest: closest option within two edits', () => {
  assert.equal(suggest('fro', ['from', 'chown'], true), 'from');
  assert.equal(suggest('from', ['from', 'chown'], true), '');
  assert.equal(suggest('xyz', ['from'], true), '');
  assert.equal(suggest('RUNN', ['RUN', 'ENV'], false), 'RUN');
  assert.equal(suggest('runn', ['RUN', 'ENV'], false), 'run');
  assert.equal(suggest('Runn', ['RUN', 'ENV'], false), 'run');
});
