import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileError, dumpNode, parse, parseHeredoc, type Node } from '../../src/build/dockerfile/index.js';

// One "(instruction ...)" string per instruction, as in BuildKit's dump of the root.
function dump(text: string | Uint8Array): string[] {
  return parse(text).ast.children.map((c) => `(${dumpNode(c)})`);
}

function parseError(text: string): DockerfileError {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof DockerfileError, `not a DockerfileError: ${String(err)}`);
    return err;
  }
  assert.fail('expected a parse error');
}

function child(text: string, i = 0): Node {
  return parse(text).ast.children[i];
}

test('instruction keywords keep their case; dump lower-cases them', () => {
  const n = child('FrOm alpine');
  assert.equal(n.value, 'FrOm');
  assert.equal(dumpNode(n), 'from "alpine"');
});

test('shell form vs JSON form per instruction', () => {
  assert.deepEqual(dump('RUN ["echo", "a  b"]\nRUN echo "a  b"\nCMD ["x"]\nENTRYPOINT ["y", "z"]\nSHELL ["/bin/bash", "-c"]'), [
    '(run "echo" "a  b")',
    '(run "echo \\"a  b\\"")',
    '(cmd "x")',
    '(entrypoint "y" "z")',
    '(shell "/bin/bash" "-c")',
  ]);
  assert.equal(child('RUN ["a"]').attributes.json, true);
  assert.equal(child('RUN a').attributes.json, undefined);
  // COPY/ADD/VOLUME shell form is split into words; JSON keeps spaces inside strings.
  assert.deepEqual(dump('COPY a  b\tc\nCOPY ["a b", "c"]\nVOLUME /a /b\nVOLUME ["/a b"]'), [
    '(copy "a" "b" "c")',
    '(copy "a b" "c")',
    '(volume "/a" "/b")',
    '(volume "/a b")',
  ]);
});

test('invalid JSON falls back to shell form; non-string arrays are errors', () => {
  assert.deepEqual(dump('CMD ["a", \'b\']\nCMD [1'), ['(cmd "[\\"a\\", \'b\']")', '(cmd "[1")']);
  const err = parseError('FROM a\nCMD ["a", 1]');
  assert.equal(err.message, 'when using JSON array syntax, arrays must be comprised of strings only');
  assert.deepEqual(err.location, { start: 2, end: 2 });
  assert.throws(() => parse('CMD [null]'), /comprised of strings only/);
  assert.deepEqual(dump('CMD []\nRUN [ ]'), ['(cmd)', '(run)']);
  // Go cannot decode an out-of-range number, so this is not JSON there either.
  assert.deepEqual(dump('CMD [1e999]'), ['(cmd "[1e999]")']);
});

test('JSON escapes decode, lone surrogates become U+FFFD', () => {
  assert.deepEqual(dump('CMD ["\\u0041\\t\\u00e9", "\\ud800"]'), ['(cmd "A\\té" "\uFFFD")']);
});

test('ENV and LABEL: key=value pairs, legacy form, quoting kept for later', () => {
  assert.deepEqual(dump('ENV a=1 b="x y" c=\nENV legacy  value  with spaces\nLABEL "k"=v'), [
    '(env "a" "1" "=" "b" "\\"x y\\"" "=" "c" "" "=")',
    '(env "legacy" "value  with spaces" "")',
    '(label "\\"k\\"" "v" "=")',
  ]);
  assert.equal(parseError('FROM a\nENV onlykey').message, 'ENV must have two arguments');
  assert.equal(parseError('FROM a\nLABEL x').message, 'LABEL must have two arguments');
  assert.equal(
    parseError('FROM a\nENV a=1 b').message,
    'Syntax error - can\'t find = in "b". Must be of the form: name=value',
  );
  // No arguments is not a parse error (the instruction parser reports it).
  assert.deepEqual(dump('ENV'), ['(env)']);
});

test('ARG words', () => {
  assert.deepEqual(dump('ARG a b=2 "c d"=e'), ['(arg "a" "b=2" "\\"c d\\"=e")']);
});

test('FROM, EXPOSE split at white space; MAINTAINER/USER/WORKDIR/STOPSIGNAL keep the rest', () => {
  assert.deepEqual(dump('FROM a  AS   b\nEXPOSE 80 443/tcp\nUSER a b\nWORKDIR /a b\nMAINTAINER A <a@b>\nSTOPSIGNAL SIGKILL'), [
    '(from "a" "AS" "b")',
    '(expose "80" "443/tcp")',
    '(user "a b")',
    '(workdir "/a b")',
    '(maintainer "A <a@b>")',
    '(stopsignal "SIGKILL")',
  ]);
});

test('unknown instructions parse with an empty argument (rejected later)', () => {
  assert.deepEqual(dump('FOO bar baz'), ['(foo "")']);
});

test('flags: --x=y words before the arguments, quotes and escapes processed, -- ends them', () => {
  const n = child('COPY --from=build --chown="a b" --x=\\"y -- --not-a-flag dst');
  assert.deepEqual(n.flags, ['--from=build', '--chown=a b', '--x="y']);
  assert.equal(dumpNode(n), 'copy ["--from=build" "--chown=a b" "--x=\\"y"] "--not-a-flag" "dst"');
  assert.deepEqual(child('RUN --mount=type=cache,target=/x echo --y').flags, ['--mount=type=cache,target=/x']);
  assert.deepEqual(child('RUN -x').flags, []);
  // Flags only: the argument list is empty.
  assert.deepEqual(dump('COPY --link'), ['(copy ["--link"])']);
});

test('flags are read byte by byte like BuildKit (non-ASCII comes out as Latin-1 of its UTF-8)', () => {
  assert.deepEqual(child('COPY --from=é a b').flags, ['--from=Ã©']);
  // ...but the arguments after them are intact.
  assert.deepEqual(dump('COPY --link é b'), ['(copy ["--link"] "é" "b")']);
});

test('HEALTHCHECK: type word then CMD arguments', () => {
  assert.deepEqual(dump('HEALTHCHECK NONE\nHEALTHCHECK --interval=5s CMD ["a", "b"]\nHEALTHCHECK CMD  a  b\nHEALTHCHECK'), [
    '(healthcheck "NONE")',
    '(healthcheck ["--interval=5s"] "CMD" "a" "b")',
    '(healthcheck "CMD" "a  b")',
    '(healthcheck)',
  ]);
  assert.equal(child('HEALTHCHECK CMD ["a"]').attributes.json, true);
});

test('ONBUILD nests its instruction', () => {
  const n = child('ONBUILD COPY --from=x a b');
  assert.equal(dumpNode(n), 'onbuild (copy ["--from=x"] "a" "b")');
  assert.equal(n.next?.children[0].value, 'COPY');
  assert.equal(n.next?.children[0].original, 'COPY --from=x a b');
  assert.deepEqual([n.next?.children[0].startLine, n.next?.children[0].endLine], [1, 1]);
  assert.deepEqual(dump('ONBUILD'), ['(onbuild)']);
  assert.deepEqual(dump('ONBUILD ONBUILD RUN x'), ['(onbuild (onbuild (run "x")))']);
});

test('line continuation, comments inside continuations, empty continuation lines', () => {
  const text = 'FROM a\nRUN one \\\n  # a comment\n  two \\\n\n  three\nRUN x';
  const r = parse(text);
  assert.deepEqual(dump(text), ['(from "a")', '(run "one   two   three")', '(run "x")']);
  assert.deepEqual([r.ast.children[1].startLine, r.ast.children[1].endLine], [2, 6]);
  assert.equal(r.warnings.length, 1);
  assert.equal(r.warnings[0].short, 'Empty continuation line found in: RUN one   two   three');
  assert.equal(r.warnings[0].url, 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/');
  assert.deepEqual(r.warnings[0].location, { start: 6, end: 6 });
  // A comment line in a continuation is no empty line.
  assert.equal(parse('RUN a \\\n# c\nb').warnings.length, 0);
});

test('continuation: trailing white space after the escape, escaped escape, lone escape line, EOF', () => {
  assert.deepEqual(dump('RUN a \\  \t\nb'), ['(run "a b")']);
  assert.deepEqual(dump('RUN a \\\\\nRUN b'), ['(run "a \\\\\\\\")', '(run "b")']);
  assert.deepEqual(dump('RUN a\\\n\\\nb'), ['(run "ab")']);
  assert.deepEqual(dump('RUN a \\'), ['(run "a")']);
  assert.deepEqual(dump('\\\nRUN x'), ['(run "x")']);
});

test('CRLF line endings', () => {
  assert.deepEqual(dump('FROM a\r\nRUN b \\\r\n  c\r\nCOPY <<EOF /d\r\nx\r\nEOF\r\n'), [
    '(from "a")',
    '(run "b   c")',
    '(copy "<<EOF" "/d")',
  ]);
  assert.equal(child('COPY <<EOF /d\r\nx\r\nEOF\r\n').heredocs[0].content, 'x\r\n');
});

test('byte order mark at the start is ignored', () => {
  assert.deepEqual(dump('\ufeff# escape=`\nRUN a `\nb'), ['(run "a b")']);
  assert.deepEqual(dump(Buffer.from('\ufeffFROM a')), ['(from "a")']);
});

test('escape directive: backtick, and with it backslash is an ordinary character', () => {
  const r = parse('# escape=`\nFROM windows\nRUN dir c:\\ `\n  /s\nCOPY a\\b c:\\dst\\');
  assert.equal(r.escapeToken, '`');
  assert.deepEqual(r.ast.children.map((c) => `(${dumpNode(c)})`), [
    '(from "windows")',
    '(run "dir c:\\\\   /s")',
    '(copy "a\\\\b" "c:\\\\dst\\\\")',
  ]);
  assert.deepEqual(r.directives, [{ name: 'escape', value: '`', line: 1 }]);
  assert.equal(parse('FROM a').escapeToken, '\\');
});

test('directives: only at the top, case-insensitive names, spaces around =, each once', () => {
  const r = parse('# syntax = docker/dockerfile:1.7\n#CHECK=skip=all\n  # escape=\\\nFROM a');
  assert.deepEqual(
    r.directives.map((d) => [d.name, d.value, d.line]),
    [
      ['syntax', 'docker/dockerfile:1.7', 1],
      ['check', 'skip=all', 2],
      ['escape', '\\', 3],
    ],
  );
  // After any other comment or instruction, a directive is just a comment.
  assert.equal(parse('# hello\n# escape=`\nRUN a `\nb').escapeToken, '\\');
  assert.equal(parse('FROM a\n# escape=`').escapeToken, '\\');
  // An unknown directive ends directive parsing too.
  assert.equal(parse('# foo=bar\n# escape=`\nFROM a').escapeToken, '\\');
  const dup = parseError('# escape=`\n# escape=\\\nFROM a');
  assert.equal(dup.message, 'only one escape parser directive can be used');
  assert.equal(dup.line, 2);
  assert.equal(parseError('# escape=x\nFROM a').message, "invalid escape token 'x' does not match ` or \\");
});

test('directive lines are not comments of the first instruction; other comments are', () => {
  const n = child('# syntax=x\n# about a\n#\n# the image\n  #   base   \nFROM a');
  // BuildKit drops the first byte of the line, not the '#': an indented comment keeps its '#'.
  assert.deepEqual(n.prevComment, ['the image', '#   base']);
  assert.deepEqual(child('# syntax=x\nFROM a').prevComment, []);
  // Comments are reset after an instruction.
  assert.deepEqual(parse('# one\nFROM a\nRUN b').ast.children[1].prevComment, []);
});

test('line numbers of every node, root spans first to last instruction', () => {
  const r = parse('\n# c\nFROM a\n\nRUN b \\\n c\n\nCOPY <<EOF x\nbody\nEOF\n\n');
  assert.deepEqual(
    r.ast.children.map((c) => [c.startLine, c.endLine]),
    [
      [3, 3],
      [5, 6],
      [8, 10],
    ],
  );
  assert.deepEqual([r.ast.startLine, r.ast.endLine], [3, 10]);
});

test('original keeps the joined instruction text', () => {
  assert.equal(child('RUN a \\\n  b').original, 'RUN a   b');
});

test('empty and comment-only files are errors', () => {
  for (const text of ['', '\n\n', '# just\n# comments\n', '# syntax=x\n']) {
    assert.equal(parseError(text).message, 'file with no instructions');
  }
});

test('lines longer than 64 KiB are rejected like BuildKit', () => {
  const ok = 'LABEL a=' + 'x'.repeat(65535 - 8) + '\n';
  assert.equal(parse(ok).ast.children.length, 1);
  const long = 'FROM a\nLABEL a=' + 'x'.repeat(65536) + '\n';
  assert.equal(parseError(long).message, 'dockerfile line greater than max allowed size of 65535');
  assert.equal(parseError('LABEL a=' + 'x'.repeat(65536)).message, 'file with no instructions');
});

test('heredocs: body, chomp, expand, file descriptor, name forms', () => {
  const cases: [string, { name: string; content: string; expand: boolean; chomp: boolean; fileDescriptor: number }][] = [
    ['RUN <<EOF\na\nb\nEOF', { name: 'EOF', content: 'a\nb\n', expand: true, chomp: false, fileDescriptor: 0 }],
    ['RUN <<-EOF\n\ta\n\t\tEOF', { name: 'EOF', content: '\ta\n', expand: true, chomp: true, fileDescriptor: 0 }],
    ['RUN <<"EOF"\n$x\nEOF', { name: 'EOF', content: '$x\n', expand: false, chomp: false, fileDescriptor: 0 }],
    ["RUN <<'EOF'\n$x\nEOF", { name: 'EOF', content: '$x\n', expand: false, chomp: false, fileDescriptor: 0 }],
    ['RUN <<E"O"F\nx\nEOF', { name: 'EOF', content: 'x\n', expand: false, chomp: false, fileDescriptor: 0 }],
    ['RUN 3<<EOF\nx\nEOF', { name: 'EOF', content: 'x\n', expand: true, chomp: false, fileDescriptor: 3 }],
    ['RUN <<  EOF  > /out\nx\nEOF', { name: 'EOF', content: 'x\n', expand: true, chomp: false, fileDescriptor: 0 }],
    ['RUN <<EOF\nEOF', { name: 'EOF', content: '', expand: true, chomp: false, fileDescriptor: 0 }],
    ['RUN <<$EOF\n$EOF', { name: '$EOF', content: '', expand: true, chomp: false, fileDescriptor: 0 }],
    ["RUN <<'a b'\nx\na b", { name: 'a b', content: 'x\n', expand: false, chomp: false, fileDescriptor: 0 }],
    ["RUN <<eo\\'f\nx\neo'f", { name: "eo'f", content: 'x\n', expand: true, chomp: false, fileDescriptor: 0 }],
    ['RUN <<EOF\n# not a comment\n\n  \\\nEOF', { name: 'EOF', content: '# not a comment\n\n  \\\n', expand: true, chomp: false, fileDescriptor: 0 }],
  ];
  for (const [text, want] of cases) {
    assert.deepEqual(child(text).heredocs, [want], text);
  }
});

test('heredocs: several per instruction, read in order; terminators are exact lines', () => {
  const n = child('COPY <<A <<B /dst/\nB\nA\nA\nB\n');
  assert.deepEqual(
    n.heredocs.map((h) => [h.name, h.content]),
    [
      ['A', 'B\n'],
      ['B', 'A\n'],
    ],
  );
  assert.deepEqual([n.startLine, n.endLine], [1, 5]);
  assert.equal(child('RUN <<EOF\nEOF \nEOF').heredocs[0].content, 'EOF \n');
});

test('heredocs: only RUN, COPY, ADD (also under ONBUILD), never in JSON form or quotes', () => {
  assert.deepEqual(dump('RUN <<EOF\nx\nEOF\nRUN y'), ['(run "<<EOF")', '(run "y")']);
  assert.deepEqual(child('ADD <<EOF /x\nhi\nEOF').heredocs.length, 1);
  const onbuild = child('ONBUILD RUN <<EOF\nx\nEOF');
  assert.equal(onbuild.heredocs[0].content, 'x\n');
  // Not heredoc instructions: the following lines are instructions of their own.
  assert.deepEqual(dump('USER <<EOF\nEOF'), ['(user "<<EOF")', '(eof "")']);
  assert.deepEqual(dump('RUN ["<<EOF"]\nEOF'), ['(run "<<EOF")', '(eof "")']);
  assert.deepEqual(dump('RUN echo "<<EOF"\nEOF'), ['(run "echo \\"<<EOF\\"")', '(eof "")']);
  assert.deepEqual(dump("RUN echo '<<EOF'\nEOF"), ['(run "echo \'<<EOF\'")', '(eof "")']);
  // `cat<<EOF` is one word that does not start with <<.
  assert.deepEqual(dump('RUN cat<<EOF\nEOF'), ['(run "cat<<EOF")', '(eof "")']);
});

test('heredoc errors', () => {
  const e = parseError('FROM a\nRUN <<EOF\nno end');
  assert.equal(e.message, 'unterminated heredoc');
  assert.deepEqual(e.location, { start: 2, end: 3 });
  // A line that does not lex (unterminated quote) has no heredocs at all.
  assert.deepEqual(dump("RUN <<'EOF\nx"), ['(run "<<\'EOF")', '(x "")']);
});

test('parseHeredoc on words', () => {
  for (const w of ['<<EOF', "<<'EOF'", '<<"EOF"', '<<-EOF', "<<-'EOF'", '<<EO"F"', '<< EOF', '<<- EOF']) {
    assert.equal(parseHeredoc(w)?.name, 'EOF', w);
  }
  for (const w of ['', 'EOF', '<<', '<<-', '<EOF', '<<<EOF', '<<EOF sh']) assert.equal(parseHeredoc(w), null, w);
  for (const w of ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"']) assert.throws(() => parseHeredoc(w), w);
});

test('parse errors carry the lines of the instruction', () => {
  const e = parseError('FROM a\n\nENV x=1 \\\n  y');
  assert.match(e.message, /can't find = in "y"/);
  assert.deepEqual(e.location, { start: 3, end: 4 });
  assert.equal(e.line, 3);
});
