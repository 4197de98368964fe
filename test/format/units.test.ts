import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  UnitsError,
  bytesSize,
  customSize,
  fromHumanSize,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  ramInBytes,
  timeAgo,
} from '../../src/cli/format/index.js';

describe('units: sizes', () => {
  it('HumanSizeWithPrecision (docker images SIZE uses 3 digits)', () => {
    const cases: Array<[number, number, string]> = [
      [1985512, 3, '1.99MB'],
      [1985562, 3, '1.99MB'],
      [1849760, 3, '1.85MB'],
      [3835272, 3, '3.84MB'],
      [0, 3, '0B'],
      [36, 3, '36B'],
      [14, 3, '14B'],
      [999, 3, '999B'],
      [1000, 3, '1kB'],
      [1500, 3, '1.5kB'],
      [999500, 3, '1e+03kB'],
      [1125000, 3, '1.12MB'],
      [1e18, 3, '1EB'],
      [1e27, 3, '1e+03YB'],
      [-5, 3, '-5B'],
    ];
    for (const [n, p, want] of cases) assert.equal(humanSizeWithPrecision(n, p), want, `${n}`);
  });

  it('HumanSize uses 4 digits (docker VirtualSize, SharedSize)', () => {
    assert.equal(humanSize(1985512), '1.986MB');
    assert.equal(humanSize(1849760), '1.85MB');
    assert.equal(humanSize(1024), '1.024kB');
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(123456789), '123.5MB');
  });

  it('BytesSize and CustomSize use binary units', () => {
    assert.equal(bytesSize(1024), '1KiB');
    assert.equal(bytesSize(1572864), '1.5MiB');
    assert.equal(bytesSize(0), '0B');
    assert.equal(bytesSize(1985512), '1.894MiB');
    assert.equal(customSize('%.2f %s', 1536, 1024, ['B', 'KiB']), '1.50 KiB');
  });

  it('FromHumanSize parses decimal sizes', () => {
    const cases: Array<[string, number]> = [
      ['32', 32],
      ['32b', 32],
      ['32B', 32],
      ['32k', 32000],
      ['32K', 32000],
      ['32kb', 32000],
      ['32Kb', 32000],
      ['32Mb', 32000000],
      ['32Gb', 32000000000],
      ['32.5KB', 32500],
      ['1.5 GB', 1500000000],
      ['32kib', 32000],
      ['0.3', 0],
    ];
    for (const [s, want] of cases) assert.equal(fromHumanSize(s), want, s);
  });

  it('RAMInBytes parses binary sizes', () => {
    const cases: Array<[string, number]> = [
      ['32', 32],
      ['32b', 32],
      ['32k', 32768],
      ['32kb', 32768],
      ['32Kib', 32768],
      ['32MB', 33554432],
      ['1g', 1073741824],
      ['1.5m', 1572864],
      ['32.3', 32],
    ];
    for (const [s, want] of cases) assert.equal(ramInBytes(s), want, s);
  });

  it('rejects malformed sizes with go-units messages', () => {
    const cases: Array<[string, string]> = [
      ['', "invalid size: ''"],
      ['hello', "invalid size: 'hello'"],
      ['-32', "invalid size: '-32'"],
      ['32bm', "invalid suffix: 'bm'"],
      ['32.3.4', 'strconv.ParseFloat: parsing "32.3.4": invalid syntax'],
      ['32x', "invalid suffix: 'x'"],
      ['32kbs', "invalid suffix: 'kbs'"],
      ['32mib0', 'strconv.ParseFloat: parsing "32mib0": invalid syntax'],
    ];
    for (const [s, msg] of cases) {
      assert.throws(() => ramInBytes(s), (e: unknown) => e instanceof UnitsError && e.message === msg, s);
    }
  });
});

describe('units: durations', () => {
  it('HumanDuration', () => {
    const s = 1000;
    const m = 60 * s;
    const h = 60 * m;
    const d = 24 * h;
    const cases: Array<[number, string]> = [
      [-5 * s, 'Less than a second'],
      [0, 'Less than a second'],
      [999, 'Less than a second'],
      [s, '1 second'],
      [59 * s, '59 seconds'],
      [60 * s, 'About a minute'],
      [119 * s, 'About a minute'],
      [2 * m, '2 minutes'],
      [59 * m + 59 * s, '59 minutes'],
      [60 * m, 'About an hour'],
      [89 * m, 'About an hour'],
      [90 * m, '2 hours'],
      [47 * h, '47 hours'],
      [47 * h + 30 * m, '2 days'],
      [13 * d, '13 days'],
      [14 * d, '2 weeks'],
      [59 * d, '8 weeks'],
      [60 * d, '2 months'],
      [729 * d, '24 months'],
      [730 * d, '2 years'],
      [3650 * d, '10 years'],
    ];
    for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}`);
  });

  it('adds " ago" like docker CreatedSince', () => {
    const now = Date.UTC(2026, 10, 25, 20, 48, 0);
    assert.equal(timeAgo(now / 1000, now), 'Less than a second ago');
    assert.equal(timeAgo(now / 1000 - 4, now), '4 seconds ago');
    assert.equal(timeAgo(now / 1000 - 1, now + 500), '1 second ago');
    assert.equal(timeAgo(now / 1000 - 400, now), '6 minutes ago');
  });
});
