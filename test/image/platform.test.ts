import { join } from 'node:path';
import { fixturesDir } from '../helpers/paths.js';
// Tables from the behaviour of github.com/containerd/platforms (specifier parsing, normalisation,
// Only/OnlyStrict/OnlyOS matching and ordering), Docker's manifest selection, and the manifest
// lists captured in /work/shared/fixtures.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  InvalidPlatformError,
  allPlatforms,
  amd64VariantFromCpuinfo,
  anyPlatform,
  cpuVariantFromCpuinfo,
  defaultMatcher,
  defaultPlatform,
  defaultPlatformString,
  defaultStrictMatcher,
  filterManifests,
  formatPlatform,
  formatPlatformAll,
  goArch,
  goOS,
  hostPlatform,
  isKnownArch,
  isKnownOS,
  maximumPlatform,
  newMatcher,
  normalizeArch,
  normalizeOS,
  normalizePlatform,
  only,
  onlyOS,
  onlyStrict,
  onlyWithFallback,
  ordered,
  parsePlatform,
  parsePlatforms,
  platformComparator,
  platformVector,
  toPlatform,
  type HostPlatform,
  type Platform,
  type PlatformMatchComparer,
} from '../../src/image/platform.js';
import { BerthError } from '../../src/image/errors.js';

const AMD64_HOST: HostPlatform = { os: 'linux', architecture: 'amd64', cpuVariant: '', amd64Variant: 'v1' };
const ARM64_HOST: HostPlatform = { os: 'linux', architecture: 'arm64', cpuVariant: 'v8' };
const ARMV6_HOST: HostPlatform = { os: 'linux', architecture: 'arm', cpuVariant: 'v6' };
const ARMV7_HOST: HostPlatform = { os: 'linux', architecture: 'arm', cpuVariant: 'v7' };

// Parses with the test host (linux/amd64) so single-component specifiers are deterministic.
const P = (s: string): Platform => parsePlatform(s, AMD64_HOST);

describe('parsePlatform', () => {
  // specifier → expected platform, formatted (Format or FormatAll), platforms the matcher accepts
  const cases: { input: string; expected: Platform; formatted: string; all?: boolean; matches?: Platform[] }[] = [
    {
      input: 'linux/arm64',
      expected: { architecture: 'arm64', os: 'linux' },
      formatted: 'linux/arm64',
      matches: [
        { architecture: 'aarch64', os: 'linux' },
        { architecture: 'aarch64', os: 'linux', variant: 'v8' },
        { architecture: 'arm64', os: 'linux', variant: 'v8' },
      ],
    },
    {
      input: 'linux/arm64/v8',
      expected: { architecture: 'arm64', os: 'linux', variant: 'v8' },
      formatted: 'linux/arm64/v8',
      matches: [
        { architecture: 'aarch64', os: 'linux' },
        { architecture: 'aarch64', os: 'linux', variant: 'v8' },
        { architecture: 'arm64', os: 'linux' },
      ],
    },
    {
      input: 'linux/arm',
      expected: { architecture: 'arm', os: 'linux' },
      formatted: 'linux/arm',
      matches: [
        { architecture: 'arm', os: 'linux', variant: 'v7' },
        { architecture: 'armhf', os: 'linux' },
        { architecture: 'arm', os: 'linux', variant: '7' },
      ],
    },
    {
      input: 'linux/arm/v6',
      expected: { architecture: 'arm', os: 'linux', variant: 'v6' },
      formatted: 'linux/arm/v6',
      matches: [{ architecture: 'armel', os: 'linux' }],
    },
    {
      input: 'linux/arm/v7',
      expected: { architecture: 'arm', os: 'linux', variant: 'v7' },
      formatted: 'linux/arm/v7',
      matches: [
        { architecture: 'arm', os: 'linux' },
        { architecture: 'armhf', os: 'linux' },
      ],
    },
    { input: 'arm', expected: { architecture: 'arm', os: 'linux' }, formatted: 'linux/arm' },
    { input: 'armel', expected: { architecture: 'arm', os: 'linux', variant: 'v6' }, formatted: 'linux/arm/v6' },
    { input: 'armhf', expected: { architecture: 'arm', os: 'linux' }, formatted: 'linux/arm' },
    { input: 'Aarch64', expected: { architecture: 'arm64', os: 'linux' }, formatted: 'linux/arm64' },
    { input: 'arm64', expected: { architecture: 'arm64', os: 'linux' }, formatted: 'linux/arm64' },
    { input: 'amd64', expected: { architecture: 'amd64', os: 'linux' }, formatted: 'linux/amd64' },
    { input: 'x86_64', expected: { architecture: 'amd64', os: 'linux' }, formatted: 'linux/amd64' },
    { input: 'x86-64', expected: { architecture: 'amd64', os: 'linux' }, formatted: 'linux/amd64' },
    { input: 'Linux/x86_64', expected: { architecture: 'amd64', os: 'linux' }, formatted: 'linux/amd64' },
    { input: 'i386', expected: { architecture: '386', os: 'linux' }, formatted: 'linux/386' },
    { input: 'linux', expected: { architecture: 'amd64', os: 'linux' }, formatted: 'linux/amd64' },
    { input: 's390x', expected: { architecture: 's390x', os: 'linux' }, formatted: 'linux/s390x' },
    { input: 'linux/s390x', expected: { architecture: 's390x', os: 'linux' }, formatted: 'linux/s390x' },
    { input: 'macOS', expected: { architecture: 'amd64', os: 'darwin' }, formatted: 'darwin/amd64' },
    { input: 'windows', expected: { architecture: 'amd64', os: 'windows' }, formatted: 'windows/amd64' },
    { input: 'windows()', expected: { architecture: 'amd64', os: 'windows' }, formatted: 'windows/amd64', all: true },
    {
      input: 'windows(10.0.17763)',
      expected: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763' },
      formatted: 'windows(10.0.17763)/amd64',
      all: true,
    },
    {
      input: 'windows(10.0.17763+win32k)',
      expected: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763', 'os.features': ['win32k'] },
      formatted: 'windows(10.0.17763+win32k)/amd64',
      all: true,
    },
    {
      input: 'linux(+gpu)',
      expected: { architecture: 'amd64', os: 'linux', 'os.features': ['gpu'] },
      formatted: 'linux(+gpu)/amd64',
      all: true,
    },
    {
      input: 'linux(+gpu+simd)',
      expected: { architecture: 'amd64', os: 'linux', 'os.features': ['gpu', 'simd'] },
      formatted: 'linux(+gpu+simd)/amd64',
      all: true,
    },
    {
      input: 'linux(+unsorted+erofs)',
      expected: { architecture: 'amd64', os: 'linux', 'os.features': ['unsorted', 'erofs'] },
      formatted: 'linux(+erofs+unsorted)/amd64',
      all: true,
    },
    {
      input: 'windows(10.0.17763%2Bbuild.42)',
      expected: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763+build.42' },
      formatted: 'windows(10.0.17763%2Bbuild.42)/amd64',
      all: true,
    },
    {
      input: 'windows(10.0.17763%2Bbuild.42+win32k)',
      expected: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763+build.42', 'os.features': ['win32k'] },
      formatted: 'windows(10.0.17763%2Bbuild.42+win32k)/amd64',
      all: true,
    },
    {
      input: 'windows(50%25done)',
      expected: { architecture: 'amd64', os: 'windows', 'os.version': '50%done' },
      formatted: 'windows(50%25done)/amd64',
      all: true,
    },
    // Two components are os/arch, even when the first looks like an architecture.
    { input: 'arm/v7', expected: { architecture: 'v7', os: 'arm' }, formatted: 'arm/v7' },
    { input: 'linux/aarch64', expected: { architecture: 'arm64', os: 'linux' }, formatted: 'linux/arm64' },
    { input: 'linux/armhf', expected: { architecture: 'arm', os: 'linux' }, formatted: 'linux/arm' },
    { input: 'linux/armel', expected: { architecture: 'arm', os: 'linux', variant: 'v6' }, formatted: 'linux/arm/v6' },
    { input: 'linux/i386', expected: { architecture: '386', os: 'linux' }, formatted: 'linux/386' },
    { input: 'linux/arm/7', expected: { architecture: 'arm', os: 'linux', variant: 'v7' }, formatted: 'linux/arm/v7' },
    { input: 'linux/arm/5', expected: { architecture: 'arm', os: 'linux', variant: 'v5' }, formatted: 'linux/arm/v5' },
    { input: 'linux/aarch64/8', expected: { architecture: 'arm64', os: 'linux', variant: 'v8' }, formatted: 'linux/arm64/v8' },
    { input: 'linux/arm64/v8.0', expected: { architecture: 'arm64', os: 'linux', variant: 'v8' }, formatted: 'linux/arm64/v8' },
    { input: 'linux/arm64/9.0', expected: { architecture: 'arm64', os: 'linux', variant: 'v9' }, formatted: 'linux/arm64/v9' },
    { input: 'linux/arm64/v8.2', expected: { architecture: 'arm64', os: 'linux', variant: 'v8.2' }, formatted: 'linux/arm64/v8.2' },
    { input: 'linux/amd64/v1', expected: { architecture: 'amd64', os: 'linux' }, formatted: 'linux/amd64' },
    { input: 'linux/amd64/V3', expected: { architecture: 'amd64', os: 'linux', variant: 'v3' }, formatted: 'linux/amd64/v3' },
    { input: 'linux/i386/x', expected: { architecture: '386', os: 'linux' }, formatted: 'linux/386' },
    { input: 'freebsd/riscv64', expected: { architecture: 'riscv64', os: 'freebsd' }, formatted: 'freebsd/riscv64' },
    { input: 'foo/bar', expected: { architecture: 'bar', os: 'foo' }, formatted: 'foo/bar' },
  ];
  for (const c of cases) {
    test(c.input, () => {
      const p = P(c.input);
      assert.deepEqual(p, c.expected);
      const m = newMatcher(p);
      assert.ok(m.match(c.expected));
      for (const other of c.matches ?? []) assert.ok(m.match(other), JSON.stringify(other));
      const formatted = c.all ? formatPlatformAll(p) : formatPlatform(p);
      assert.equal(formatted, c.formatted);
      // Formatting is stable under re-parsing.
      const again = P(formatted);
      assert.equal(c.all ? formatPlatformAll(again) : formatPlatform(again), formatted);
    });
  }

  test('single components depend on the host', () => {
    assert.deepEqual(parsePlatform('linux', ARM64_HOST), { architecture: 'arm64', os: 'linux' });
    assert.deepEqual(parsePlatform('linux', ARMV6_HOST), { architecture: 'arm', os: 'linux', variant: 'v6' });
    assert.deepEqual(parsePlatform('linux', ARMV7_HOST), { architecture: 'arm', os: 'linux' });
    assert.deepEqual(parsePlatform('arm64', { os: 'darwin', architecture: 'arm64', cpuVariant: 'v8' }), {
      architecture: 'arm64',
      os: 'darwin',
    });
    assert.deepEqual(parsePlatform('windows', ARM64_HOST), { architecture: 'arm64', os: 'windows' });
  });

  test('without an explicit host, the real host is used', () => {
    const host = hostPlatform();
    assert.deepEqual(parsePlatform('linux').architecture, host.architecture);
    assert.equal(parsePlatform('amd64').os, host.os);
  });

  const OS_RE = String.raw`"^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$"`;
  const COMPONENT_RE = '"^[A-Za-z0-9_.-]+$"';
  const invalid: [string, string][] = [
    ['', `"" is an invalid OS component of "": OSAndVersion specifier component must match ${OS_RE}: invalid argument`],
    ['/linux/arm', `"" is an invalid OS component of "/linux/arm": OSAndVersion specifier component must match ${OS_RE}: invalid argument`],
    ['linux/arm/', `"" is an invalid component of "linux/arm/": platform specifier component must match ${COMPONENT_RE}: invalid argument`],
    ['linux /arm', `"linux " is an invalid OS component of "linux /arm": OSAndVersion specifier component must match ${OS_RE}: invalid argument`],
    ['linux/&arm', `"&arm" is an invalid component of "linux/&arm": platform specifier component must match ${COMPONENT_RE}: invalid argument`],
    ['linux/arm/foo/bar', '"linux/arm/foo/bar": cannot parse platform specifier: invalid argument'],
    ['foo/bar/baz/qux', '"foo/bar/baz/qux": cannot parse platform specifier: invalid argument'],
    ['a/b/c/d/e', `"d/e" is an invalid component of "a/b/c/d/e": platform specifier component must match ${COMPONENT_RE}: invalid argument`],
    ['foo', '"foo": unknown operating system or architecture: invalid argument'],
    ['amd64(1.0)', '"amd64(1.0)": unknown operating system or architecture: invalid argument'],
    ['*', '"*": wildcards not yet supported: invalid argument'],
    ['linux/*', '"linux/*": wildcards not yet supported: invalid argument'],
    ['linux(%zz)/amd64', '"linux(%zz)/amd64" has an invalid OS version "%zz": invalid URL escape "%zz"'],
    ['linux(1%2)/amd64', '"linux(1%2)/amd64" has an invalid OS version "1%2": invalid URL escape "%2"'],
    ['linux(+a%g1)/amd64', '"linux(+a%g1)/amd64" has invalid OS features: invalid os feature "a%g1": invalid URL escape "%g1"'],
    ['linux(+)/amd64', `"linux(+)" is an invalid OS component of "linux(+)/amd64": OSAndVersion specifier component must match ${OS_RE}: invalid argument`],
    ['linux"/amd64', `"linux\\"" is an invalid OS component of "linux\\"/amd64": OSAndVersion specifier component must match ${OS_RE}: invalid argument`],
  ];
  for (const [input, message] of invalid) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => P(input),
        (e: unknown) => e instanceof InvalidPlatformError && e instanceof BerthError && e.kind === 'invalid-argument' && e.message === message,
      );
    });
  }

  test('parsePlatforms', () => {
    assert.deepEqual(parsePlatforms(['linux/amd64', 'linux/arm64'], AMD64_HOST), [
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux' },
    ]);
    assert.throws(() => parsePlatforms(['linux/amd64', 'foo'], AMD64_HOST), {
      message: 'invalid platform foo: "foo": unknown operating system or architecture: invalid argument',
    });
  });

  test('long inputs are handled quickly', () => {
    const start = process.hrtime.bigint();
    for (const s of ['linux(' + '+'.repeat(65536) + ')/amd64', 'linux(+CONFIG_' + 'FOO=y_'.repeat(16384) + 'BAR)/amd64', 'a'.repeat(100000) + '!']) {
      assert.throws(() => P(s), InvalidPlatformError);
    }
    const features = P('linux(+' + 'feature+'.repeat(16) + 'x)/amd64')['os.features']!;
    assert.equal(features.length, 17);
    assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 2000);
  });
});

describe('formatting', () => {
  const all: [Platform, string][] = [
    [{ os: 'windows', 'os.version': '10.0.17763+build.42', architecture: 'amd64' }, 'windows(10.0.17763%2Bbuild.42)/amd64'],
    [
      { os: 'windows', 'os.version': '10.0.17763+build.42', 'os.features': ['win32k'], architecture: 'amd64' },
      'windows(10.0.17763%2Bbuild.42+win32k)/amd64',
    ],
    [{ os: 'windows', 'os.version': '50%done', architecture: 'amd64' }, 'windows(50%25done)/amd64'],
    [{ os: 'windows', 'os.version': '1.0(beta)', architecture: 'amd64' }, 'windows(1.0%28beta%29)/amd64'],
    [{ os: 'windows', 'os.version': 'a/b', architecture: 'amd64' }, 'windows(a%2Fb)/amd64'],
    [{ os: 'windows', 'os.version': '10.0.17763', architecture: 'amd64' }, 'windows(10.0.17763)/amd64'],
    [{ os: 'linux', 'os.features': ['feat+v2'], architecture: 'amd64' }, 'linux(+feat%2Bv2)/amd64'],
    [{ os: 'linux', 'os.features': ['100%gpu'], architecture: 'amd64' }, 'linux(+100%25gpu)/amd64'],
    [{ os: 'windows', 'os.version': '10.0+build', 'os.features': ['feat+1'], architecture: 'amd64' }, 'windows(10.0%2Bbuild+feat%2B1)/amd64'],
  ];
  for (const [platform, expected] of all) {
    test(`FormatAll ${expected}`, () => {
      const formatted = formatPlatformAll(platform);
      assert.equal(formatted, expected);
      const back = P(formatted);
      assert.equal(back['os.version'], platform['os.version']);
      assert.deepEqual(back['os.features'], platform['os.features']);
    });
  }

  test('FormatAll skips empty and duplicate features and sorts them', () => {
    assert.equal(formatPlatformAll({ os: 'linux', architecture: 'amd64', 'os.features': ['', 'gpu', '', 'simd'] }), 'linux(+gpu+simd)/amd64');
    assert.equal(formatPlatformAll({ os: 'linux', architecture: 'amd64', 'os.features': ['b', 'a', 'b'] }), 'linux(+a+b)/amd64');
    assert.equal(formatPlatformAll({ os: 'linux', architecture: 'amd64', 'os.features': [''] }), 'linux/amd64');
  });

  test('Format', () => {
    assert.equal(formatPlatform({ os: '', architecture: 'amd64' }), 'unknown');
    assert.equal(formatPlatformAll({ os: '', architecture: 'amd64' }), 'unknown');
    assert.equal(formatPlatform({ os: 'linux', architecture: '' }), 'linux');
    assert.equal(formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }), 'linux/arm64/v8');
    // Format does not normalise, and ignores version/features.
    assert.equal(formatPlatform({ os: 'Linux', architecture: 'x86_64' }), 'Linux/x86_64');
    assert.equal(formatPlatform({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.1' }), 'windows/amd64');
    // path.Join cleaning.
    assert.equal(formatPlatform({ os: 'linux', architecture: '..', variant: 'x' }), 'x');
  });

  test('toPlatform drops empty fields and orders keys like Go', () => {
    const p = toPlatform({ variant: '', os: 'linux', 'os.features': null, architecture: 'arm64', 'os.version': '' });
    assert.deepEqual(p, { architecture: 'arm64', os: 'linux' });
    assert.equal(
      JSON.stringify(toPlatform({ variant: 'v7', 'os.features': ['a'], os: 'linux', 'os.version': '1', architecture: 'arm' })),
      '{"architecture":"arm","os":"linux","os.version":"1","os.features":["a"],"variant":"v7"}',
    );
  });
});

describe('normalisation', () => {
  const arch: [string, string, string, string][] = [
    ['i386', 'x', '386', ''],
    ['x86_64', '', 'amd64', ''],
    ['x86-64', 'v1', 'amd64', ''],
    ['AMD64', 'V2', 'amd64', 'v2'],
    ['aarch64', '', 'arm64', ''],
    ['arm64', '8', 'arm64', ''],
    ['arm64', 'v8', 'arm64', ''],
    ['arm64', 'v8.0', 'arm64', ''],
    ['arm64', 'v8.1', 'arm64', 'v8.1'],
    ['arm64', '9', 'arm64', 'v9'],
    ['arm64', '9.0', 'arm64', 'v9'],
    ['arm64', 'v9.0', 'arm64', 'v9'],
    ['armhf', '', 'arm', 'v7'],
    ['armhf', 'v6', 'arm', 'v7'],
    ['armel', '', 'arm', 'v6'],
    ['arm', '', 'arm', 'v7'],
    ['arm', '7', 'arm', 'v7'],
    ['arm', '5', 'arm', 'v5'],
    ['arm', '6', 'arm', 'v6'],
    ['arm', '8', 'arm', 'v8'],
    ['arm', 'v6', 'arm', 'v6'],
    ['arm', '4', 'arm', '4'],
    ['S390X', '', 's390x', ''],
    ['riscv64', '', 'riscv64', ''],
  ];
  for (const [a, v, ea, ev] of arch) {
    test(`normalizeArch(${a}, ${v})`, () => assert.deepEqual(normalizeArch(a, v), [ea, ev]));
  }
  test('normalizeOS', () => {
    assert.equal(normalizeOS('Linux'), 'linux');
    assert.equal(normalizeOS('macOS'), 'darwin');
    assert.equal(normalizeOS('Windows'), 'windows');
    assert.equal(normalizeOS(''), hostPlatform().os);
  });
  test('normalizePlatform', () => {
    assert.deepEqual(normalizePlatform({ os: 'Linux', architecture: 'aarch64', variant: 'v8' }), { architecture: 'arm64', os: 'linux' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm' }), { architecture: 'arm', os: 'linux', variant: 'v7' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'amd64', 'os.features': ['b', 'a', 'b'], 'os.version': '5' }), {
      architecture: 'amd64',
      os: 'linux',
      'os.version': '5',
      'os.features': ['a', 'b'],
    });
  });
  test('known OS and architectures', () => {
    for (const os of ['linux', 'windows', 'darwin', 'freebsd', 'illumos', 'zos']) assert.ok(isKnownOS(os), os);
    for (const os of ['Linux', 'macos', 'foo']) assert.ok(!isKnownOS(os), os);
    for (const a of ['386', 'amd64', 'arm', 'arm64', 'ppc64le', 'riscv64', 's390x', 'loong64', 'wasm']) assert.ok(isKnownArch(a), a);
    for (const a of ['x86_64', 'aarch64', 'foo']) assert.ok(!isKnownArch(a), a);
  });
});

// specifier → platforms that must / must not match
type MatchTable = [string, string[], string[]][];

function checkTable(table: MatchTable, make: (p: Platform) => { match(p: Platform): boolean }, name: string): void {
  for (const [spec, yes, no] of table) {
    test(`${name}(${spec})`, () => {
      const m = make(P(spec));
      for (const s of yes) assert.ok(m.match(P(s)), `${name}(${spec}) should match ${s}`);
      for (const s of no) assert.ok(!m.match(P(s)), `${name}(${spec}) should not match ${s}`);
    });
  }
}

describe('only (image pulls)', () => {
  const arm64Base = ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8'];
  checkTable(
    [
      ['linux/amd64', ['linux/amd64', 'linux/386'], ['linux/amd64/v2', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      [
        'linux/amd64/v2',
        ['linux/amd64', 'linux/amd64/v1', 'linux/amd64/v2', 'linux/386'],
        ['linux/amd64/v3', 'linux/amd64/v4', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/amd64/v4',
        ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4', 'linux/386'],
        ['linux/arm64', 'windows/amd64'],
      ],
      ['linux/386', ['linux/386'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      ['windows/amd64', ['windows/amd64', 'windows(10.0.17763)/amd64'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/arm']],
      [
        'linux/arm/v8',
        ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8'],
        ['linux/amd64', 'linux/arm/v4', 'linux/arm64', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm/v7',
        ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7'],
        ['linux/amd64', 'linux/arm/v4', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm/v6',
        ['linux/arm/v5', 'linux/arm/v6'],
        ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm/v5',
        ['linux/arm/v5'],
        ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm/v4',
        ['linux/arm/v4'],
        ['linux/amd64', 'linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm64/v9.6',
        [
          ...arm64Base,
          ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `linux/arm64/v8.${i}`),
          'linux/arm64/v9',
          ...[0, 1, 2, 3, 4, 5, 6].map((i) => `linux/arm64/v9.${i}`),
        ],
        ['linux/amd64', 'linux/arm/v4', 'windows/amd64', 'windows/arm', 'linux/arm64/v8.10', 'linux/arm64/v9.7'],
      ],
      [
        'linux/arm64/v9',
        [...arm64Base, ...[1, 2, 3, 4, 5].map((i) => `linux/arm64/v8.${i}`), 'linux/arm64/v9', 'linux/arm64/v9.0'],
        ['linux/amd64', 'linux/arm/v4', 'windows/amd64', 'windows/arm', 'linux/arm64/v8.6', 'linux/arm64/v9.1'],
      ],
      [
        'linux/arm64/v8.1',
        [...arm64Base, 'linux/arm64/v8.1'],
        ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'linux/arm64/v8.2', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm64',
        arm64Base,
        ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'linux/arm64/v8.1', 'windows/amd64', 'windows/arm'],
      ],
      ['linux/arm64/v10', [], ['linux/arm64', 'linux/arm64/v10', 'linux/arm/v7']],
    ],
    only,
    'only',
  );

  test('ordering: exact first, then older variants, best first', () => {
    const sortWith = (spec: string, candidates: string[]) =>
      candidates.map(P).sort(platformComparator(only(P(spec)))).map(formatPlatform);
    assert.deepEqual(sortWith('linux/arm/v7', ['linux/arm/v5', 'linux/arm/v6', 'linux/arm64', 'linux/arm/v7']), [
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
      'linux/arm64',
    ]);
    assert.deepEqual(sortWith('linux/arm64', ['linux/arm/v6', 'linux/amd64', 'linux/arm/v7', 'linux/arm64/v8']), [
      'linux/arm64/v8',
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/amd64',
    ]);
    assert.deepEqual(sortWith('linux/amd64/v3', ['linux/386', 'linux/amd64', 'linux/amd64/v2', 'linux/amd64/v4', 'linux/amd64/v3']), [
      'linux/amd64/v3',
      'linux/amd64/v2',
      'linux/amd64',
      'linux/386',
      'linux/amd64/v4',
    ]);
  });

  test('platformVector', () => {
    const vec = (s: string) => platformVector(normalizePlatform(P(s))).map(formatPlatform);
    assert.deepEqual(vec('linux/amd64'), ['linux/amd64', 'linux/386']);
    assert.deepEqual(vec('linux/amd64/v3'), ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64/v1', 'linux/386']);
    assert.deepEqual(vec('linux/arm/v7'), ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(vec('linux/arm/v5'), ['linux/arm/v5']);
    assert.deepEqual(vec('linux/arm64'), ['linux/arm64/v8', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(vec('linux/arm64/v9.1'), [
      'linux/arm64/v9.1',
      'linux/arm64/v9',
      'linux/arm64/v8.6',
      'linux/arm64/v8.5',
      'linux/arm64/v8.4',
      'linux/arm64/v8.3',
      'linux/arm64/v8.2',
      'linux/arm64/v8.1',
      'linux/arm64/v8',
      'linux/arm/v8',
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
    ]);
    assert.deepEqual(vec('linux/arm64/v12'), []);
    assert.deepEqual(vec('linux/s390x'), ['linux/s390x']);
    assert.deepEqual(platformVector({ os: 'linux', architecture: 'amd64', 'os.features': ['x'] })[1], {
      architecture: '386',
      os: 'linux',
      'os.features': ['x'],
    });
  });
});

describe('onlyStrict', () => {
  checkTable(
    [
      ['linux/amd64', ['linux/amd64'], ['linux/386', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      ['linux/386', ['linux/386'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      ['windows/amd64', ['windows/amd64', 'windows(10.0.17763)/amd64'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/arm']],
      ['windows(10.0.17763)/amd64', ['windows/amd64', 'windows(10.0.17763)/amd64'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/arm']],
      ['linux/arm/v8', ['linux/arm/v8'], ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/amd64', 'linux/arm/v4', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      ['linux/arm/v7', ['linux/arm', 'linux/arm/v7'], ['linux/arm/v5', 'linux/arm/v6', 'linux/amd64', 'linux/arm/v4', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      ['linux/arm/v6', ['linux/arm/v6'], ['linux/arm/v5', 'linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      ['linux/arm/v5', ['linux/arm/v5'], ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      ['linux/arm/v4', ['linux/arm/v4'], ['linux/amd64', 'linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
      [
        'linux/arm64/v9.5',
        ['linux/arm64/v9.5'],
        ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/amd64', 'linux/arm/v4', 'linux/arm64/v8', 'linux/arm64/v8.1', 'linux/arm64/v9', 'linux/arm64/v9.1', 'linux/arm64/v9.4', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm64/v9',
        ['linux/arm64/v9', 'linux/arm64/v9.0'],
        ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v8', 'linux/arm64/v8.1', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm64/v8.1',
        ['linux/arm64/v8.1'],
        ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v8', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
      ],
      [
        'linux/arm64',
        ['linux/arm64', 'linux/arm64/v8'],
        ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
      ],
    ],
    onlyStrict,
    'onlyStrict',
  );
});

describe('onlyOS', () => {
  checkTable(
    [
      ['linux/amd64', ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/386'], ['windows/amd64', 'darwin/arm64']],
      [
        'windows(10.0.17763)/amd64',
        ['windows/amd64', 'windows/arm64', 'windows(10.0.17763)/amd64', 'windows(10.0.17763)/arm64'],
        ['linux/amd64', 'windows(10.0.20348)/amd64'],
      ],
      ['linux(+gpu)/amd64', ['linux/arm64', 'linux(+gpu)/amd64'], ['windows/amd64', 'linux(+gpu+simd)/amd64']],
    ],
    onlyOS,
    'onlyOS',
  );

  const order: [string, string[], string[]][] = [
    ['linux/amd64', ['linux/arm64', 'linux/386', 'linux/amd64', 'windows/amd64'], ['linux/amd64', 'linux/arm64', 'linux/386', 'windows/amd64']],
    ['linux/arm64', ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/arm64'], ['linux/arm64', 'linux/amd64', 'linux/arm/v7', 'windows/arm64']],
    ['linux/amd64', ['windows/amd64', 'darwin/amd64', 'linux/arm64', 'linux/amd64'], ['linux/amd64', 'linux/arm64', 'windows/amd64', 'darwin/amd64']],
  ];
  for (const [spec, input, expected] of order) {
    test(`ordering for ${spec}: ${input.join(' ')}`, () => {
      const sorted = input.map(P).sort(platformComparator(onlyOS(P(spec))));
      assert.deepEqual(sorted.map(formatPlatformAll), expected);
    });
  }
});

describe('ordering with os.features (only, onlyStrict, ordered, any)', () => {
  const cases: [string, string[], string[]][] = [
    [
      'linux/amd64',
      ['windows/amd64', 'linux/amd64', 'linux(+other)/amd64', 'linux/arm64'],
      ['linux/amd64', 'linux(+other)/amd64', 'windows/amd64', 'linux/arm64'],
    ],
    [
      'linux(+none)/amd64',
      ['windows/amd64', 'linux/amd64', 'linux/arm64', 'linux(+other)/amd64'],
      ['linux/amd64', 'linux(+other)/amd64', 'windows/amd64', 'linux/arm64'],
    ],
    [
      'linux(+other)/amd64',
      ['windows/amd64', 'linux/amd64', 'linux/arm64', 'linux(+other)/amd64'],
      ['linux(+other)/amd64', 'linux/amd64', 'windows/amd64', 'linux/arm64'],
    ],
    [
      'linux(+af+other+zf)/amd64',
      ['windows/amd64', 'linux/amd64', 'linux/arm64', 'linux(+other)/amd64'],
      ['linux(+other)/amd64', 'linux/amd64', 'windows/amd64', 'linux/arm64'],
    ],
    [
      'linux(+f1+f2)/amd64',
      ['linux/amd64', 'linux(+f2)/amd64', 'linux(+f1)/amd64', 'linux(+f1+f2)/amd64'],
      ['linux(+f1+f2)/amd64', 'linux(+f2)/amd64', 'linux(+f1)/amd64', 'linux/amd64'],
    ],
    [
      'linux(7.2+other)/amd64',
      ['linux/amd64', 'linux(+other)/amd64', 'linux(7.1)/amd64', 'linux(7.2+other)/amd64'],
      ['linux(+other)/amd64', 'linux(7.2+other)/amd64', 'linux/amd64', 'linux(7.1)/amd64'],
    ],
  ];
  const makers: [string, (p: Platform) => PlatformMatchComparer][] = [
    ['only', only],
    ['onlyStrict', onlyStrict],
    ['ordered', (p) => ordered(p)],
    ['any', (p) => anyPlatform(p)],
  ];
  for (const [spec, input, expected] of cases) {
    for (const [name, make] of makers) {
      test(`${name}(${spec})`, () => {
        const sorted = input.map(P).sort(platformComparator(make(P(spec))));
        assert.deepEqual(sorted.map(formatPlatformAll), expected);
      });
    }
  }

  test('a candidate with features must be a subset of the requested ones', () => {
    assert.ok(!only(P('linux/amd64')).match(P('linux(+gpu)/amd64')));
    assert.ok(only(P('linux(+gpu+simd)/amd64')).match(P('linux(+gpu)/amd64')));
    assert.ok(only(P('linux(+gpu)/amd64')).match(P('linux/amd64')));
    // os.version is ignored outside Windows.
    assert.ok(only(P('linux(5.1)/amd64')).match(P('linux(4.0)/amd64')));
    assert.ok(only(P('linux/amd64')).match(P('linux(4.0)/amd64')));
  });
});

describe('matchers', () => {
  test('ordered and any', () => {
    const o = ordered(P('linux/arm64'), P('linux/amd64'));
    assert.ok(o.match(P('linux/amd64')) && o.match(P('linux/arm64')) && !o.match(P('linux/386')));
    assert.ok(o.less(P('linux/arm64'), P('linux/amd64')));
    assert.ok(!o.less(P('linux/amd64'), P('linux/arm64')));
    const a = anyPlatform(P('linux/arm64'), P('linux/amd64'));
    assert.ok(!a.less(P('linux/arm64'), P('linux/amd64')) && !a.less(P('linux/amd64'), P('linux/arm64')));
    assert.ok(a.less(P('linux/amd64'), P('linux/386')));
    assert.ok(allPlatforms.match(P('plan9/386')) && !allPlatforms.less(P('linux/amd64'), P('linux/386')));
  });

  test('windows OS versions', () => {
    const m = newMatcher(P('windows(10.0.17763)/amd64'));
    assert.ok(m.match(P('windows(10.0.17763.1234)/amd64')));
    assert.ok(m.match(P('windows/amd64')));
    assert.ok(!m.match(P('windows(10.0.20348)/amd64')));
    // From LTSC 2022 on, older LTSC images up to the host build run.
    const m2 = newMatcher(P('windows(10.0.26100)/amd64'));
    assert.ok(m2.match(P('windows(10.0.20348.1)/amd64')));
    assert.ok(m2.match(P('windows(10.0.26100)/amd64')));
    assert.ok(!m2.match(P('windows(10.0.17763)/amd64')));
    assert.ok(!m2.match(P('windows(10.0.26200)/amd64')));
    const m3 = newMatcher(P('windows(10.0.30000)/amd64'));
    assert.ok(m3.match(P('windows(10.0.26100)/amd64')) && !m3.match(P('windows(10.0.20348)/amd64')));
    // Unparsable requested version matches all; a candidate's win32k feature is ignored.
    assert.ok(newMatcher(P('windows(foo)/amd64')).match(P('windows(10.0.1.2)/amd64')));
    assert.ok(newMatcher(P('windows/amd64')).match(P('windows(10.0.17763+win32k)/amd64')));
    assert.ok(!newMatcher(P('linux/amd64')).match(P('linux(+win32k)/amd64')));
  });

  test('onlyWithFallback (Docker: image config without variant)', () => {
    const m = onlyWithFallback(P('linux/arm/v7'));
    assert.ok(m.match(P('linux/arm/v6')));
    assert.ok(m.match({ os: 'linux', architecture: 'arm' }));
    assert.ok(!m.match(P('linux/arm/v8')));
    const m64 = onlyWithFallback(P('linux/arm64/v8.2'));
    assert.ok(m64.match({ os: 'linux', architecture: 'arm64' }));
    assert.ok(!m64.match({ os: 'linux', architecture: 'arm64', variant: 'v9' }));
    assert.ok(!m64.match({ os: 'linux', architecture: 'amd64' }));
  });

  test('defaults', () => {
    assert.deepEqual(defaultPlatform(AMD64_HOST), { architecture: 'amd64', os: 'linux' });
    assert.deepEqual(defaultPlatform(ARM64_HOST), { architecture: 'arm64', os: 'linux', variant: 'v8' });
    assert.equal(defaultPlatformString(ARM64_HOST), 'linux/arm64/v8');
    assert.equal(defaultPlatformString(ARMV6_HOST), 'linux/arm/v6');
    assert.ok(defaultMatcher(ARM64_HOST).match(P('linux/arm/v7')));
    assert.ok(!defaultStrictMatcher(ARM64_HOST).match(P('linux/arm/v7')));
    assert.ok(defaultStrictMatcher(ARM64_HOST).match(P('linux/arm64')));
    assert.deepEqual(maximumPlatform({ ...AMD64_HOST, amd64Variant: 'v3' }), { architecture: 'amd64', os: 'linux', variant: 'v3' });
    assert.deepEqual(maximumPlatform(ARM64_HOST), { architecture: 'arm64', os: 'linux', variant: 'v8' });
    const host = hostPlatform();
    assert.equal(defaultPlatform().os, host.os);
    assert.equal(defaultPlatform().architecture, host.architecture);
    assert.equal(hostPlatform(), host);
  });
});

describe('host detection', () => {
  test('goOS / goArch', () => {
    assert.equal(goOS('linux'), 'linux');
    assert.equal(goOS('win32'), 'windows');
    assert.equal(goOS('darwin'), 'darwin');
    assert.equal(goOS('sunos'), 'solaris');
    assert.equal(goArch('x64'), 'amd64');
    assert.equal(goArch('ia32'), '386');
    assert.equal(goArch('arm64'), 'arm64');
    assert.equal(goArch('arm'), 'arm');
    assert.equal(goArch('ppc64', 'LE'), 'ppc64le');
    assert.equal(goArch('ppc64', 'BE'), 'ppc64');
    assert.equal(goArch('mipsel'), 'mipsle');
    assert.equal(goArch('s390x'), 's390x');
    assert.equal(goArch('riscv64'), 'riscv64');
    assert.equal(goArch('loong64'), 'loong64');
  });

  test('ARM variant from /proc/cpuinfo', () => {
    const pi4 = 'processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n';
    const pi1 = 'processor\t: 0\nmodel name\t: ARMv6-compatible processor rev 7 (v6l)\nCPU architecture: 7\n';
    const armv7 = 'processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\nCPU architecture: 7\n';
    const cases: [string | undefined, string, string, string][] = [
      [pi4, 'arm64', 'aarch64', 'v8'],
      [pi4, 'arm', 'armv8l', 'v8'],
      [pi1, 'arm', 'armv6l', 'v6'], // Raspberry Pi kernel quirk
      [pi1, 'arm64', 'armv6l', 'v7'], // the quirk only applies to 32-bit builds
      [armv7, 'arm', 'armv7l', 'v7'],
      ['CPU architecture: 7M\n', 'arm', '', 'v7'],
      ['CPU architecture: ?(12)\n', 'arm', '', 'v7'],
      ['CPU architecture: 6TEJ\n', 'arm', '', 'v6'],
      ['CPU architecture: 5TE\n', 'arm', '', 'v5'],
      ['CPU architecture: 4T\n', 'arm', '', 'v4'],
      ['CPU architecture: 3\n', 'arm', '', 'v3'],
      ['CPU architecture: AArch64\n', 'arm64', '', 'v8'],
      ['CPU architecture: 9\n', 'arm64', '', 'unknown'],
      // No "CPU architecture" line (emulation): from the uname machine.
      ['processor : 0\n', 'arm64', 'aarch64', 'v8'],
      ['processor : 0\n', 'arm', 'Armv8', 'v8'],
      ['processor : 0\n', 'arm', 'armv7l', 'v7'],
      ['processor : 0\n', 'arm', 'armv6l', 'v6'],
      ['processor : 0\n', 'arm', 'armv5tel', 'v5'],
      ['processor : 0\n', 'arm', 'armv4', 'v4'],
      ['processor : 0\n', 'arm', 'armv3', 'v3'],
      ['processor : 0\n', 'arm', 'armv9', 'unknown'],
      ['processor : 0\n', 'arm', 'armxxxx', ''],
      ['processor : 0\n', 'arm', 'armv', ''],
      ['processor : 0\n', 'arm', 'x86_64', ''],
      [undefined, 'arm64', 'aarch64', ''],
    ];
    for (const [cpuinfo, arch, machine, expected] of cases) {
      assert.equal(cpuVariantFromCpuinfo(cpuinfo, arch, machine), expected, `${arch} ${machine} ${JSON.stringify(cpuinfo)}`);
    }
  });

  test('amd64 level from /proc/cpuinfo flags', () => {
    const v1 = 'flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx lm\n';
    const v2 = v1.trimEnd() + ' pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm\n';
    const v3 = v2.trimEnd() + ' fma movbe xsave avx f16c abm bmi1 avx2 bmi2\n';
    const v4 = v3.trimEnd() + ' avx512f avx512dq avx512cd avx512bw avx512vl\n';
    assert.equal(amd64VariantFromCpuinfo(''), 'v1');
    assert.equal(amd64VariantFromCpuinfo(v1), 'v1');
    assert.equal(amd64VariantFromCpuinfo(v2), 'v2');
    assert.equal(amd64VariantFromCpuinfo(v2.replace(' lahf_lm', '')), 'v1');
    assert.equal(amd64VariantFromCpuinfo(v3), 'v3');
    assert.equal(amd64VariantFromCpuinfo(v3.replace(' avx2', '')), 'v2');
    assert.equal(amd64VariantFromCpuinfo(v4), 'v4');
    assert.equal(amd64VariantFromCpuinfo('processor : 0\n' + v4 + 'processor : 1\nflags : fpu\n'), 'v4');
  });

  test('the real host is plausible', () => {
    const host = hostPlatform();
    assert.ok(isKnownOS(host.os), host.os);
    assert.ok(isKnownArch(host.architecture), host.architecture);
    if (host.architecture === 'amd64') assert.match(host.amd64Variant ?? '', /^v[1-4]$/);
    if (host.architecture === 'arm' || host.architecture === 'arm64') assert.match(host.cpuVariant, /^(v[3-8]|unknown|)$/);
    else assert.equal(host.cpuVariant, '');
    assert.ok(Object.isFrozen(host));
  });
});

describe('filterManifests (picking from an image index)', () => {
  const AMD64 = 'sha256:8998e0ab1d6e767ad3024f753bad1f454ef6b3d1bbd606b980b02fdb15d1a0f1';
  const ARM64 = 'sha256:209a39da279e50de9d26e2d21728eada9a5817bcc9cf85dfeda701055b54d576';
  const fixture = join(fixturesDir(), 'registry', 'multi-index.json');
  const index: { manifests: { digest: string; platform?: Platform }[] } = existsSync(fixture)
    ? JSON.parse(readFileSync(fixture, 'utf8'))
    : {
        manifests: [
          { digest: AMD64, platform: { architecture: 'amd64', os: 'linux' } },
          { digest: ARM64, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      };

  test('fixture manifest list: default platform on amd64 and --platform linux/arm64', () => {
    assert.deepEqual(filterManifests(index.manifests, {}, AMD64_HOST).map((d) => d.digest), [AMD64]);
    assert.deepEqual(filterManifests(index.manifests, {}, { ...AMD64_HOST, amd64Variant: 'v3' }).map((d) => d.digest), [AMD64]);
    assert.deepEqual(filterManifests(index.manifests, P('linux/arm64'), AMD64_HOST).map((d) => d.digest), [ARM64]);
    assert.deepEqual(filterManifests(index.manifests, {}, ARM64_HOST).map((d) => d.digest), [ARM64]);
    assert.deepEqual(filterManifests(index.manifests, P('linux/arm/v7'), AMD64_HOST), []);
    assert.deepEqual(filterManifests(index.manifests, P('windows/amd64'), AMD64_HOST), []);
  });

  test('fixture OCI layout index (skopeo copy --all)', () => {
    const blob = join(fixturesDir(), 'oci', 'multi-arch', 'blobs', 'sha256', 'a001264c13dc7370356367cd19afe2f6b393d341aaeefeab2255c767b948834a');
    if (!existsSync(blob)) return;
    const nested: { manifests: { digest: string; platform?: Platform }[] } = JSON.parse(readFileSync(blob, 'utf8'));
    const arm = filterManifests(nested.manifests, { os: 'linux', architecture: 'arm64' }, AMD64_HOST);
    assert.deepEqual(arm.map((d) => d.digest), ['sha256:d30807efe15da92842fc72c2ca5d9d301fcb7ceda578bdc8193233bfd702cf67']);
    const amd = filterManifests(nested.manifests, {}, AMD64_HOST);
    assert.deepEqual(amd.map((d) => d.digest), ['sha256:9c8503f478cdeec2a999b38e515987bc2f350f359255d1bb475bfc9ba33f2bd5']);
  });

  test('best first; variants; entries without platform last; missing fields from the host', () => {
    const list = [
      { digest: 'none' },
      { digest: 'v5', platform: { os: 'linux', architecture: 'arm', variant: 'v5' } },
      { digest: 'arm64', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { digest: 'v7', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { digest: 'empty', platform: { os: '', architecture: '' } },
      { digest: 'v6', platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { digest: 'amd64', platform: { os: 'linux', architecture: 'amd64' } },
      { digest: 'amd64v3', platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } },
      { digest: '386', platform: { os: 'linux', architecture: '386' } },
    ];
    const pick = (p: Partial<Platform>, host = AMD64_HOST) => filterManifests(list, p as Platform, host).map((d) => d.digest);
    assert.deepEqual(pick(P('linux/arm/v7')), ['v7', 'v6', 'v5', 'none', 'empty']);
    assert.deepEqual(pick(P('linux/arm/v6')), ['v6', 'v5', 'none', 'empty']);
    assert.deepEqual(pick(P('linux/arm64')), ['arm64', 'v7', 'v6', 'v5', 'none', 'empty']);
    assert.deepEqual(pick({}, ARMV7_HOST), ['v7', 'v6', 'v5', 'none', 'empty']);
    assert.deepEqual(pick({}, AMD64_HOST), ['amd64', '386', 'none', 'empty']);
    assert.deepEqual(pick({}, { ...AMD64_HOST, amd64Variant: 'v4' }), ['amd64v3', 'amd64', '386', 'none', 'empty']);
    assert.deepEqual(pick({ os: 'linux' }, ARM64_HOST), ['arm64', 'v7', 'v6', 'v5', 'none', 'empty']);
    assert.deepEqual(pick({ architecture: 'arm', variant: 'v6' }, AMD64_HOST), ['v6', 'v5', 'none', 'empty']);
    assert.deepEqual(pick(P('windows/amd64')), ['none', 'empty']);
  });
});
