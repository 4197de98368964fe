import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DockerfileError,
  parse,
  parseInstruction,
  parseOnbuildTrigger,
  parseStages,
  type FromInstruction,
  type Instruction,
  type ParsedStages,
} from '../../src/build/dockerfile/index.js';

function stages(text: string): ParsedStages {
  return parseStages(parse(text).ast);
}

/** The instructions of the only stage of `FROM base\n` + text. */
function cmds(text: string): Instruction[] {
  return stages('FROM base\n' + text).stages[0].commands;
}

function one<K extends Instruction['kind']>(text: string, kind: K): Extract<Instruction, { kind: K }> {
  const [c] = cmds(text);
  assert.equal(c.kind, kind);
  return c as Extract<Instruction, { kind: K }>;
}

/** The message of the error parsing `FROM base\n` + text (so the instruction is on line 2). */
function error(text: string): string {
  try {
    stages('FROM base\n' + text);
  } catch (err) {
    assert.ok(err instanceof DockerfileError, String(err));
    return err.message;
  }
  assert.fail(`no error for ${text}`);
}

test('unknown instructions are rejected with the line number (and a suggestion when close)', () => {
  assert.equal(error('\nXYZZY x'), 'dockerfile parse error on line 3: unknown instruction: XYZZY');
  assert.equal(error('RUNN x'), 'dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)');
  assert.equal(error('copi a b'), 'dockerfile parse error on line 2: unknown instruction: copi (did you mean copy?)');
  try {
    stages('FROM a\n\nFOO bar');
    assert.fail();
  } catch (err) {
    assert.ok(err instanceof DockerfileError);
    assert.deepEqual(err.location, { start: 3, end: 3 });
  }
});

test('argument count errors', () => {
  for (const c of ['MAINTAINER', 'WORKDIR', 'USER', 'STOPSIGNAL']) {
    assert.equal(error(c), `dockerfile parse error on line 2: ${c} requires exactly one argument`);
  }
  for (const c of ['ENV', 'LABEL', 'ONBUILD', 'HEALTHCHECK', 'EXPOSE', 'VOLUME', 'ARG']) {
    assert.equal(error(c), `dockerfile parse error on line 2: ${c} requires at least one argument`);
  }
  for (const c of ['ADD', 'COPY']) {
    assert.equal(
      error(`${c} onlyone`),
      `dockerfile parse error on line 2: ${c} requires at least two arguments, but only one was provided. Destination could not be determined`,
    );
  }
  assert.match(error('COPY\t\n\t\tquux \\\n      bar'), /COPY requires at least two arguments/);
});

test('ENV / LABEL pairs', () => {
  const env = one('ENV A=1 B="x y" C\\ D=e\nENV OLD value with  spaces', 'env');
  assert.deepEqual(env.env, [
    { key: 'A', value: '1', noDelim: false },
    { key: 'B', value: '"x y"', noDelim: false },
    { key: 'C\\ D', value: 'e', noDelim: false },
  ]);
  assert.deepEqual(cmds('ENV OLD value with  spaces')[0], {
    kind: 'env',
    name: 'ENV',
    code: 'ENV OLD value with  spaces',
    location: { start: 2, end: 2 },
    comments: [],
    env: [{ key: 'OLD', value: 'value with  spaces', noDelim: true }],
  });
  assert.deepEqual(one('LABEL a=b "c d"=e', 'label').labels, [
    { key: 'a', value: 'b', noDelim: false },
    { key: '"c d"', value: 'e', noDelim: false },
  ]);
  assert.equal(error('ENV =x'), 'dockerfile parse error on line 2: ENV names can not be blank');
  assert.equal(error('LABEL --x=1 a=b'), 'dockerfile parse error on line 2: unknown flag: --x');
});

test('FROM: image, AS name, --platform; stage name rules', () => {
  const { stages: st, metaArgs } = stages(
    'ARG A=1\nARG B\nFROM --platform=$BUILDPLATFORM golang:1 AS Builder\nRUN x\nfrom scratch as final\nCOPY --from=builder /a /b',
  );
  assert.equal(metaArgs.length, 2);
  assert.deepEqual(
    st.map((s) => [s.name, s.baseName, s.platform, s.origCmd, s.commands.length, s.location.start]),
    [
      ['builder', 'golang:1', '$BUILDPLATFORM', 'FROM', 1, 3],
      ['final', 'scratch', '', 'from', 1, 5],
    ],
  );
  assert.equal(st[0].sourceCode, 'FROM --platform=$BUILDPLATFORM golang:1 AS Builder');
  assert.equal(
    error('FROM a AS 9x'),
    'dockerfile parse error on line 2: invalid name for build stage: "9x", name can\'t start with a number or contain symbols',
  );
  assert.equal(error('FROM a AS b!'), 'dockerfile parse error on line 2: invalid name for build stage: "b!", name can\'t start with a number or contain symbols');
  assert.equal(one('RUN x', 'run').kind, 'run');
  assert.equal(stages('FROM a AS a-b_c.d').stages[0].name, 'a-b_c.d');
  assert.equal(error('FROM a b'), 'dockerfile parse error on line 2: FROM requires either one or three arguments');
  assert.equal(error('FROM a TO b'), 'dockerfile parse error on line 2: FROM requires either one or three arguments');
  assert.equal(error('FROM --platfom=x a'), 'dockerfile parse error on line 2: unknown flag: --platfom (did you mean platform?)');
  assert.equal(error('FROM --plat=x a'), 'dockerfile parse error on line 2: unknown flag: --plat');
});

test('instructions before the first FROM: only ARG', () => {
  try {
    stages('ARG x\nRUN y\nFROM z');
    assert.fail();
  } catch (err) {
    assert.ok(err instanceof DockerfileError);
    assert.equal(err.message, 'no build stage in current context');
    assert.equal(err.line, 2);
  }
  assert.deepEqual(stages('ARG a').stages, []);
});

test('ARG: names, defaults, doc comments', () => {
  const { stages: st, metaArgs } = stages('# V the version\nARG V=1.0 W "X"=y Z=\nFROM a\n# B builds things\nARG B\nARG C=${V}');
  assert.deepEqual(metaArgs[0].args, [
    { key: 'V', value: '1.0', docComment: 'the version' },
    { key: 'W', value: undefined, docComment: '' },
    { key: '"X"', value: 'y', docComment: '' },
    { key: 'Z', value: '', docComment: '' },
  ]);
  assert.deepEqual(st[0].commands[0], {
    kind: 'arg',
    name: 'ARG',
    code: 'ARG B',
    location: { start: 5, end: 5 },
    comments: ['B builds things'],
    args: [{ key: 'B', value: undefined, docComment: 'builds things' }],
  });
  assert.equal(error('ARG =x'), 'dockerfile parse error on line 2: ARG names can not be blank');
  // BuildKit checks no flags on ARG.
  assert.deepEqual(one('ARG --whatever a', 'arg').args.map((a) => a.key), ['a']);
});

test('stage doc comments', () => {
  const st = stages('# base defines first stage\nFROM busybox AS base\n# unrelated\nFROM x AS other').stages;
  assert.equal(st[0].docComment, 'defines first stage');
  assert.equal(st[1].docComment, '');
});

test('RUN: shell and exec form, heredocs, flags used', () => {
  const shell = one('RUN echo  "a b" \\\n  && true', 'run');
  assert.deepEqual(shell.cmdLine, ['echo  "a b"   && true']);
  assert.equal(shell.prependShell, true);
  assert.deepEqual(shell.location, { start: 2, end: 3 });
  const exec = one('RUN ["echo", "a  b"]', 'run');
  assert.deepEqual([exec.cmdLine, exec.prependShell], [['echo', 'a  b'], false]);
  const hd = one('RUN <<-EOF bash\n\techo $HOME\n\tEOF', 'run');
  assert.deepEqual(hd.cmdLine, ['<<-EOF bash']);
  assert.deepEqual(hd.files, [{ name: 'EOF', data: '\techo $HOME\n', chomp: true }]);
  const flags = one('RUN --mount=type=tmpfs,target=/t --network=host --security=insecure x', 'run');
  assert.deepEqual(flags.flagsUsed.sort(), ['mount', 'network', 'security']);
  assert.equal(flags.network, 'host');
  assert.equal(flags.security, 'insecure');
  const plain = one('RUN x', 'run');
  assert.deepEqual([plain.network, plain.security, plain.mounts, plain.devices, plain.flagsUsed], ['default', 'sandbox', [], [], []]);
  assert.equal(error('RUN --network=bridge x'), 'dockerfile parse error on line 2: invalid network mode "bridge"');
  assert.equal(error('RUN --security=root x'), 'dockerfile parse error on line 2: security "root" is not valid');
  assert.equal(error('RUN --mont=type=bind x'), 'dockerfile parse error on line 2: unknown flag: --mont (did you mean mount?)');
  assert.equal(error('RUN --network x'), 'dockerfile parse error on line 2: missing a value on flag: --network');
  assert.equal(error('RUN --network=none --network=host x'), 'dockerfile parse error on line 2: duplicate flag specified: --network');
});

test('RUN --mount: every type and option', () => {
  const run = one(
    'RUN --mount=type=cache,id=go,target=/root/.cache,sharing=private,mode=0700,uid=1000,gid=1000,from=base,source=/c ' +
      '--mount=type=bind,src=.,dst=/src,rw ' +
      '--mount=type=bind,source=/x,target=/y,readonly=false ' +
      '--mount=type=tmpfs,target=/tmp,size=64m ' +
      '--mount=type=secret,id=npm,target=/run/secrets/npm,required,env=NPM_TOKEN,mode=0400 ' +
      '--mount=type=ssh,id=default,required=false ' +
      '--mount=target=/plain ' +
      'make',
    'run',
  );
  const base = { from: '', source: '', target: '', readOnly: false, sizeLimit: 0, cacheId: '', cacheSharing: '', required: false };
  assert.deepEqual(run.mounts, [
    {
      ...base,
      type: 'cache',
      cacheId: 'go',
      target: '/root/.cache',
      cacheSharing: 'private',
      mode: 0o700,
      uid: 1000,
      gid: 1000,
      from: 'base',
      source: '/c',
    },
    { ...base, type: 'bind', source: '.', target: '/src' },
    { ...base, type: 'bind', source: '/x', target: '/y' },
    { ...base, type: 'tmpfs', target: '/tmp', sizeLimit: 64 * 1024 * 1024 },
    { ...base, type: 'secret', cacheId: 'npm', target: '/run/secrets/npm', readOnly: true, required: true, env: 'NPM_TOKEN', mode: 0o400 },
    { ...base, type: 'ssh', cacheId: 'default', readOnly: true },
    { ...base, type: 'bind', target: '/plain', readOnly: true },
  ]);
  assert.equal(run.mountSpecs.length, 7);
});

test('RUN --mount: quoting (CSV) and variables (evaluated at build time)', () => {
  const q = one('RUN --mount="type=bind,\\"target=/a,b\\"" x', 'run');
  assert.deepEqual(q.mountSpecs, ['type=bind,"target=/a,b"']);
  assert.equal(q.mounts?.[0].target, '/a,b');
  const v = one('RUN --mount=type=cache,target=$HOME/.cache x', 'run');
  assert.equal(v.mounts, null);
  assert.equal(error('RUN --mount=type=bind,from=$STAGE x'), "dockerfile parse error on line 2: 'from' doesn't support variable expansion, define alias stage instead");
  // A trailing '$' is no variable, so no error (the mount is evaluated at build time).
  assert.deepEqual(one('RUN --mount=type=bind,from=a$ x', 'run').mountSpecs, ['type=bind,from=a$']);
  assert.equal(
    error('RUN --mount=type=bind,tar\\"get=/x x'),
    'dockerfile parse error on line 2: failed to parse csv mounts: parse error on line 1, column 14: bare " in non-quoted-field',
  );
});

test('RUN --mount: invalid options are errors once evaluated (they are not at parse time)', () => {
  // Like BuildKit, option errors surface when the mount is evaluated (expandInstruction);
  // at parse time the instruction is accepted and mounts is null.
  for (const spec of ['type=nfs', 'type=bind,size=1m', 'type=bind,mode=0600', 'type=secret', 'type=cache,foo=bar', 'nokey']) {
    assert.equal(one(`RUN --mount=${spec} x`, 'run').mounts, null, spec);
  }
});

test('RUN --device', () => {
  const run = one('RUN --device=vendor.com/gpu=all --device=name=nvidia.com/gpu=0,required x', 'run');
  assert.deepEqual(run.devices, [
    { name: 'vendor.com/gpu=all', required: false },
    { name: 'nvidia.com/gpu=0', required: true },
  ]);
  assert.equal(error('RUN --device=a,name=b x'), 'dockerfile parse error on line 2: device name already set to a');
  assert.equal(error('RUN --device=a,required=maybe x'), 'dockerfile parse error on line 2: invalid value for required: maybe');
});

test('CMD, ENTRYPOINT, SHELL', () => {
  assert.deepEqual(one('CMD ["a", "b"]', 'cmd').cmdLine, ['a', 'b']);
  assert.deepEqual(one('CMD a  b', 'cmd').cmdLine, ['a  b']);
  assert.deepEqual(one('CMD []', 'cmd').cmdLine, []);
  assert.equal(one('ENTRYPOINT []', 'entrypoint').cmdLine, null);
  assert.deepEqual(one('ENTRYPOINT exec x', 'entrypoint').cmdLine, ['exec x']);
  assert.deepEqual(one('SHELL ["pwsh", "-c"]', 'shell').shell, ['pwsh', '-c']);
  assert.equal(error('SHELL pwsh -c'), 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form');
  assert.equal(error('SHELL []'), 'dockerfile parse error on line 2: SHELL requires at least one argument');
  assert.equal(error('CMD --x a'), 'dockerfile parse error on line 2: unknown flag: --x');
});

test('HEALTHCHECK', () => {
  const h = one('HEALTHCHECK --interval=1m30s --timeout=10s --start-period=1.5s --start-interval=500ms --retries=5 CMD curl -f http://x/ || exit 1', 'healthcheck');
  assert.deepEqual(h.health, {
    test: ['CMD-SHELL', 'curl -f http://x/ || exit 1'],
    interval: 90e9,
    timeout: 10e9,
    startPeriod: 1.5e9,
    startInterval: 500e6,
    retries: 5,
  });
  assert.deepEqual(one('HEALTHCHECK cmd ["a", "b"]', 'healthcheck').health.test, ['CMD', 'a', 'b']);
  assert.deepEqual(one('HEALTHCHECK NONE', 'healthcheck').health, {
    test: ['NONE'],
    interval: 0,
    timeout: 0,
    startPeriod: 0,
    startInterval: 0,
    retries: 0,
  });
  assert.equal(one('HEALTHCHECK --interval=0s --retries=0 CMD x', 'healthcheck').health.interval, 0);
  assert.equal(error('HEALTHCHECK NONE x'), 'dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments');
  assert.equal(error('HEALTHCHECK CMD'), 'dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD');
  assert.equal(error('HEALTHCHECK TCP 80'), 'dockerfile parse error on line 2: Unknown type "TCP" in HEALTHCHECK (try CMD)');
  assert.equal(error('HEALTHCHECK --interval=10us CMD x'), 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms');
  assert.equal(error('HEALTHCHECK --timeout=-1s CMD x'), 'dockerfile parse error on line 2: Interval "timeout" cannot be less than 1ms');
  assert.equal(error('HEALTHCHECK --timeout=5 CMD x'), 'dockerfile parse error on line 2: time: missing unit in duration "5"');
  assert.equal(error('HEALTHCHECK --timeout=5x CMD x'), 'dockerfile parse error on line 2: time: unknown unit "x" in duration "5x"');
  assert.equal(error('HEALTHCHECK --retries=-1 CMD x'), 'dockerfile parse error on line 2: --retries cannot be negative (-1)');
  assert.equal(error('HEALTHCHECK --retries=x CMD x'), 'dockerfile parse error on line 2: strconv.ParseInt: parsing "x": invalid syntax');
  assert.equal(
    error('HEALTHCHECK --retries=3000000000 CMD x'),
    'dockerfile parse error on line 2: strconv.ParseInt: parsing "3000000000": value out of range',
  );
  assert.equal(error('HEALTHCHECK --intervall=1s CMD x'), 'dockerfile parse error on line 2: unknown flag: --intervall (did you mean interval?)');
});

test('COPY flags and heredoc sources', () => {
  const c = one('COPY --from=build --chown=1000:1000 --chmod=644 --link --parents --exclude=*.md --exclude=.git a b /dst/', 'copy');
  assert.deepEqual(
    [c.from, c.chown, c.chmod, c.link, c.parents, c.excludePatterns, c.sourcePaths, c.destPath],
    ['build', '1000:1000', '644', true, true, ['*.md', '.git'], ['a', 'b'], '/dst/'],
  );
  const d = one('COPY a b', 'copy');
  assert.deepEqual([d.from, d.chown, d.chmod, d.link, d.parents, d.excludePatterns], ['', '', '', false, false, []]);
  const h = one('COPY <<one.txt <<-"two" plain /dst/\nhello $x\none.txt\n\tworld\n\ttwo', 'copy');
  assert.deepEqual(h.sourcePaths, ['plain']);
  assert.deepEqual(h.sourceContents, [
    { path: 'one.txt', data: 'hello $x\n', expand: true },
    { path: 'two', data: 'world\n', expand: false },
  ]);
  assert.equal(error('COPY a <<EOF\nx\nEOF'), 'dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination');
  assert.equal(error('COPY --link=maybe a b'), 'dockerfile parse error on line 2: expecting boolean value for flag --link, not: maybe');
  assert.equal(error('COPY --link= a b'), 'dockerfile parse error on line 2: missing a value on flag: --link');
  assert.equal(error('COPY --from a b'), 'dockerfile parse error on line 2: missing a value on flag: --from');
  assert.equal(one('COPY --link=FALSE a b', 'copy').link, false);
  assert.equal(error('COPY --checksum=x a b'), 'dockerfile parse error on line 2: unknown flag: --checksum');
});

test('ADD flags', () => {
  const a = one('ADD --checksum=sha256:0123 --chown=u --chmod=0755 --link --keep-git-dir=false --unpack=true --exclude=x https://e.x/a.tgz /opt/', 'add');
  assert.deepEqual(
    [a.checksum, a.chown, a.chmod, a.link, a.keepGitDir, a.unpack, a.excludePatterns, a.sourcePaths, a.destPath],
    ['sha256:0123', 'u', '0755', true, false, true, ['x'], ['https://e.x/a.tgz'], '/opt/'],
  );
  const b = one('ADD a b', 'add');
  assert.ok(!('keepGitDir' in b) && !('unpack' in b));
  assert.equal(error('ADD --from=x a b'), 'dockerfile parse error on line 2: unknown flag: --from');
  assert.deepEqual(one('ADD ["a b", "c d"]', 'add').sourcePaths, ['a b']);
});

test('EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL, MAINTAINER', () => {
  assert.deepEqual(one('EXPOSE 8080 80/udp 443', 'expose').ports, ['443', '80/udp', '8080']);
  assert.equal(one('USER app:app', 'user').user, 'app:app');
  assert.equal(one('WORKDIR /a b', 'workdir').path, '/a b');
  assert.deepEqual(one('VOLUME /a /b', 'volume').volumes, ['/a', '/b']);
  assert.deepEqual(one('VOLUME [" /a "]', 'volume').volumes, ['/a']);
  assert.equal(error('VOLUME ["/a", " "]'), 'dockerfile parse error on line 2: VOLUME specified can not be an empty string');
  assert.equal(one('STOPSIGNAL SIGINT', 'stopsignal').signal, 'SIGINT');
  // STOPSIGNAL does not look at its flags in BuildKit.
  assert.equal(one('STOPSIGNAL --x=1 SIGINT', 'stopsignal').signal, 'SIGINT');
  assert.equal(one('MAINTAINER Jane <j@x>', 'maintainer').maintainer, 'Jane <j@x>');
  assert.equal(error('MAINTAINER --boo joe@example.com'), 'dockerfile parse error on line 2: unknown flag: --boo');
  assert.equal(error('USER --x=1 a'), 'dockerfile parse error on line 2: unknown flag: --x');
});

test('ONBUILD', () => {
  assert.equal(one('ONBUILD RUN make  all', 'onbuild').expression, 'RUN make  all');
  assert.equal(one('  onbuild   COPY . /src', 'onbuild').expression, 'COPY . /src');
  assert.equal(one('ONBUILD RUN <<EOF\nmake\nEOF', 'onbuild').expression, 'RUN <<EOF\nmake\nEOF');
  assert.equal(error('ONBUILD ONBUILD RUN x'), 'dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  assert.equal(error('ONBUILD FROM scratch'), "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger");
  assert.equal(error('ONBUILD maintainer x'), "dockerfile parse error on line 2: MAINTAINER isn't allowed as an ONBUILD trigger");
  assert.equal(error('ONBUILD --x RUN a'), 'dockerfile parse error on line 2: unknown flag: --x');
});

test('ONBUILD triggers of a base image parse as instructions at the FROM line', () => {
  const trigger = one('ONBUILD COPY --chown=1 <<EOF /x\nhello\nEOF', 'onbuild').expression;
  const c = parseOnbuildTrigger(trigger, { start: 7, end: 7 });
  assert.equal(c.kind, 'copy');
  assert.deepEqual(c.location, { start: 7, end: 7 });
  assert.deepEqual(c.kind === 'copy' && c.sourceContents, [{ path: 'EOF', data: 'hello\n', expand: true }]);
  assert.throws(() => parseOnbuildTrigger('RUN a\nRUN b', { start: 1, end: 1 }), /onbuild trigger should be a single expression/);
  assert.throws(() => parseOnbuildTrigger('FROM a', { start: 1, end: 1 }), /is not a command type/);
});

test('parseInstruction returns FROM as an instruction and locates its errors', () => {
  const ast = parse('FROM a AS b\nRUN --bad x').ast;
  const from = parseInstruction(ast.children[0]) as FromInstruction;
  assert.deepEqual([from.kind, from.baseName, from.stageName], ['from', 'a', 'b']);
  assert.throws(
    () => parseInstruction(ast.children[1]),
    (e: unknown) => e instanceof DockerfileError && e.message === 'unknown flag: --bad' && e.line === 2,
  );
});
