import { join } from 'node:path';
import { fixturesDir } from '../helpers/paths.js';
// Tables of inputs and results taken from the behaviour of github.com/distribution/reference
// (v0.6 as vendored by Docker 28.2.2), go-digest v1.0.0, Docker's daemon/CLI, and the references
// that appear in the captured Docker outputs under /work/shared/fixtures.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  DOCKER_HUB_AUTH_KEY,
  DigestReference,
  InvalidReferenceError,
  NamedReference,
  ReferenceMessages,
  authConfigKey,
  checkTruncatedID,
  classifyImageLookup,
  convertToHostname,
  familiarMatch,
  goPathMatch,
  goQuote,
  imageIDSearch,
  isDockerHub,
  isFullImageID,
  isIdentifier,
  isImageIDPrefix,
  isOfficialImage,
  isValidDomain,
  isValidTag,
  matchesImageIDSearch,
  noSuchImageMessage,
  normalizeIndexName,
  parseAnyReference,
  parseDockerRef,
  parseNamed,
  parseNormalizedNamed,
  parseReference,
  registryHost,
  repoTagReference,
  resolveImageIDPrefix,
  sortReferences,
  splitDockerDomain,
  tagReferenceErrorMessage,
  truncateID,
  validateDigest,
  withName,
} from '../../src/image/reference.js';
import { BerthError } from '../../src/image/errors.js';

const F64 = 'f'.repeat(64);
const SHA_F = `sha256:${F64}`;

function errorOf(fn: () => unknown): InvalidReferenceError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InvalidReferenceError, `expected InvalidReferenceError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('parseReference (Go Parse)', () => {
  // input, name, domain, tag, digest (undefined = none) or an error message
  const ok: [string, string, string, string?, string?][] = [
    ['test_com', 'test_com', ''],
    ['test.com:tag', 'test.com', '', 'tag'],
    ['test.com:5000', 'test.com', '', '5000'],
    ['test.com/repo:tag', 'test.com/repo', 'test.com', 'tag'],
    ['test:5000/repo', 'test:5000/repo', 'test:5000'],
    ['test:5000/repo:tag', 'test:5000/repo', 'test:5000', 'tag'],
    [`test:5000/repo@${SHA_F}`, 'test:5000/repo', 'test:5000', undefined, SHA_F],
    [`test:5000/repo:tag@${SHA_F}`, 'test:5000/repo', 'test:5000', 'tag', SHA_F],
    ['lowercase:Uppercase', 'lowercase', '', 'Uppercase'],
    [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, `${'a/'.repeat(127)}a`, 'a', 'tag-puts-this-over-max'],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com'],
    ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com', 'some-long-tag'],
    ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io/test.example.com/my-app', 'b.gcr.io', 'test.example.com'],
    ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com/myimage', 'xn--n3h.com', 'xn--n3h.com'],
    [`xn--7o8h.com/myimage:xn--7o8h.com@${SHA_F}`, 'xn--7o8h.com/myimage', 'xn--7o8h.com', 'xn--7o8h.com', SHA_F],
    ['foo_bar.com:8080', 'foo_bar.com', '', '8080'],
    ['foo/foo_bar.com:8080', 'foo/foo_bar.com', 'foo', '8080'],
    ['192.168.1.1', '192.168.1.1', ''],
    ['192.168.1.1:tag', '192.168.1.1', '', 'tag'],
    ['192.168.1.1:5000', '192.168.1.1', '', '5000'],
    ['192.168.1.1/repo', '192.168.1.1/repo', '192.168.1.1'],
    ['192.168.1.1:5000/repo', '192.168.1.1:5000/repo', '192.168.1.1:5000'],
    ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000/repo', '192.168.1.1:5000', '5050'],
    ['[2001:db8::1]/repo', '[2001:db8::1]/repo', '[2001:db8::1]'],
    ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]/repo', '[2001:db8:1:2:3:4:5:6]', 'tag'],
    ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000/repo', '[2001:db8::1]:5000'],
    ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'tag'],
    [`[2001:db8::1]:5000/repo@${SHA_F}`, '[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', undefined, SHA_F],
    [`[2001:db8::1]:5000/repo:tag@${SHA_F}`, '[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'tag', SHA_F],
    ['[2001:db8::]:5000/repo', '[2001:db8::]:5000/repo', '[2001:db8::]:5000'],
    ['[::1]:5000/repo', '[::1]:5000/repo', '[::1]:5000'],
    [`example.com/${'a'.repeat(255)}:tag`, `example.com/${'a'.repeat(255)}`, 'example.com', 'tag'],
    // Separators: one '.', one or two '_', any number of '-'.
    ['a.b_c__d-e---f', 'a.b_c__d-e---f', ''],
    ['Uppercase/lowercase:tag', 'Uppercase/lowercase', 'Uppercase', 'tag'],
    [`a:${'t'.repeat(128)}`, 'a', '', 't'.repeat(128)],
    [`repo@sha512:${'a'.repeat(128)}`, 'repo', '', undefined, `sha512:${'a'.repeat(128)}`],
    [`repo@sha384:${'a'.repeat(96)}`, 'repo', '', undefined, `sha384:${'a'.repeat(96)}`],
  ];
  for (const [input, name, domain, tag, digest] of ok) {
    test(`parses ${input.length > 80 ? input.slice(0, 80) + '…' : input}`, () => {
      const ref = parseReference(input);
      assert.equal(ref.toString(), input);
      assert.equal(ref.name, name);
      assert.equal(ref.domain, domain);
      assert.equal(ref.tag, tag);
      assert.equal(ref.digest, digest);
    });
  }

  const bad: [string, string][] = [
    ['', ReferenceMessages.nameEmpty],
    [':justtag', ReferenceMessages.invalidFormat],
    [`@${SHA_F}`, ReferenceMessages.invalidFormat],
    [`repo@sha256:${'f'.repeat(34)}`, ReferenceMessages.checksumInvalidLength],
    [`validname@invaliddigest:${F64}`, ReferenceMessages.digestUnsupported],
    [`validname@sha256:${'F'.repeat(64)}`, ReferenceMessages.checksumInvalidFormat],
    [`validname@SHA256:${F64}`, ReferenceMessages.checksumInvalidFormat],
    [`validname@sha256:${'f'.repeat(31)}`, ReferenceMessages.invalidFormat],
    ['Uppercase:tag', ReferenceMessages.nameContainsUppercase],
    ['test:5000/Uppercase/lowercase:tag', ReferenceMessages.nameContainsUppercase],
    [`domain/${'a'.repeat(256)}:tag`, ReferenceMessages.nameTooLong],
    ['aa/asdf$$^/aa', ReferenceMessages.invalidFormat],
    ['[2001:db8::1]', ReferenceMessages.invalidFormat],
    ['[2001:db8::1]:5000', ReferenceMessages.invalidFormat],
    ['[2001:db8::1]:tag', ReferenceMessages.invalidFormat],
    ['[fe80::1%eth0]:5000/repo', ReferenceMessages.invalidFormat],
    ['[fe80::1%@invalidzone]:5000/repo', ReferenceMessages.invalidFormat],
    [`a:${'t'.repeat(129)}`, ReferenceMessages.invalidFormat],
    ['a:-tag', ReferenceMessages.invalidFormat],
    ['a/', ReferenceMessages.invalidFormat],
    ['a//b', ReferenceMessages.invalidFormat],
    ['a___b', ReferenceMessages.invalidFormat],
    ['a._b', ReferenceMessages.invalidFormat],
    ['-a', ReferenceMessages.invalidFormat],
    ['a-', ReferenceMessages.invalidFormat],
    ['host:/a', ReferenceMessages.invalidFormat],
    ['-host.com/a', ReferenceMessages.invalidFormat],
    ['host-.com/a', ReferenceMessages.invalidFormat],
    ['host..com/a', ReferenceMessages.invalidFormat],
    ['a@b@sha256:' + F64, ReferenceMessages.invalidFormat],
    ['a:b:c', ReferenceMessages.invalidFormat],
    ['a b', ReferenceMessages.invalidFormat],
  ];
  for (const [input, message] of bad) {
    test(`rejects ${JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input)}`, () => {
      const e = errorOf(() => parseReference(input));
      assert.equal(e.message, message);
      assert.ok(e instanceof BerthError);
      assert.equal(e.kind, 'invalid-argument');
    });
  }

  test('error codes', () => {
    assert.equal(errorOf(() => parseReference('')).code, 'name-empty');
    assert.equal(errorOf(() => parseReference('a b')).code, 'invalid-reference-format');
    assert.equal(errorOf(() => parseReference('A')).code, 'name-contains-uppercase');
    assert.equal(errorOf(() => parseReference(`x/${'a'.repeat(256)}`)).code, 'name-too-long');
    assert.equal(errorOf(() => parseReference(`a@sha256:${'a'.repeat(40)}`)).code, 'checksum-invalid-length');
    assert.equal(errorOf(() => parseReference(`a@foo:${'a'.repeat(40)}`)).code, 'digest-unsupported');
    assert.equal(errorOf(() => parseReference(`a@sha256:${'A'.repeat(64)}`)).code, 'checksum-invalid-format');
  });

  test('long pathological inputs are handled quickly', () => {
    const inputs = [
      'a-'.repeat(50_000) + '!',
      'a.'.repeat(50_000),
      'a'.repeat(100_000) + '/',
      'a1-'.repeat(30_000) + ':' + 'x'.repeat(200),
      `${'a.'.repeat(30_000)}com:${'9'.repeat(10_000)}x/b`,
      '[' + ':'.repeat(100_000),
      'a@' + 'A'.repeat(50_000),
      'a@a' + '-a'.repeat(50_000) + ':' + 'f'.repeat(32),
    ];
    const start = process.hrtime.bigint();
    for (const s of inputs) assert.throws(() => parseReference(s), InvalidReferenceError);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});

describe('withName', () => {
  const bad: [string, string][] = [
    ['', ReferenceMessages.invalidFormat],
    [':justtag', ReferenceMessages.invalidFormat],
    [`@${SHA_F}`, ReferenceMessages.invalidFormat],
    [`validname@invaliddigest:${F64}`, ReferenceMessages.invalidFormat],
    ['example.com/repo:tag', ReferenceMessages.invalidFormat],
    [`example.com/${'a'.repeat(256)}`, ReferenceMessages.nameTooLong],
    ['aa/asdf$$^/aa', ReferenceMessages.invalidFormat],
  ];
  for (const [input, message] of bad) {
    test(`rejects ${JSON.stringify(input.slice(0, 40))}`, () => {
      assert.equal(errorOf(() => withName(input)).message, message);
    });
  }
  const split: [string, string, string][] = [
    ['test.com/foo', 'test.com', 'foo'],
    ['test_com/foo', '', 'test_com/foo'],
    ['test:8080/foo', 'test:8080', 'foo'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
    ['foo', '', 'foo'],
  ];
  for (const [input, domain, path] of split) {
    test(`splits ${input}`, () => {
      const ref = withName(input);
      assert.equal(ref.domain, domain);
      assert.equal(ref.path, path);
      assert.ok(ref.isNameOnly);
    });
  }
});

describe('parseNormalizedNamed', () => {
  const valid = [
    'docker/docker',
    'library/debian',
    'debian',
    'localhost/library/debian',
    'localhost/debian',
    'LOCALDOMAIN/library/debian',
    'LOCALDOMAIN/debian',
    'docker.io/docker/docker',
    'docker.io/library/debian',
    'docker.io/debian',
    'index.docker.io/docker/docker',
    'index.docker.io/library/debian',
    'index.docker.io/debian',
    '127.0.0.1:5000/docker/docker',
    '127.0.0.1:5000/library/debian',
    '127.0.0.1:5000/debian',
    '192.168.0.1',
    '192.168.0.1:80',
    '192.168.0.1:8/debian',
    '192.168.0.2:25000/debian',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    '[fc00::1]:5000/docker',
    '[fc00::1]:5000/docker/docker',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'Docker/docker',
    'DOCKER/docker',
    'docker-rules/docker',
    'docker---rules/docker',
    'doc/docker',
    'd/docker',
    'jess/t',
    'dock__er/docker',
  ];
  for (const name of valid) {
    test(`accepts ${name}`, () => {
      parseNormalizedNamed(name);
    });
  }
  const invalid = [
    'https://github.com/docker/docker',
    'docker/Docker',
    '-docker',
    '-docker/docker',
    '-docker.io/docker/docker',
    'docker///docker',
    'docker.io/docker/Docker',
    'docker.io/docker///docker',
    '[fc00::1]',
    '[fc00::1]:5000',
    'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian',
    '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'docker-/docker',
    '-docker-/docker',
    '____/____',
    '_docker/_docker',
    'dock..er/docker',
    'dock_.er/docker',
    'dock-.er/docker',
    'docker/',
    'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker',
    '',
  ];
  for (const name of invalid) {
    test(`rejects ${JSON.stringify(name.slice(0, 50))}`, () => {
      assert.throws(() => parseNormalizedNamed(name), InvalidReferenceError);
    });
  }

  // remote (path), familiar name, full name, ambiguous alternative spelling, domain
  const info: [string, string, string, string, string][] = [
    ['fooo', 'localhost/fooo', 'localhost/fooo', 'localhost/fooo', 'localhost'],
    ['fooo/bar', 'localhost/fooo/bar', 'localhost/fooo/bar', 'localhost/fooo/bar', 'localhost'],
    ['fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN'],
    ['fooo/bar', 'LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN'],
    ['fooo/bar', 'fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar', 'docker.io'],
    ['library/ubuntu', 'ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu', 'docker.io'],
    ['nonlibrary/ubuntu', 'nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', '', 'docker.io'],
    ['other/library', 'other/library', 'docker.io/other/library', '', 'docker.io'],
    ['private/moonbase', '127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '', '127.0.0.1:8000'],
    ['privatebase', '127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase', '', '127.0.0.1:8000'],
    ['private/moonbase', 'example.com/private/moonbase', 'example.com/private/moonbase', '', 'example.com'],
    ['privatebase', 'example.com/privatebase', 'example.com/privatebase', '', 'example.com'],
    ['private/moonbase', 'example.com:8000/private/moonbase', 'example.com:8000/private/moonbase', '', 'example.com:8000'],
    ['privatebasee', 'example.com:8000/privatebasee', 'example.com:8000/privatebasee', '', 'example.com:8000'],
    [
      'library/ubuntu-12.04-base',
      'ubuntu-12.04-base',
      'docker.io/library/ubuntu-12.04-base',
      'index.docker.io/library/ubuntu-12.04-base',
      'docker.io',
    ],
    ['library/foo', 'foo', 'docker.io/library/foo', 'docker.io/foo', 'docker.io'],
    ['library/foo/bar', 'library/foo/bar', 'docker.io/library/foo/bar', '', 'docker.io'],
    ['store/foo/bar', 'store/foo/bar', 'docker.io/store/foo/bar', '', 'docker.io'],
    ['bar', 'Foo/bar', 'Foo/bar', '', 'Foo'],
    ['bar', 'FOO/bar', 'FOO/bar', '', 'FOO'],
    ['library/x', 'x', 'docker.io/library/x', 'index.docker.io/x', 'docker.io'],
    ['x', '[::1]:5000/x', '[::1]:5000/x', '', '[::1]:5000'],
  ];
  for (const [remote, familiar, full, ambiguous, domain] of info) {
    for (const input of [familiar, full, ambiguous].filter((s) => s !== '')) {
      test(`normalises ${input}`, () => {
        const ref = parseNormalizedNamed(input);
        assert.equal(ref.familiarName, familiar);
        assert.equal(ref.toString(), full);
        assert.equal(ref.name, full);
        assert.equal(ref.domain, domain);
        assert.equal(ref.path, remote);
      });
    }
  }

  const split: [string, string, string][] = [
    ['test.com/foo', 'test.com', 'foo'],
    ['test_com/foo', 'docker.io', 'test_com/foo'],
    ['docker/migrator', 'docker.io', 'docker/migrator'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo'],
    ['foo', 'docker.io', 'library/foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
    ['docker.io/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar'],
    ['localhost', 'docker.io', 'library/localhost'],
    ['localhost:5000', 'docker.io', 'library/localhost'],
  ];
  for (const [input, domain, path] of split) {
    test(`domain/path of ${input}`, () => {
      const ref = parseNormalizedNamed(input);
      assert.equal(ref.domain, domain);
      assert.equal(ref.path, path);
    });
  }

  test('tag and digest together', () => {
    const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
    const ref = parseNormalizedNamed(short);
    assert.equal(ref.toString(), 'docker.io/library/' + short);
    assert.equal(ref.tag, 'latest');
    assert.equal(ref.digest, 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa');
    assert.equal(ref.familiarString(), short);
    assert.ok(!ref.isNameOnly);
  });

  // Exact messages, as `docker pull`, `docker rmi` and `docker tag` print them after their prefix.
  const messages: [string, string][] = [
    ['Bad/UPPER:x', 'invalid reference format: repository name (UPPER) must be lowercase'],
    ['Foo', 'invalid reference format: repository name (library/Foo) must be lowercase'],
    ['foo/Bar:Tag', 'invalid reference format: repository name (foo/Bar) must be lowercase'],
    ['localhost:5000/Foo', 'invalid reference format: repository name (Foo) must be lowercase'],
    ['test:5000/Uppercase/lowercase:tag', 'invalid reference format: repository name (Uppercase/lowercase) must be lowercase'],
    [`Foo@sha256:${F64}`, 'invalid reference format: repository name (library/Foo@sha256) must be lowercase'],
    [F64, `invalid repository name (${F64}), cannot specify 64-byte hexadecimal strings`],
    ['', 'invalid reference format'],
    ['a b', 'invalid reference format'],
    ['-foo', 'invalid reference format'],
    [':tag', 'invalid reference format'],
    ['foo:', 'invalid reference format'],
    [`${'a'.repeat(250)}`, 'repository name must not be more than 255 characters'],
    [`busybox@sha256:${'a'.repeat(40)}`, 'invalid checksum digest length'],
    [`busybox@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`busybox@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    ['https://github.com/docker/docker', 'invalid reference format'],
  ];
  for (const [input, message] of messages) {
    test(`message for ${JSON.stringify(input.slice(0, 50))}`, () => {
      assert.equal(errorOf(() => parseNormalizedNamed(input)).message, message);
    });
  }
  test('codes', () => {
    assert.equal(errorOf(() => parseNormalizedNamed('Bad/UPPER')).code, 'name-contains-uppercase');
    assert.equal(errorOf(() => parseNormalizedNamed(F64)).code, 'name-is-identifier');
  });
});

describe('docker tag error wrapping', () => {
  test('matches the captured Docker 28.2.2 stderr', () => {
    const fixture = join(fixturesDir(), 'cli-28.2.2', 'tag-invalid.stderr');
    const expected = existsSync(fixture)
      ? readFileSync(fixture, 'utf8').trimEnd()
      : 'Error parsing reference: "Bad/UPPER:x" is not a valid repository/tag: invalid reference format: repository name (UPPER) must be lowercase';
    const e = errorOf(() => parseNormalizedNamed('Bad/UPPER:x'));
    assert.equal(tagReferenceErrorMessage('Bad/UPPER:x', e), expected);
  });
  test('quotes like Go %q', () => {
    assert.equal(
      tagReferenceErrorMessage('aa/asdf$$^/aa', ReferenceMessages.invalidFormat),
      'Error parsing reference: "aa/asdf$$^/aa" is not a valid repository/tag: invalid reference format',
    );
    assert.equal(goQuote('a"b\\c\nd\te'), '"a\\"b\\\\c\\nd\\te"');
    assert.equal(goQuote('\x00\x7f'), '"\\x00\\x7f"');
    assert.equal(goQuote('héllo ☺'), '"héllo ☺"');
    assert.equal(goQuote('\u00a0'), '"\\u00a0"');
    assert.equal(goQuote('\u{e0001}'), '"\\U000e0001"');
  });
});

describe('parseNamed (canonical only)', () => {
  const cases: [string, string | null, string?][] = [
    ['test.com/foo', 'test.com', 'foo'],
    ['test:8080/foo', 'test:8080', 'foo'],
    ['test_com/foo', null],
    ['test.com', null],
    ['foo', null],
    ['library/foo', null],
    ['docker.io/library/foo', 'docker.io', 'library/foo'],
    ['docker.io/foo', null],
  ];
  for (const [input, domain, path] of cases) {
    test(input, () => {
      if (domain === null) {
        assert.equal(errorOf(() => parseNamed(input)).message, ReferenceMessages.nameNotCanonical);
      } else {
        const ref = parseNamed(input);
        assert.equal(ref.domain, domain);
        assert.equal(ref.path, path);
      }
    });
  }
});

describe('parseDockerRef', () => {
  const d = 'sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    [`busybox@${d}`, `docker.io/library/busybox@${d}`],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox:latest', 'docker.io/library/busybox:latest'],
    ['library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['gcr.io/library/busybox', 'gcr.io/library/busybox:latest'],
    [`gcr.io/library/busybox:latest@${d}`, `gcr.io/library/busybox@${d}`],
  ];
  for (const [input, expected] of cases) {
    test(input, () => {
      const ref = parseDockerRef(input);
      assert.equal(ref.toString(), expected);
      assert.equal(parseReference(expected).toString(), expected);
    });
  }
});

describe('parseAnyReference', () => {
  const d = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
  const cases: [string, string, 'named' | 'digest'][] = [
    ['redis', 'docker.io/library/redis', 'named'],
    ['redis:latest', 'docker.io/library/redis:latest', 'named'],
    ['docker.io/library/redis:latest', 'docker.io/library/redis:latest', 'named'],
    [`redis@sha256:${d}`, `docker.io/library/redis@sha256:${d}`, 'named'],
    [`docker.io/library/redis@sha256:${d}`, `docker.io/library/redis@sha256:${d}`, 'named'],
    ['dmcgowan/myapp', 'docker.io/dmcgowan/myapp', 'named'],
    ['dmcgowan/myapp:latest', 'docker.io/dmcgowan/myapp:latest', 'named'],
    ['docker.io/mcgowan/myapp:latest', 'docker.io/mcgowan/myapp:latest', 'named'],
    [`dmcgowan/myapp@sha256:${d}`, `docker.io/dmcgowan/myapp@sha256:${d}`, 'named'],
    [d, `sha256:${d}`, 'digest'],
    [`sha256:${d}`, `sha256:${d}`, 'digest'],
    [`sha512:${'a'.repeat(128)}`, `sha512:${'a'.repeat(128)}`, 'digest'],
    [d.slice(0, 63), `docker.io/library/${d.slice(0, 63)}`, 'named'],
    ['dbcc1', 'docker.io/library/dbcc1', 'named'],
    ['sha256:dbcc1', 'docker.io/library/sha256:dbcc1', 'named'],
  ];
  for (const [input, expected, kind] of cases) {
    test(input, () => {
      const ref = parseAnyReference(input);
      assert.equal(ref.kind, kind);
      assert.equal(ref.toString(), expected);
      if (kind === 'digest') assert.ok(ref instanceof DigestReference);
      else assert.ok(ref.equals(parseReference(expected)));
    });
  }
  test('errors', () => {
    assert.equal(errorOf(() => parseAnyReference('Bad:x')).message, 'invalid reference format: repository name (library/Bad) must be lowercase');
    assert.equal(errorOf(() => parseAnyReference('')).message, 'invalid reference format');
  });
});

describe('NamedReference operations', () => {
  test('familiar forms', () => {
    const cases: [string, string, string][] = [
      ['docker.io/library/ubuntu:22.04', 'ubuntu', 'ubuntu:22.04'],
      ['docker.io/library/foo/bar:1', 'library/foo/bar', 'library/foo/bar:1'],
      ['docker.io/dmcgowan/myapp', 'dmcgowan/myapp', 'dmcgowan/myapp'],
      [`docker.io/library/busybox@${SHA_F}`, 'busybox', `busybox@${SHA_F}`],
      ['localhost/x:1', 'localhost/x', 'localhost/x:1'],
      ['127.0.0.1:5000/lab/small:1.0', '127.0.0.1:5000/lab/small', '127.0.0.1:5000/lab/small:1.0'],
    ];
    for (const [canonical, name, str] of cases) {
      const ref = parseReference(canonical);
      assert.equal(ref.familiarName, name);
      assert.equal(ref.familiarString(), str);
      assert.equal(ref.familiar().domain, canonical.startsWith('docker.io/') ? '' : ref.domain);
      assert.equal(parseNormalizedNamed(str).toString(), canonical);
    }
    // Not normalised: nothing to drop.
    assert.equal(parseReference('busybox').familiarString(), 'busybox');
  });

  test('withTag / withDigest / trimNamed / tagNameOnly / dockerRef', () => {
    const d = 'sha256:1234567890098765432112345667890098765';
    assert.equal(withName('test.com/foo').withTag('tag').toString(), 'test.com/foo:tag');
    assert.equal(withName('foo').withTag('tag2').toString(), 'foo:tag2');
    assert.equal(withName('test.com:8000/foo').withTag('TAG5').toString(), 'test.com:8000/foo:TAG5');
    assert.equal(withName('test.com:8000/foo').withDigest(d).withTag('TAG5').toString(), `test.com:8000/foo:TAG5@${d}`);
    assert.equal(withName('test.com/foo').withDigest(d).toString(), `test.com/foo@${d}`);
    assert.equal(withName('test.com:8000/foo').withTag('latest').withDigest(d).toString(), `test.com:8000/foo:latest@${d}`);
    assert.equal(errorOf(() => parseNormalizedNamed('busybox').withTag('-foo')).message, 'invalid tag format');
    assert.equal(errorOf(() => parseNormalizedNamed('busybox').withDigest('foo')).message, 'invalid digest format');
    assert.equal(errorOf(() => parseNormalizedNamed('busybox').withDigest('sha256:abc')).code, 'digest-invalid-format');

    const both = parseNormalizedNamed(`busybox:1@${SHA_F}`);
    assert.equal(both.trimNamed().toString(), 'docker.io/library/busybox');
    assert.equal(both.tagNameOnly(), both);
    assert.equal(both.dockerRef().toString(), `docker.io/library/busybox@${SHA_F}`);
    assert.equal(parseNormalizedNamed('busybox').tagNameOnly().toString(), 'docker.io/library/busybox:latest');
    assert.equal(parseNormalizedNamed('busybox:1').tagNameOnly().toString(), 'docker.io/library/busybox:1');
    assert.equal(parseNormalizedNamed(`busybox@${SHA_F}`).tagNameOnly().toString(), `docker.io/library/busybox@${SHA_F}`);
    assert.equal(parseNormalizedNamed('busybox').withTag('x').withTag('y').toString(), 'docker.io/library/busybox:y');
  });

  test('immutable, JSON and equality', () => {
    const ref = parseNormalizedNamed('lab/small:1.0');
    assert.ok(Object.isFrozen(ref));
    assert.throws(() => {
      (ref as unknown as { tag: string }).tag = 'x';
    });
    assert.equal(JSON.stringify({ ref }), '{"ref":"docker.io/lab/small:1.0"}');
    assert.ok(ref.equals(parseReference('docker.io/lab/small:1.0')));
    assert.ok(!ref.equals(parseReference('docker.io/lab/small:1')));
    assert.ok(!ref.equals(new DigestReference(SHA_F)));
    assert.ok(ref instanceof NamedReference);
  });
});

describe('goPathMatch (Go path.Match)', () => {
  const cases: [string, string, boolean | 'error'][] = [
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', '-', true],
    ['[\\-x]', 'a', false],
    ['[]a]', ']', 'error'],
    ['[-]', '-', 'error'],
    ['[x-]', 'x', 'error'],
    ['[x-]', '-', 'error'],
    ['[x-]', 'z', 'error'],
    ['[-x]', 'x', 'error'],
    ['[-x]', '-', 'error'],
    ['[-x]', 'a', 'error'],
    ['\\', 'a', 'error'],
    ['[a-b-c]', 'a', 'error'],
    ['[', 'a', 'error'],
    ['[^', 'a', 'error'],
    ['[^bc', 'a', 'error'],
    ['a[', 'a', 'error'],
    ['a[', 'ab', 'error'],
    ['a[', 'x', 'error'],
    ['a/b[', 'x', 'error'],
    ['*x', 'xxx', true],
    ['a[/]b', 'a/b', true],
    ['', '', true],
    ['', 'a', false],
  ];
  for (const [pattern, name, expected] of cases) {
    test(`${JSON.stringify(pattern)} ~ ${JSON.stringify(name)}`, () => {
      if (expected === 'error') {
        assert.throws(() => goPathMatch(pattern, name), (e: Error) => e.message === 'syntax error in pattern');
      } else {
        assert.equal(goPathMatch(pattern, name), expected);
      }
    });
  }
});

describe('familiarMatch (images --filter reference=…)', () => {
  const cases: [string, string, boolean][] = [
    ['foo', 'foo/**/ba[rz]', false],
    ['foo/any/bat', 'foo/**/ba[rz]', false],
    ['foo/a/bar', 'foo/**/ba[rz]', true],
    ['foo/b/baz', 'foo/**/ba[rz]', true],
    ['foo/c/baz:tag', 'foo/**/ba[rz]', true],
    ['foo/c/baz:tag', 'foo/*/baz:tag', true],
    ['foo/c/baz:tag', 'foo/c/baz:tag', true],
    ['example.com/foo/c/baz:tag', '*/foo/c/baz', true],
    ['example.com/foo/c/baz:tag', 'example.com/foo/c/baz', true],
    // From the fixtures: `docker images --filter reference=lab/*` and `docker images lab/small`.
    ['lab/small:1.0', 'lab/*', true],
    ['lab/imported:stdin', 'lab/*', true],
    ['127.0.0.1:5000/lab/small:1.0', 'lab/*', false],
    ['busybox:local', 'lab/*', false],
    ['lab/small:1.0', 'lab/small', true],
    ['lab/small:latest', 'lab/small:1.0', false],
    ['busybox:local', 'busybox', true],
    ['busybox:local', 'library/busybox', false],
    ['does/not-exist:1', 'does/not-exist', true],
  ];
  for (const [ref, pattern, expected] of cases) {
    test(`${ref} ~ ${pattern}`, () => {
      assert.equal(familiarMatch(pattern, parseAnyReference(ref)), expected);
    });
  }
  test('digest references match on their digest', () => {
    assert.ok(familiarMatch('sha256:*', parseAnyReference(F64)));
  });
  test('bad pattern', () => {
    assert.throws(() => familiarMatch('[-x]', parseAnyReference('foo')), { message: 'syntax error in pattern' });
  });
});

describe('sortReferences', () => {
  const dg = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
  const r1 = (name: string, tag: string, n: number) => `z.containerd.io/${name}:${tag}@${dg(n)}`;
  const r2 = (name: string, tag: string) => `z.containerd.io/${name}:${tag}`;
  const r3 = (name: string, n: number) => `z.containerd.io/${name}@${dg(n)}`;
  const cases: [string[], string[]][] = [
    [
      [r2('name', 'latest'), r3('name', 1), r1('name', 'latest', 1)],
      [r1('name', 'latest', 1), r2('name', 'latest'), r3('name', 1)],
    ],
    [
      ["can't parse this:latest", r3('name', 1), r2('name', 'latest')],
      [r2('name', 'latest'), r3('name', 1), "can't parse this:latest"],
    ],
    [
      [dg(1), r3('name', 1), r2('name', 'latest')],
      [r2('name', 'latest'), r3('name', 1), dg(1)],
    ],
    [
      [r2('name', 'tag2'), r2('name', 'tag3'), r2('name', 'tag1')],
      [r2('name', 'tag1'), r2('name', 'tag2'), r2('name', 'tag3')],
    ],
    [
      [r2('name-2', 'tag'), r2('name-3', 'tag'), r2('name-1', 'tag')],
      [r2('name-1', 'tag'), r2('name-2', 'tag'), r2('name-3', 'tag')],
    ],
    // Output is canonical.
    [['busybox', 'busybox:1'], ['docker.io/library/busybox:1', 'docker.io/library/busybox']],
  ];
  cases.forEach(([input, expected], i) => {
    test(`case ${i}`, () => assert.deepEqual(sortReferences(input), expected));
  });
});

describe('tags, identifiers, digests, domains', () => {
  test('isValidTag', () => {
    for (const t of ['latest', '1.0', 'v1.2.3-rc_1', 'A', '_x', 'x'.repeat(128)]) assert.ok(isValidTag(t), t);
    for (const t of ['', '-x', '.x', 'x'.repeat(129), 'a/b', 'a:b', 'a@b', 'é']) assert.ok(!isValidTag(t), t);
  });
  test('isIdentifier / isFullImageID', () => {
    assert.ok(isIdentifier(F64));
    assert.ok(!isIdentifier('F'.repeat(64)));
    assert.ok(!isIdentifier('f'.repeat(63)));
    assert.ok(isFullImageID(SHA_F));
    assert.ok(!isFullImageID(F64));
    assert.ok(!isFullImageID(`sha512:${F64}`));
  });
  test('validateDigest (go-digest v1.0.0)', () => {
    validateDigest(SHA_F);
    validateDigest(`sha384:${'0'.repeat(96)}`);
    validateDigest(`sha512:${'0'.repeat(128)}`);
    const cases: [string, string][] = [
      ['', 'invalid checksum digest format'],
      ['sha256', 'invalid checksum digest format'],
      ['sha256:', 'invalid checksum digest format'],
      [':abc', 'invalid checksum digest format'],
      ['sha256:abc', 'invalid checksum digest length'],
      [`sha256:${'g'.repeat(64)}`, 'invalid checksum digest format'],
      [`sha256:${'F'.repeat(64)}`, 'invalid checksum digest format'],
      [`md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
      [`foo+bar:${'a'.repeat(3)}`, 'unsupported digest algorithm'],
      [`Foo:${'a'.repeat(32)}`, 'invalid checksum digest format'],
      ['a/b:c', 'invalid checksum digest format'],
    ];
    for (const [d, message] of cases) assert.equal(errorOf(() => validateDigest(d)).message, message, d);
  });
  test('isValidDomain', () => {
    for (const d of ['localhost', 'a', 'a.b', 'a-b.c', 'A.B', '127.0.0.1', 'host:5000', '[::1]', '[::1]:5000', '[FC00::1]'])
      assert.ok(isValidDomain(d), d);
    for (const d of ['', '-a', 'a-', 'a..b', 'a_b', 'host:', 'host:x', '[::1', '[]', '[::g]', '[::1]x', 'a:1:2', 'a/b'])
      assert.ok(!isValidDomain(d), d);
  });
  test('splitDockerDomain', () => {
    assert.deepEqual(splitDockerDomain('busybox:1'), { domain: 'docker.io', remainder: 'library/busybox:1' });
    assert.deepEqual(splitDockerDomain('index.docker.io/busybox'), { domain: 'docker.io', remainder: 'library/busybox' });
    assert.deepEqual(splitDockerDomain('index.docker.io/a/b'), { domain: 'docker.io', remainder: 'a/b' });
    assert.deepEqual(splitDockerDomain('localhost/a'), { domain: 'localhost', remainder: 'a' });
    assert.deepEqual(splitDockerDomain('Bad/UPPER:x'), { domain: 'Bad', remainder: 'UPPER:x' });
    assert.deepEqual(splitDockerDomain('foo/bar'), { domain: 'docker.io', remainder: 'foo/bar' });
    assert.deepEqual(splitDockerDomain('[::1]:5000/x'), { domain: '[::1]:5000', remainder: 'x' });
  });
});

describe('repoTagReference (Docker API repo/tag parameters)', () => {
  test('cases', () => {
    assert.equal(repoTagReference(''), undefined);
    assert.equal(repoTagReference('lab/x')!.toString(), 'docker.io/lab/x:latest');
    assert.equal(repoTagReference('lab/x', '1')!.toString(), 'docker.io/lab/x:1');
    assert.equal(repoTagReference('lab/x:2')!.toString(), 'docker.io/lab/x:2');
    assert.equal(repoTagReference('lab/x:2', '3')!.toString(), 'docker.io/lab/x:3');
    const e = errorOf(() => repoTagReference(`lab/x@${SHA_F}`));
    assert.equal(e.message, 'cannot import digest reference');
    assert.equal(e.code, 'digest-not-allowed');
    assert.equal(errorOf(() => repoTagReference('lab/x', '-bad')).message, 'invalid tag format');
  });
});

describe('image ID lookup (daemon GetImage / ImageDelete)', () => {
  const ids = [
    'sha256:b39d2aee54561c7f1c2b6b2b7e5e1b6d4f1a9b7c3d2e1f0a9b8c7d6e5f4a3b2c',
    'sha256:b39d0000000000000000000000000000000000000000000000000000000000aa',
    'sha256:7e99702615de647cc14c918f94391cb5e9ec19a3c34c98e82a2b4dc2ec0de5d5',
    'sha256:2e405b84b1ec0000000000000000000000000000000000000000000000000000',
  ];

  test('classifyImageLookup', () => {
    // `docker rmi b39d2aee5456` (fixture rmi-by-id-multi-repo): a name first, then an ID prefix.
    const short = classifyImageLookup('b39d2aee5456');
    assert.equal(short.kind, 'reference');
    if (short.kind === 'reference') {
      assert.equal(short.ref.toString(), 'docker.io/library/b39d2aee5456');
      assert.equal(short.storeKey.toString(), 'docker.io/library/b39d2aee5456:latest');
      assert.deepEqual(short.idSearch, { algorithm: undefined, hex: 'b39d2aee5456' });
    }
    const tagged = classifyImageLookup('lab/small:1.0');
    assert.equal(tagged.kind, 'reference');
    if (tagged.kind === 'reference') {
      assert.equal(tagged.storeKey.familiarString(), 'lab/small:1.0');
      assert.equal(resolveImageIDPrefix(ids, tagged.idSearch).status, 'not-found');
    }
    const both = classifyImageLookup(`127.0.0.1:5000/lab/mounted:1.0@${SHA_F}`);
    assert.ok(both.kind === 'reference' && both.storeKey.toString() === `127.0.0.1:5000/lab/mounted@${SHA_F}`);
    // Full IDs are looked up by ID only.
    assert.deepEqual(classifyImageLookup(F64), { kind: 'id', id: SHA_F, ref: new DigestReference(SHA_F) });
    assert.equal(classifyImageLookup(SHA_F).kind, 'id');
    // A short `sha256:` prefix parses as the name "sha256" with a tag, then searches IDs.
    const prefixed = classifyImageLookup('sha256:b39d2a');
    assert.ok(prefixed.kind === 'reference');
    if (prefixed.kind === 'reference') {
      assert.equal(prefixed.ref.toString(), 'docker.io/library/sha256:b39d2a');
      assert.deepEqual(prefixed.idSearch, { algorithm: 'sha256', hex: 'b39d2a' });
    }
    assert.equal(errorOf(() => classifyImageLookup('Bad/UPPER:x')).code, 'name-contains-uppercase');
  });

  test('imageIDSearch / matchesImageIDSearch', () => {
    assert.deepEqual(imageIDSearch('abc'), { algorithm: undefined, hex: 'abc' });
    assert.deepEqual(imageIDSearch('sha256:abc'), { algorithm: 'sha256', hex: 'abc' });
    assert.deepEqual(imageIDSearch(SHA_F), { algorithm: 'sha256', hex: F64 });
    assert.deepEqual(imageIDSearch('lab/small:1.0'), { algorithm: undefined, hex: 'lab/small:1.0' });
    assert.deepEqual(imageIDSearch('abc:latest'), { algorithm: 'abc', hex: 'latest' });
    assert.ok(matchesImageIDSearch(ids[0]!, imageIDSearch('b39d2aee5456')));
    assert.ok(matchesImageIDSearch(ids[0]!, imageIDSearch('sha256:b39d2a')));
    assert.ok(!matchesImageIDSearch(ids[0]!, imageIDSearch('sha512:b39d2a')));
    assert.ok(!matchesImageIDSearch(ids[0]!, imageIDSearch('B39D')));
  });

  test('resolveImageIDPrefix', () => {
    assert.deepEqual(resolveImageIDPrefix(ids, 'b39d2aee5456'), { status: 'found', id: ids[0] });
    assert.deepEqual(resolveImageIDPrefix(ids, '7e99702615de'), { status: 'found', id: ids[2] });
    assert.deepEqual(resolveImageIDPrefix(ids, '7'), { status: 'found', id: ids[2] });
    assert.deepEqual(resolveImageIDPrefix(ids, 'sha256:2e40'), { status: 'found', id: ids[3] });
    assert.deepEqual(resolveImageIDPrefix(ids, 'b39d'), { status: 'ambiguous', candidates: [ids[1], ids[0]] });
    assert.deepEqual(resolveImageIDPrefix(ids, 'ffff'), { status: 'not-found' });
    assert.deepEqual(resolveImageIDPrefix([], 'b39d'), { status: 'not-found' });
    assert.deepEqual(resolveImageIDPrefix(ids, ids[0]!), { status: 'found', id: ids[0] });
  });

  test('isImageIDPrefix (rmi deletes vs untags)', () => {
    const id = ids[0]!;
    assert.ok(isImageIDPrefix(id, 'b39d2aee5456'));
    assert.ok(isImageIDPrefix(id, 'sha256:b39d'));
    assert.ok(isImageIDPrefix(id, id));
    assert.ok(isImageIDPrefix(id, 'sha'));
    assert.ok(!isImageIDPrefix(id, 'lab/small:1'));
    assert.ok(!isImageIDPrefix(id, '2e405b84b1ec'));
  });

  test('checkTruncatedID (containerd store)', () => {
    assert.equal(checkTruncatedID('b39d'), 'b39d');
    assert.equal(checkTruncatedID('sha256:b39d2aee5456'), 'b39d2aee5456');
    assert.equal(checkTruncatedID('b39'), undefined);
    assert.equal(checkTruncatedID('B39D'), undefined);
    assert.equal(checkTruncatedID('f'.repeat(65)), undefined);
    assert.equal(checkTruncatedID(F64), F64);
  });

  test('truncateID', () => {
    assert.equal(truncateID('sha256:b39d2aee54561c7f'), 'b39d2aee5456');
    assert.equal(truncateID('b39d2aee54561c7f'), 'b39d2aee5456');
    assert.equal(truncateID('abc'), 'abc');
  });

  test('noSuchImageMessage', () => {
    assert.equal(noSuchImageMessage(parseAnyReference('lab/nope:1')), 'No such image: lab/nope:1');
    assert.equal(noSuchImageMessage(parseAnyReference('lab/nope')), 'No such image: lab/nope:latest');
    assert.equal(noSuchImageMessage(parseAnyReference('abc')), 'No such image: abc:latest');
    assert.equal(noSuchImageMessage(parseAnyReference(F64)), `No such image: ${SHA_F}`);
    assert.equal(
      noSuchImageMessage(parseAnyReference(`lab/x:1@${SHA_F}`)),
      `No such image: lab/x:1@${SHA_F}`,
    );
  });

  test('fixture: No such image messages', () => {
    const dir = join(fixturesDir(), 'cli-28.2.2');
    for (const [name, input] of [
      ['rmi-missing', 'lab/nope:1'],
      ['history-missing', 'lab/nope:1'],
    ] as const) {
      const file = `${dir}/${name}.stderr`;
      if (!existsSync(file)) continue;
      assert.equal(
        readFileSync(file, 'utf8').trimEnd(),
        `Error response from daemon: ${noSuchImageMessage(parseAnyReference(input))}`,
      );
    }
  });
});

describe('Docker Hub and registries', () => {
  test('registryHost', () => {
    assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryHost('index.docker.io'), 'registry-1.docker.io');
    assert.equal(registryHost('127.0.0.1:5000'), '127.0.0.1:5000');
    assert.equal(registryHost('[::1]:5000'), '[::1]:5000');
    // fixture pull-hub-blocked: `docker pull example/doesnotexist:1` goes to registry-1.docker.io
    assert.equal(registryHost(parseNormalizedNamed('example/doesnotexist:1').domain), 'registry-1.docker.io');
  });
  test('authConfigKey', () => {
    assert.equal(DOCKER_HUB_AUTH_KEY, 'https://index.docker.io/v1/');
    assert.equal(authConfigKey('docker.io'), 'https://index.docker.io/v1/');
    assert.equal(authConfigKey('index.docker.io'), 'https://index.docker.io/v1/');
    assert.equal(authConfigKey('ghcr.io'), 'ghcr.io');
    assert.equal(authConfigKey('localhost:5000'), 'localhost:5000');
  });
  test('convertToHostname', () => {
    const cases: [string, string][] = [
      ['https://index.docker.io/v1/', 'index.docker.io'],
      ['http://localhost:5000/', 'localhost:5000'],
      ['https://user:pw@host.example/x', 'host.example'],
      ['https://[::1]:5000/', '[::1]:5000'],
      ['https://[::1]/', '::1'],
      ['https://Host.Example:443', 'Host.Example:443'],
      ['host.example:5000/path', 'host.example:5000'],
      ['host.example', 'host.example'],
      ['https://host:abc/', 'https:'],
    ];
    for (const [input, expected] of cases) assert.equal(convertToHostname(input), expected, input);
  });
  test('isDockerHub / normalizeIndexName / isOfficialImage', () => {
    assert.ok(isDockerHub('docker.io') && isDockerHub('index.docker.io') && !isDockerHub('registry-1.docker.io'));
    assert.equal(normalizeIndexName('index.docker.io'), 'docker.io');
    assert.equal(normalizeIndexName('quay.io'), 'quay.io');
    assert.ok(isOfficialImage(parseNormalizedNamed('busybox')));
    assert.ok(isOfficialImage(parseNormalizedNamed('docker.io/library/busybox:1')));
    assert.ok(!isOfficialImage(parseNormalizedNamed('library/foo/bar')));
    assert.ok(!isOfficialImage(parseNormalizedNamed('lab/small')));
    assert.ok(!isOfficialImage(parseNormalizedNamed('localhost/busybox')));
  });
});

// Every reference that appears in the captured Docker outputs (/work/shared/fixtures):
// input as typed or printed → canonical form, familiar form Docker prints, familiar name.
describe('references from the Docker fixtures', () => {
  const DIGEST_A = 'sha256:e86e954707fce61fdb7c753137c0429d15f3f51fafeecf7551aad651547103db';
  const DIGEST_B = 'sha256:c1d6d55617cf457c966407e2b513c464de350a477970b951000e997b5f72f1a7';
  const DIGEST_C = 'sha256:d362f36b0872882fcdebd4119dd49b3de0e27433cddf1d9ef17ea76ef558c2e8';
  const cases: [string, string, string, string][] = [
    ['lab/small:1.0', 'docker.io/lab/small:1.0', 'lab/small:1.0', 'lab/small'],
    ['lab/small:1', 'docker.io/lab/small:1', 'lab/small:1', 'lab/small'],
    ['lab/small:latest', 'docker.io/lab/small:latest', 'lab/small:latest', 'lab/small'],
    ['lab/small', 'docker.io/lab/small', 'lab/small', 'lab/small'],
    ['lab/demo:1', 'docker.io/lab/demo:1', 'lab/demo:1', 'lab/demo'],
    ['lab/demo:bk', 'docker.io/lab/demo:bk', 'lab/demo:bk', 'lab/demo'],
    ['lab/demo:bk2', 'docker.io/lab/demo:bk2', 'lab/demo:bk2', 'lab/demo'],
    ['lab/dangle:1', 'docker.io/lab/dangle:1', 'lab/dangle:1', 'lab/dangle'],
    ['lab/x:1', 'docker.io/lab/x:1', 'lab/x:1', 'lab/x'],
    ['lab/fail:1', 'docker.io/lab/fail:1', 'lab/fail:1', 'lab/fail'],
    ['lab/other:1', 'docker.io/lab/other:1', 'lab/other:1', 'lab/other'],
    ['lab/stdin:1', 'docker.io/lab/stdin:1', 'lab/stdin:1', 'lab/stdin'],
    ['lab/committed:1', 'docker.io/lab/committed:1', 'lab/committed:1', 'lab/committed'],
    ['lab/imported:1', 'docker.io/lab/imported:1', 'lab/imported:1', 'lab/imported'],
    ['lab/imported:stdin', 'docker.io/lab/imported:stdin', 'lab/imported:stdin', 'lab/imported'],
    ['lab/running:1', 'docker.io/lab/running:1', 'lab/running:1', 'lab/running'],
    ['lab/nope:1', 'docker.io/lab/nope:1', 'lab/nope:1', 'lab/nope'],
    ['lab/nope:2', 'docker.io/lab/nope:2', 'lab/nope:2', 'lab/nope'],
    ['lab/doesnotexist:1', 'docker.io/lab/doesnotexist:1', 'lab/doesnotexist:1', 'lab/doesnotexist'],
    ['does/not-exist', 'docker.io/does/not-exist', 'does/not-exist', 'does/not-exist'],
    ['example/doesnotexist:1', 'docker.io/example/doesnotexist:1', 'example/doesnotexist:1', 'example/doesnotexist'],
    ['busybox:local', 'docker.io/library/busybox:local', 'busybox:local', 'busybox'],
    ['busybox:arm64-local', 'docker.io/library/busybox:arm64-local', 'busybox:arm64-local', 'busybox'],
    ['image', 'docker.io/library/image', 'image', 'image'],
    ['image:tag', 'docker.io/library/image:tag', 'image:tag', 'image'],
    ['multiplatform:latest', 'docker.io/library/multiplatform:latest', 'multiplatform:latest', 'multiplatform'],
    ['app:v1', 'docker.io/library/app:v1', 'app:v1', 'app'],
    ['a:1', 'docker.io/library/a:1', 'a:1', 'a'],
    ['short:v1', 'docker.io/library/short:v1', 'short:v1', 'short'],
    ['127.0.0.1:5000/lab/small:1.0', '127.0.0.1:5000/lab/small:1.0', '127.0.0.1:5000/lab/small:1.0', '127.0.0.1:5000/lab/small'],
    ['127.0.0.1:5000/lab/small:extra', '127.0.0.1:5000/lab/small:extra', '127.0.0.1:5000/lab/small:extra', '127.0.0.1:5000/lab/small'],
    ['127.0.0.1:5000/lab/small:nope', '127.0.0.1:5000/lab/small:nope', '127.0.0.1:5000/lab/small:nope', '127.0.0.1:5000/lab/small'],
    ['127.0.0.1:5000/lab/small', '127.0.0.1:5000/lab/small', '127.0.0.1:5000/lab/small', '127.0.0.1:5000/lab/small'],
    [`127.0.0.1:5000/lab/small@${DIGEST_A}`, `127.0.0.1:5000/lab/small@${DIGEST_A}`, `127.0.0.1:5000/lab/small@${DIGEST_A}`, '127.0.0.1:5000/lab/small'],
    [`127.0.0.1:5000/lab/small@${DIGEST_B}`, `127.0.0.1:5000/lab/small@${DIGEST_B}`, `127.0.0.1:5000/lab/small@${DIGEST_B}`, '127.0.0.1:5000/lab/small'],
    [`127.0.0.1:5000/lab/multi@${DIGEST_C}`, `127.0.0.1:5000/lab/multi@${DIGEST_C}`, `127.0.0.1:5000/lab/multi@${DIGEST_C}`, '127.0.0.1:5000/lab/multi'],
    ['127.0.0.1:5000/lab/mounted:1.0', '127.0.0.1:5000/lab/mounted:1.0', '127.0.0.1:5000/lab/mounted:1.0', '127.0.0.1:5000/lab/mounted'],
    [`127.0.0.1:5000/lab/mounted@${DIGEST_A}`, `127.0.0.1:5000/lab/mounted@${DIGEST_A}`, `127.0.0.1:5000/lab/mounted@${DIGEST_A}`, '127.0.0.1:5000/lab/mounted'],
    ['127.0.0.1:5000/lab/nope:1', '127.0.0.1:5000/lab/nope:1', '127.0.0.1:5000/lab/nope:1', '127.0.0.1:5000/lab/nope'],
    ['127.0.0.1:5000/lab/arm64:1', '127.0.0.1:5000/lab/arm64:1', '127.0.0.1:5000/lab/arm64:1', '127.0.0.1:5000/lab/arm64'],
    ['127.0.0.1:5000/lab/multi:1', '127.0.0.1:5000/lab/multi:1', '127.0.0.1:5000/lab/multi:1', '127.0.0.1:5000/lab/multi'],
    ['127.0.0.1:5000/lab/multi:amd64', '127.0.0.1:5000/lab/multi:amd64', '127.0.0.1:5000/lab/multi:amd64', '127.0.0.1:5000/lab/multi'],
    ['127.0.0.1:5000/lab/multi:arm64', '127.0.0.1:5000/lab/multi:arm64', '127.0.0.1:5000/lab/multi:arm64', '127.0.0.1:5000/lab/multi'],
    ['127.0.0.1:5000/lab/from-oci:1.0', '127.0.0.1:5000/lab/from-oci:1.0', '127.0.0.1:5000/lab/from-oci:1.0', '127.0.0.1:5000/lab/from-oci'],
    ['127.0.0.1:5999/lab/small:1.0', '127.0.0.1:5999/lab/small:1.0', '127.0.0.1:5999/lab/small:1.0', '127.0.0.1:5999/lab/small'],
    ['127.0.0.1:5999/lab/small', '127.0.0.1:5999/lab/small', '127.0.0.1:5999/lab/small', '127.0.0.1:5999/lab/small'],
  ];
  for (const [input, canonical, familiar, familiarName] of cases) {
    test(input, () => {
      const ref = parseNormalizedNamed(input);
      assert.equal(ref.toString(), canonical);
      assert.equal(ref.familiarString(), familiar);
      assert.equal(ref.familiarName, familiarName);
      assert.equal(parseNormalizedNamed(canonical).toString(), canonical);
      assert.equal(parseAnyReference(familiar).toString(), canonical);
    });
  }

  test('pull output lines (fixtures pull-*, golden pull-command-success.*)', () => {
    // "<tag>: Pulling from <path>", "Status: … for <familiar>", last line the canonical-ish echo.
    const ref = parseNormalizedNamed('127.0.0.1:5000/lab/multi:1').tagNameOnly();
    assert.equal(`${ref.tag}: Pulling from ${ref.path}`, '1: Pulling from lab/multi');
    assert.equal(ref.familiarString(), '127.0.0.1:5000/lab/multi:1');
    assert.equal(parseNormalizedNamed('image').tagNameOnly().toString(), 'docker.io/library/image:latest');
    assert.equal(parseNormalizedNamed('image:tag').toString(), 'docker.io/library/image:tag');
    const byDigest = parseNormalizedNamed(`127.0.0.1:5000/lab/small@${DIGEST_A}`);
    assert.equal(byDigest.tagNameOnly(), byDigest);
    assert.equal(byDigest.path, 'lab/small');
  });

  test('short image IDs from the fixtures are names that fall back to ID prefixes', () => {
    for (const id of ['b39d2aee5456', '2e405b84b1ec', '7e99702615de', 'b45de14fbc87', '41b461136cf1']) {
      const lookup = classifyImageLookup(id);
      assert.equal(lookup.kind, 'reference');
      if (lookup.kind === 'reference') assert.deepEqual(lookup.idSearch, { algorithm: undefined, hex: id });
    }
    // Docker refuses these as repository names.
    assert.equal(
      errorOf(() => parseNormalizedNamed('7e99702615de647cc14c918f94391cb5e9ec19a3c34c98e82a2b4dc2ec0de5d5')).code,
      'name-is-identifier',
    );
  });

  test('docker save RepoTags and repositories keys (archives/two-images.tar)', () => {
    // manifest.json RepoTags and the repositories file are written with familiar forms.
    assert.deepEqual(
      ['127.0.0.1:5000/lab/small:1.0', 'lab/other:1'].map((s) => parseNormalizedNamed(s).familiarString()),
      ['127.0.0.1:5000/lab/small:1.0', 'lab/other:1'],
    );
    assert.deepEqual(
      ['127.0.0.1:5000/lab/small:1.0', 'lab/other:1'].map((s) => parseNormalizedNamed(s).familiarName),
      ['127.0.0.1:5000/lab/small', 'lab/other'],
    );
  });
});
