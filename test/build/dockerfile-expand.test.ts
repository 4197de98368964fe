import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCopyFrom,
  DockerfileError,
  expandInstruction,
  expandStage,
  parse,
  parseStages,
  resolveMetaArgs,
  runCommandLine,
  ShellLex,
  type Instruction,
  type ParsedStages,
} from '../../src/build/dockerfile/index.js';

function parsed(text: string): ParsedStages & { lex: ShellLex } {
  const r = parse(text);
  return { ...parseStages(r.ast), lex: new ShellLex(r.escapeToken) };
}

function expand(line: string, env: Record<string, string> = {}, escape = '\\') {
  const prefix = escape === '`' ? '# escape=`\n' : '';
  const { stages, lex } = parsed(`${prefix}FROM base\n${line}`);
  return expandInstruction(stages[0].commands[0], lex, env);
}

function expanded<K extends Instruction['kind']>(kind: K, line: string, env: Record<string, string> = {}, escape = '\\') {
  const r = expand(line, env, escape);
  assert.equal(r.instruction.kind, kind);
  return r.instruction as Extract<Instruction, { kind: K }>;
}

function expandError(line: string, env: Record<string, string> = {}): DockerfileError {
  try {
    expand(line, env);
  } catch (err) {
    assert.ok(err instanceof DockerfileError, String(err));
    return err;
  }
  assert.fail(`no error for ${line}`);
}

test('ENV and LABEL: keys and values, quotes removed', () => {
  const env = expanded('env', `ENV A=$B C="x $B" D='$B' $K=v E=\${U:-def}`, { B: '1', K: 'KEY' });
  assert.deepEqual(
    env.env.map((e) => [e.key, e.value]),
    [
      ['A', '1'],
      ['C', 'x 1'],
      ['D', '$B'],
      ['KEY', 'v'],
      ['E', 'def'],
    ],
  );
  assert.deepEqual(expanded('env', 'ENV OLD legacy $B "q"', { B: '2' }).env, [{ key: 'OLD', value: 'legacy 2 q', noDelim: true }]);
  assert.deepEqual(expanded('label', 'LABEL "org.$N"="$V w"', { N: 'x', V: 'y' }).labels, [
    { key: 'org.x', value: 'y w', noDelim: false },
  ]);
});

test('the instruction is copied, not changed', () => {
  const { stages, lex } = parsed('FROM a\nENV A=$B');
  const before = JSON.stringify(stages[0].commands[0]);
  expandInstruction(stages[0].commands[0], lex, { B: 'x' });
  assert.equal(JSON.stringify(stages[0].commands[0]), before);
});

test('matched and unmatched variables are reported', () => {
  const r = expand('COPY --chown=$USER:$GROUP $SRC ${DST:-/dst}', { USER: 'u', SRC: 's' });
  assert.deepEqual([...r.matched].sort(), ['SRC', 'USER']);
  assert.deepEqual([...r.unmatched].sort(), ['DST', 'GROUP']);
});

test('COPY / ADD: paths and flag values; --from is not expanded', () => {
  const c = expanded('copy', 'COPY --from=$S --chown=$U --chmod=$M $A b\\ c ${D}/', { S: 'x', U: '1:1', M: '755', A: 'a', D: '/d' });
  assert.deepEqual([c.from, c.chown, c.chmod, c.sourcePaths, c.destPath], ['$S', '1:1', '755', ['a', 'b', 'c'], '/d/']);
  // Shell-form COPY splits at white space before expansion: quotes do not group words.
  assert.match(expandError('COPY "b c" /d').message, /matching double-quote/);
  const a = expanded('add', 'ADD --checksum=$SUM https://x/$V.tgz /opt', { SUM: 'sha256:ab', V: '1.2' });
  assert.deepEqual([a.checksum, a.sourcePaths], ['sha256:ab', ['https://x/1.2.tgz']]);
  assert.deepEqual(expanded('copy', 'COPY ["$A b", "/d"]', { A: 'x' }).sourcePaths, ['x b']);
});

test('COPY heredoc bodies: expanded with quotes kept unless the delimiter is quoted', () => {
  const c = expanded('copy', 'COPY <<A <<"B" /dst/\n"$X" \'$X\' \\$X\nA\n$X\nB', { X: 'v' });
  assert.deepEqual(
    c.sourceContents.map((s) => s.data),
    ['"v" \'v\' $X\n', '$X\n'],
  );
  // Bodies always use '\' as escape, whatever the Dockerfile's escape token.
  const bt = expanded('copy', 'COPY <<A /d\n\\$X `$X\nA', { X: 'v' }, '`');
  assert.equal(bt.sourceContents[0].data, '$X `v\n');
});

test('WORKDIR, USER, VOLUME, STOPSIGNAL', () => {
  const env = { H: '/home/u', N: 'u', S: 'TERM' };
  assert.equal(expanded('workdir', 'WORKDIR $H/app', env).path, '/home/u/app');
  assert.equal(expanded('user', 'USER ${N}:${N}', env).user, 'u:u');
  assert.deepEqual(expanded('volume', 'VOLUME $H /data', env).volumes, ['/home/u', '/data']);
  assert.equal(expanded('stopsignal', 'STOPSIGNAL SIG$S', env).signal, 'SIGTERM');
});

test('escape token of the Dockerfile applies to expansion', () => {
  assert.equal(expanded('workdir', 'WORKDIR c:\\$D`$X', { D: 'dir', X: 'no' }, '`').path, 'c:\\dir$X');
});

test('EXPOSE: each port expanded and split into words', () => {
  assert.deepEqual(expanded('expose', 'EXPOSE $P 9000', { P: '80  443/udp' }).ports, ['80', '443/udp', '9000']);
});

test('ARG: default values are expanded, names are not', () => {
  const a = expanded('arg', 'ARG $N=${V}-x B', { V: '1', N: 'n' });
  assert.deepEqual(a.args.map((x) => [x.key, x.value]), [
    ['$N', '1-x'],
    ['B', undefined],
  ]);
});

test('RUN: the command is not expanded, mounts are', () => {
  const r = expanded('run', 'RUN --mount=type=$T,target=$HOME/.cache,id=${ID:-c} echo $HOME', { T: 'cache', HOME: '/root' });
  assert.deepEqual(r.cmdLine, ['echo $HOME']);
  assert.deepEqual(r.mounts, [
    {
      type: 'cache',
      from: '',
      source: '',
      target: '/root/.cache',
      readOnly: false,
      sizeLimit: 0,
      cacheId: 'c',
      cacheSharing: '',
      required: false,
    },
  ]);
});

test('RUN --mount errors when evaluated', () => {
  const cases: [string, string][] = [
    ['type=nfs', 'unsupported mount type "nfs"'],
    ['type=bnd', 'unsupported mount type "bnd" (did you mean bind?)'],
    ['type=bind,size=1m', "unexpected key 'size' for mount type 'bind'"],
    ['type=bind,required', "unexpected key 'required' for mount type 'bind'"],
    ['type=bind,mode=0600', 'mode not allowed for "bind" type mounts'],
    ['type=tmpfs,uid=0', 'uid not allowed for "tmpfs" type mounts'],
    ['type=secret', 'invalid secret mount. one of source, target required'],
    ['type=secret,id=a,source=b', "both source and id can't be set"],
    ['type=secret,id=a,from=x', 'secret mount should not have a from'],
    ['type=secret,id=a,sharing=shared', 'secret mount should not define sharing'],
    ['type=bind,sharing=locked', 'invalid cache sharing set for bind mount'],
    ['type=cache,sharing=shred', 'unsupported sharing value "shred" (did you mean shared?)'],
    ['type=cache,foo=bar', "unexpected key 'foo' in 'foo=bar' (did you mean from?)"],
    ['type=cache,xyzzy=1', "unexpected key 'xyzzy' in 'xyzzy=1'"],
    ['target=/a,nokey', "invalid field 'nokey' must be a key=value pair"],
    ['type=tmpfs,size=big', 'invalid value for size: big'],
    ['type=cache,mode=9', 'invalid value 9 for mode'],
    ['type=cache,uid=-1', 'invalid value -1 for uid'],
    ['type=bind,ro=maybe', 'invalid value for ro: maybe'],
    ['type=bind,target=${X:?missing}', 'failed to process "${X:?missing}": X: missing'],
  ];
  for (const [spec, msg] of cases) {
    const e = expandError(`RUN --mount=${spec} x`);
    assert.equal(e.message, msg, spec);
    assert.equal(e.line, 2);
  }
});

test('tmpfs sizes', () => {
  const size = (s: string) => expanded('run', `RUN --mount=type=tmpfs,target=/t,size=${s} x`).mounts?.[0].sizeLimit;
  assert.equal(size('1024'), 1024);
  assert.equal(size('1k'), 1024);
  assert.equal(size('1.5KiB'), 1536);
  assert.equal(size('2GB'), 2 * 1024 ** 3);
  assert.equal(size('10b'), 10);
});

test('nothing is expanded in CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER', () => {
  const env = { X: 'no' };
  for (const line of ['CMD echo $X', 'ENTRYPOINT ["$X"]', 'SHELL ["$X"]', 'HEALTHCHECK CMD $X', 'ONBUILD RUN $X', 'MAINTAINER $X']) {
    const { stages, lex } = parsed('FROM a\n' + line);
    const before = stages[0].commands[0];
    const r = expandInstruction(before, lex, env);
    assert.deepEqual(r.instruction, before, line);
    assert.equal(r.matched.size + r.unmatched.size, 0);
  }
});

test('expansion errors carry the instruction location', () => {
  const e = expandError('WORKDIR ${DIR:?is required}');
  assert.equal(e.message, 'failed to process "${DIR:?is required}": DIR: is required');
  assert.deepEqual(e.location, { start: 2, end: 2 });
});

test('FROM: image and platform against global ARGs', () => {
  const { stages, metaArgs, lex } = parsed(
    'ARG REG=docker.io\nARG IMG=${REG}/library/alpine\nARG TAG\nFROM --platform=$BUILDPLATFORM ${IMG}:${TAG:-latest} AS b\nFROM $EMPTY\nFROM --platform=$NOPE x',
  );
  const globals = resolveMetaArgs(metaArgs, lex, new Map([['BUILDPLATFORM', 'linux/arm64']]), new Map([['TAG', '3.20']]));
  assert.deepEqual([...globals], [
    ['BUILDPLATFORM', 'linux/arm64'],
    ['REG', 'docker.io'],
    ['IMG', 'docker.io/library/alpine'],
    ['TAG', '3.20'],
  ]);
  const b = expandStage(stages[0], lex, globals);
  assert.deepEqual([b.baseName, b.platform], ['docker.io/library/alpine:3.20', 'linux/arm64']);
  assert.deepEqual([...b.matched].sort(), ['BUILDPLATFORM', 'IMG', 'TAG']);
  assert.throws(() => expandStage(stages[1], lex, globals), (e: unknown) => e instanceof DockerfileError && e.message === 'base name ($EMPTY) should not be blank' && e.line === 5);
  assert.throws(() => expandStage(stages[2], lex, globals), /^DockerfileError: empty platform value from expression \$NOPE$/);
  // Without a build argument TAG stays unset, and defaults see earlier ARGs only.
  const defaults = resolveMetaArgs(metaArgs, lex, new Map([['BUILDPLATFORM', 'linux/arm64']]));
  assert.equal(defaults.has('TAG'), false);
  assert.equal(expandStage(stages[0], lex, defaults).baseName, 'docker.io/library/alpine:latest');
});

test('COPY --from takes no variables', () => {
  const { stages, lex } = parsed('FROM a\nCOPY --from=$X a b\nCOPY --from=build a b');
  assert.throws(
    () => checkCopyFrom(stages[0].commands[0] as Extract<Instruction, { kind: 'copy' }>, lex),
    /variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround/,
  );
  checkCopyFrom(stages[0].commands[1] as Extract<Instruction, { kind: 'copy' }>, lex);
});

test('runCommandLine: how heredocs become the command', () => {
  const run = (text: string) => {
    const c = parsed('FROM a\n' + text).stages[0].commands[0];
    assert.equal(c.kind, 'run');
    return runCommandLine(c as Extract<Instruction, { kind: 'run' }>);
  };
  assert.deepEqual(run('RUN echo hi'), { args: ['echo hi'], prependShell: true });
  assert.deepEqual(run('RUN ["echo", "hi"]'), { args: ['echo', 'hi'], prependShell: false });
  assert.deepEqual(run('RUN <<EOF\necho a\necho b\nEOF'), { args: ['echo a\necho b\n'], prependShell: true });
  assert.deepEqual(run('RUN <<-EOF\n\techo a\n\tEOF'), { args: ['echo a\n'], prependShell: true });
  assert.deepEqual(run('RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF'), {
    args: ['/dev/pipes/EOF'],
    prependShell: true,
    script: { dir: '/dev/pipes/', name: 'EOF', data: '#!/usr/bin/env python3\nprint(1)\n' },
  });
  assert.deepEqual(run('RUN python3 <<EOF > out\nprint(1)\nEOF'), {
    args: ['python3 <<EOF > out\nprint(1)\nEOF'],
    prependShell: true,
  });
  assert.deepEqual(run('RUN cat <<A <<B\na\nA\nb\nB'), { args: ['cat <<A <<B\na\nA\nb\nB'], prependShell: true });
});
