import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatternMatcher, parseDockerignore } from '../../src/build/ignore.js';

const m = (patterns: string[]) => new PatternMatcher(parseDockerignore(patterns.join('\n')));

// Cases from the semantics of moby/patternmatcher and dockerignore.ReadAll.
test('dockerignore: plain names, globs and directories', () => {
  const p = m(['*.log', 'build', 'docs/*.md']);
  assert.equal(p.matches('a.log'), true);
  assert.equal(p.matches('sub/a.log'), false, '* does not cross directories');
  assert.equal(p.matches('build'), true);
  assert.equal(p.matches('build/x/y.o'), true, 'a matched directory excludes everything below it');
  assert.equal(p.matches('docs/a.md'), true);
  assert.equal(p.matches('docs/sub/a.md'), false);
  assert.equal(p.matches('src/build'), false);
});

test('dockerignore: ** matches any number of directories', () => {
  const p = m(['**/*.tmp', 'a/**/z']);
  assert.equal(p.matches('x.tmp'), true);
  assert.equal(p.matches('d/e/x.tmp'), true);
  assert.equal(p.matches('a/z'), true);
  assert.equal(p.matches('a/b/c/z'), true);
  assert.equal(p.matches('b/z'), false);
  assert.equal(m(['**']).matches('anything/at/all'), true);
});

test('dockerignore: ! exceptions, order matters, last match wins', () => {
  const p = m(['*.md', '!README.md', 'README-secret.md']);
  assert.equal(p.matches('a.md'), true);
  assert.equal(p.matches('README.md'), false);
  assert.equal(p.matches('README-secret.md'), true);
  const q = m(['!keep', '*']);
  assert.equal(q.matches('keep'), true, 'an exception before the exclusion is overridden');
  const r = m(['dir', '!dir/keep.txt']);
  assert.equal(r.matches('dir/other'), true);
  assert.equal(r.matches('dir/keep.txt'), false);
  assert.equal(r.mustDescend('dir'), true);
  assert.equal(m(['dir']).mustDescend('dir'), false);
});

test('dockerignore: leading slash, ./, trailing slash and .. are cleaned; comments and blanks skipped', () => {
  assert.deepEqual(parseDockerignore('# comment\n\n  /abs/path/ \n./rel\n!  spaced\na/../b\n'), ['abs/path', 'rel', '!spaced', 'b']);
  const p = m(['/secret', './tmp/']);
  assert.equal(p.matches('secret'), true);
  assert.equal(p.matches('tmp/x'), true);
  assert.equal(m(['.']).matches('x'), false, '"." cleaned stays "." and matches nothing but "."');
});

test('dockerignore: ? and character classes, escapes', () => {
  const p = m(['file?.txt', '[ab].c', 'lit\\*st?r', 'only\\*escaped']);
  assert.equal(p.matches('file1.txt'), true);
  assert.equal(p.matches('file10.txt'), false);
  assert.equal(p.matches('a.c'), true);
  assert.equal(p.matches('c.c'), false);
  assert.equal(p.matches('lit*star'), true);
  assert.equal(p.matches('litXstar'), false);
  // Without a wildcard the pattern is compared as written, escapes included (patternmatcher's exact match).
  assert.equal(p.matches('only*escaped'), false);
  assert.equal(p.matches('only\\*escaped'), true);
});

test('dockerignore: a lone ! is an error', () => {
  assert.throws(() => parseDockerignore('!\n'), /illegal exclusion pattern/);
});
