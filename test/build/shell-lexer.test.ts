import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envFromList, ShellLex, ShellLexError, toEnvGetter } from '../../src/build/dockerfile/index.js';

const lex = new ShellLex('\\');

function word(input: string, env: Record<string, string> = {}): string {
  return lex.processWord(input, env);
}

function lexError(input: string, env: Record<string, string> = {}): string {
  try {
    lex.processWord(input, env);
  } catch (err) {
    assert.ok(err instanceof ShellLexError);
    return err.message;
  }
  assert.fail(`no error for ${input}`);
}

test('variables: $VAR, ${VAR}, names, digits and special parameters', () => {
  const env = { A: 'x', A_1: 'y', é: 'acute' };
  assert.equal(word('$A-$A_1-${A}1-$é', env), 'x-y-x1-acute');
  assert.equal(word('$1x $12y ${3}', env), 'x y ');
  assert.equal(word('$@$*$#$?$-$$$!$0.', env), '.');
  assert.equal(word('$ $. $/ a$', env), '$ $. $/ a$');
  assert.equal(word('$UNSET|${UNSET}|', env), '||');
});

test('quotes and escapes', () => {
  const env = { A: 'x' };
  assert.equal(word(`'$A \\n'"$A \\" \\$A \\\\ \\n"\\'\\$A`, env), `$A \\nx " $A \\ \\n'$A`);
  assert.equal(word('a\\ b\\', env), 'a b');
  assert.match(lexError('"abc'), /unexpected end of statement while looking for matching double-quote$/);
  assert.match(lexError("'abc"), /unexpected end of statement while looking for matching single-quote$/);
  assert.equal(lexError('"a\\'), 'failed to process "\\"a\\\\": unexpected end of statement while looking for matching double-quote');
});

test('backtick escape token', () => {
  const bt = new ShellLex('`');
  assert.equal(bt.processWord('a`$A c:\\dir "q`"q" `', { A: 'x' }), 'a$A c:\\dir q"q ');
  assert.throws(() => new ShellLex('x'), /invalid escape token/);
});

test('default, alternative and required values', () => {
  const env = { SET: 'v', EMPTY: '' };
  assert.equal(word('${SET:-d}|${EMPTY:-d}|${UNSET:-d}', env), 'v|d|d');
  assert.equal(word('${SET-d}|${EMPTY-d}|${UNSET-d}', env), 'v||d');
  assert.equal(word('${SET:+a}|${EMPTY:+a}|${UNSET:+a}', env), 'a||');
  assert.equal(word('${SET+a}|${EMPTY+a}|${UNSET+a}', env), 'a|a|');
  assert.equal(word('${UNSET:-${SET}x $SET}', env), 'vx v');
  assert.equal(word('${SET:?no}|${EMPTY?no}', env), 'v|');
  assert.equal(lexError('${UNSET?}', env), 'failed to process "${UNSET?}": UNSET: is not allowed to be unset');
  assert.equal(lexError('${EMPTY:?}', env), 'failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty');
  assert.equal(lexError('${UNSET:?need $SET}', env), 'failed to process "${UNSET:?need $SET}": UNSET: need v');
});

test('prefix and suffix removal with shell patterns', () => {
  const env = { F: 'archive.tar.gz', P: '/usr/local/bin', K: '한국어', S: 'a*b?c' };
  assert.equal(word('${F%.*}|${F%%.*}|${F#*.}|${F##*.}', env), 'archive.tar|archive|tar.gz|gz');
  assert.equal(word('${P#/*/}|${P##*/}|${P%/*}', env), 'local/bin|bin|/usr/local');
  assert.equal(word('${K#?}|${K%?}', env), '국어|한국');
  assert.equal(word('${S#a\\*}|${S%\\?c}|${S#*\\?}', env), 'b?c|a*b|c');
  assert.equal(word('${F#}|${F%%}|${F#nomatch}|${UNSET#x}', env), 'archive.tar.gz|archive.tar.gz|archive.tar.gz|');
  // Regular-expression characters are literal in patterns; \} keeps a brace out of ${}.
  assert.equal(word('${R#(a|b).[x]{\\}^$+}', { R: '(a|b).[x]{}^$+rest' }), 'rest');
  assert.match(lexError('${F#\\x}', env), /invalid pattern \(\\x\) in substitution: invalid escape '\\x'/);
  assert.match(lexError('${F:#x}', env), /unsupported modifier \(:#\) in substitution/);
  assert.match(lexError('${F:%%x}', env), /unsupported modifier \(:%\) in substitution/);
});

test('pattern replacement: first and all, escaped separators, Go template rules', () => {
  const env = { V: '/a/b/a/b', U: 'http://x.io', E: '' };
  assert.equal(word('${V/a/X}|${V//a/X}|${V//\\//:}|${V/#/x}', env), '/X/b/a/b|/X/b/X/b|:a:b:a:b|/a/b/a/b');
  // Escapes stay in the replacement text (BuildKit lexes it with raw escapes).
  assert.equal(word('${U/http:\\/\\//https:\\/\\/}', env), 'https:\\/\\/x.io');
  assert.equal(word('${V//?/.}|${V//*/all}|${E//x/y}|${UNSET//x/y}', env), '........|all||');
  // In replace-all the replacement (escapes kept) is also a Go regexp template, where $0 is
  // the match; replacing only the first match uses it literally.
  assert.equal(word('${V//b/<\\$0>}', { V: 'abc' }), 'a<\\b>c');
  assert.equal(word('${V//b/\\$\\$}', { V: 'abc' }), 'a\\$\\$c');
  assert.equal(word('${V/b/\\$0}', { V: 'abc' }), 'a\\$0c');
  assert.match(lexError('${V/a}', env), /syntax error: missing '\/' in \$\{\}/);
});

test('syntax errors', () => {
  for (const [input, msg] of [
    ['${}', 'syntax error: bad substitution'],
    ['${:-x}', 'syntax error: bad substitution'],
    ['${{a}', 'syntax error: bad substitution'],
    ['${', "syntax error: missing '}'"],
    ['${a:-x', "syntax error: missing '}'"],
    ['${a:=x}', 'unsupported modifier (:=) in substitution'],
    ['${a.}', 'unsupported modifier (.) in substitution'],
  ]) {
    assert.equal(lexError(input), `failed to process ${JSON.stringify(input)}: ${msg}`);
  }
});

test('matched and unmatched variables (for the build cache and UndefinedVar)', () => {
  const r = lex.processWordWithMatches('$A ${B:-x} ${C+y} ${D#z} \\$E \'$F\' "$G"', { A: '1', C: '', G: 'g' });
  assert.equal(r.result, '1 x y  $E $F g');
  assert.deepEqual([...r.matched].sort(), ['A', 'C', 'G']);
  assert.deepEqual([...r.unmatched].sort(), ['B', 'D']);
  const none = lex.processWordWithMatches('plain', {});
  assert.equal(none.matched.size + none.unmatched.size, 0);
});

test('word splitting happens after expansion; quotes keep spaces', () => {
  const env = { S: ' a  b ', Q: '"q"' };
  assert.deepEqual(lex.processWords('x$S"y"', env), ['x', 'a', 'b', 'y']);
  assert.deepEqual(lex.processWords('x"$S"y', env), ['x a  b y']);
  assert.deepEqual(lex.processWords('"$S" \'$S\' \\ z', env), [' a  b ', '$S', ' z']);
  assert.deepEqual(lex.processWords('$Q', env), ['"q"']);
  assert.deepEqual(lex.processWords('  ', env), []);
  assert.deepEqual(lex.processWords('""', env), []);
  // Heredoc markers keep the blanks after <<.
  assert.deepEqual(lex.processWords('cat <<  EOF >x', env), ['cat', '<<  EOF', '>x']);
});

test('word splitting keeps BuildKit\'s reset of the word before a nested ${VAR:...}', () => {
  // BuildKit shares one word buffer between nested expansions; the text before ${X:-...}
  // in the same word is lost. Faithfully reproduced (ProcessWord is not affected).
  assert.deepEqual(lex.processWords('pre${X:-mid}post tail', {}), ['midpost', 'tail']);
  assert.equal(lex.processWord('pre${X:-mid}post tail', {}), 'premidpost tail');
  assert.deepEqual(lex.processWords('pre$X post', { X: '1' }), ['pre1', 'post']);
});

test('lexer options: rawQuotes, rawEscapes, skipUnsetEnv, skipProcessQuotes', () => {
  const raw = new ShellLex('\\');
  raw.rawQuotes = true;
  raw.rawEscapes = true;
  raw.skipUnsetEnv = true;
  assert.equal(raw.processWord('"$A" \'b\' \\c $U ${U} ${U:-d} ${U/x/y}', { A: 'a' }), '"a" \'b\' \\c $U ${U} ${U:-d} ${U/x/y}');
  const noQuotes = new ShellLex('\\');
  noQuotes.skipProcessQuotes = true;
  assert.equal(noQuotes.processWord('"$A" \'$A\' \\$A', { A: 'a' }), '"a" \'a\' $A');
});

test('a leading byte order mark is skipped', () => {
  assert.equal(word('\ufeff$A', { A: 'x' }), 'x');
  assert.equal(word('a\ufeff', {}), 'a\ufeff');
});

test('environments: K=V lists (last wins), maps, records, getters', () => {
  const env = envFromList(['A=1', 'B', 'A=2', 'C=x=y']);
  assert.equal(env.get('A'), '2');
  assert.equal(env.get('B'), '');
  assert.equal(env.get('C'), 'x=y');
  assert.equal(env.get('D'), undefined);
  assert.deepEqual(env.keys(), ['A', 'B', 'A', 'C']);
  assert.equal(lex.processWord('$A$B$C', ['A=1', 'B', 'A=2', 'C=x=y']), '2x=y');
  assert.equal(lex.processWord('$A', new Map([['A', 'm']])), 'm');
  assert.equal(lex.processWord('$toString$A', { A: 'r' }), 'r');
  assert.deepEqual(toEnvGetter({ A: '1' }).keys(), ['A']);
});
