import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { GoNil, formatFloat, goFloat, goMap, goStruct, sprint, sprintf, sprintln } from '../../src/cli/format/index.js';

function cases(list: Array<[string, unknown[], string]>): void {
  for (const [format, args, want] of list) assert.equal(sprintf(format, ...args), want, `${format} ${String(args)}`);
}

describe('fmt: integers', () => {
  it('formats with verbs, flags and widths', () => {
    cases([
      ['%d', [42], '42'],
      ['%5d|%-5d|%05d', [42, 42, 42], '   42|42   |00042'],
      ['%+d % d %+d', [5, 5, -5], '+5  5 -5'],
      ['%x %X %#x %#X', [255, 255, 255, 255], 'ff FF 0xff 0XFF'],
      ['%x', [-255], '-ff'],
      ['%o %#o %O %b', [8, 8, 8, 5], '10 010 0o10 101'],
      ['%08.3d|%.0d|%5.0d|', [7, 0, 0], '     007||     |'],
      ['%#08x', [255], '0x000000ff'],
      ['%c%c', [0x263a, 65], '☺A'],
      ['%q %+q', [120, 0xe9], "'x' '\\u00e9'"],
      ['%U %#U', [0x1f600, 65], "U+1F600 U+0041 'A'"],
      ['%v %d', [12345678901234567890n, -9223372036854775808n], '12345678901234567890 -9223372036854775808'],
    ]);
  });
});

describe('fmt: floats', () => {
  it('rounds half to even on exact ties, as strconv does', () => {
    cases([
      ['%.0f %.0f %.0f', [goFloat(2.5), goFloat(3.5), goFloat(0.5)], '2 4 0'],
      ['%.1f %.1f %.2f', [0.25, 0.35, 2.675], '0.2 0.3 2.67'],
      ['%.2f', [1.125], '1.12'],
    ]);
  });

  it('formats %e %f %g and %v', () => {
    cases([
      ['%f', [3.14159], '3.141590'],
      ['%e', [123456.789], '1.234568e+05'],
      ['%E', [0.000123], '1.230000E-04'],
      ['%g %g %g', [0.00001234, goFloat(100000), goFloat(1e6)], '1.234e-05 100000 1e+06'],
      ['%G', [1e-7], '1E-07'],
      ['%v %v %v', [goFloat(1e21), goFloat(123456789), 0.1], '1e+21 1.23456789e+08 0.1'],
      ['%8.3f|%-8.2f|%08.3f', [3.14159, 3.14159, -3.14159], '   3.142|3.14    |-003.142'],
      ['%+.1e', [goFloat(12345)], '+1.2e+04'],
      ['% .2f', [1.5], ' 1.50'],
      ['%v %v %v %5.1f', [NaN, Infinity, -Infinity, Infinity], 'NaN +Inf -Inf  +Inf'],
      ['%.3g %.3g %.10g', [goFloat(999.5), 1.5, 1 / 3], '1e+03 1.5 0.3333333333'],
      ['%v %v', [goFloat(-0), -0], '-0 0'],
      ['%.1f', [goFloat(1e20)], '100000000000000000000.0'],
      ['%v', [5e-324], '5e-324'],
    ]);
  });

  it('matches strconv.FormatFloat', () => {
    assert.equal(formatFloat(1.986, 'g', 4), '1.986');
    assert.equal(formatFloat(1.985512, 'g', 3), '1.99');
    assert.equal(formatFloat(1.84976, 'g', 4), '1.85');
    assert.equal(formatFloat(0, 'g', 3), '0');
    assert.equal(formatFloat(100, 'g', 3), '100');
    assert.equal(formatFloat(1000, 'g', 3), '1e+03');
    assert.equal(formatFloat(123456, 'e', -1), '1.23456e+05');
    assert.equal(formatFloat(0.000001, 'f', -1), '0.000001');
    assert.equal(formatFloat(1e21, 'f', -1), '1000000000000000000000');
  });
});

describe('fmt: strings', () => {
  it('formats %s %q %x %v with width and precision in runes', () => {
    cases([
      ['%s|%10s|%-10s|', ['hi', 'hi', 'hi'], 'hi|        hi|hi        |'],
      ['%.2s %.1s', ['hello', 'été'], 'he é'],
      ['%5s|', ['é'], '    é|'],
      ['%q', ['a"b\n\t\x01é'], '"a\\"b\\n\\t\\x01é"'],
      ['%+q %#q %#q', ['é', 'hi', 'a`b'], '"\\u00e9" `hi` "a`b"'],
      ['%x % x %X %#x', ['hi', 'hi', 'hi', 'hi'], '6869 68 69 6869 0x6869'],
      ['%05s', ['ab'], '000ab'],
      ['%%|%c', [65], '%|A'],
    ]);
  });
});

describe('fmt: composite values', () => {
  it('prints slices, maps and structs', () => {
    cases([
      ['%v', [[1, 'a', true]], '[1 a true]'],
      ['%v %v', [goMap({ b: 2, a: 1 }), new Map([[2, 'x'], [1, 'y']])], 'map[a:1 b:2] map[1:y 2:x]'],
      ['%v|%+v', [{ Name: 'a', Age: 1 }, { Name: 'a', Age: 1 }], '{a 1}|{Name:a Age:1}'],
      ['%q', [['a', 'b']], '["a" "b"]'],
      ['%d', [[1, 2]], '[1 2]'],
      ['%x', [['hi', 10]], '[6869 a]'],
      ['%v %v %v', [new GoNil('slice', '[]string'), new GoNil('map', 'map[string]string'), new GoNil('pointer', '*T')], '[] map[] <nil>'],
      ['%v', [[null, undefined]], '[<nil> <nil>]'],
      ['%#v', [['a', 'b']], '[]string{"a", "b"}'],
      ['%T %T %T %T', [1, 'x', goFloat(1), goStruct({ A: 1 }, 'image.Summary')], 'int string float64 image.Summary'],
    ]);
  });
});

describe('fmt: errors', () => {
  it('marks bad verbs, missing and extra arguments', () => {
    cases([
      ['%t %t', [true, 1], 'true %!t(int=1)'],
      ['%d', ['x'], '%!d(string=x)'],
      ['%z', [1], '%!z(int=1)'],
      ['%d %d', [1], '1 %!d(MISSING)'],
      ['%d', [1, 2, 'x'], '1%!(EXTRA int=2, string=x)'],
      ['%', [], '%!(NOVERB)'],
      ['%!', [1], '%!!(int=1)'],
      ['%v %s %d', [null, null, null], '<nil> %!s(<nil>) %!d(<nil>)'],
      ['%s', [[1]], '[%!s(int=1)]'],
      ['%*d|%-*d|%.*f', [5, 42, 5, 42, 2, 3.14159], '   42|42   |3.14'],
      ['%[2]d %[1]d', [1, 2], '2 1'],
      ['%[3]d', [1, 2], '%!d(BADINDEX)'],
      ['%*d', ['x', 1], '%!(BADWIDTH)1'],
    ]);
  });
});

describe('fmt: Sprint and Sprintln', () => {
  it('adds spaces between operands when neither is a string', () => {
    assert.equal(sprint('a', 1, 2, 'b', 'c', 3), 'a1 2bc3');
    assert.equal(sprint(1, 2, [3]), '1 2 [3]');
    assert.equal(sprint(null, 1), '<nil> 1');
    assert.equal(sprintln('a', 1, 'b'), 'a 1 b\n');
    assert.equal(sprintln(), '\n');
  });
});
