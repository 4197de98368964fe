import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { newStore, tempDir } from '../helpers/berth.js';
import { berthBin, fixturesDir } from '../helpers/paths.js';
import { makeRootfsTar } from '../helpers/rootfs.js';

const fx = (name: string, ext: 'stdout' | 'stderr' | 'rc') => readFileSync(join(fixturesDir(), 'cli-28.2.2', `${name}.${ext}`), 'utf8');
const archive = (n: string) => join(fixturesDir(), 'archives', n);
/** Replaces the "N units ago" column, which depends on when the command ran. */
const noAge = (s: string) => s.replace(/(Less than a second|About an? \w+|\d+ \w+) ago/g, 'AGO');

async function loaded() {
  const s = newStore();
  for (const a of ['small-multitag.tar', 'two-images.tar']) {
    const r = await s.berth('load', '-i', archive(a));
    assert.equal(r.code, 0, r.stderr);
  }
  return s;
}

test('tag and its errors', async (t) => {
  const s = await loaded();
  t.after(s.cleanup);
  let r = await s.berth('tag', '127.0.0.1:5000/lab/small:1.0', 'lab/small:1');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  r = await s.berth('tag', 'lab/small:1', 'Bad/UPPER:x');
  assert.deepEqual([r.code, r.stderr], [1, fx('tag-invalid', 'stderr')]);
  r = await s.berth('tag', 'lab/nope:1', 'lab/nope:2');
  assert.deepEqual([r.code, r.stderr], [1, fx('tag-missing', 'stderr')]);
  r = await s.berth('tag', 'lab/small:1');
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    "berth: 'berth tag' requires 2 arguments\n\nUsage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nRun 'berth tag --help' for more information\n",
  );
  r = await s.berth('tag', '--bogus', 'a', 'b');
  assert.deepEqual(
    [r.code, r.stderr],
    [125, "unknown flag: --bogus\n\nUsage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nRun 'berth tag --help' for more information\n"],
  );
});

test('images: default table, repository argument, filters, quiet, digests, no match', async (t) => {
  const s = await loaded();
  t.after(s.cleanup);
  assert.equal((await s.berth('tag', '127.0.0.1:5000/lab/small:1.0', 'lab/small:1.0')).code, 0);
  let r = await s.berth('images');
  assert.equal(r.code, 0, r.stderr);
  const lines = noAge(r.stdout).split('\n');
  // How wide CREATED is depends on how long ago the fixtures were made ("9 hours ago", "10 hours
  // ago"...): checked below against the cell itself.
  assert.match(lines[0]!, /^REPOSITORY {17}TAG {7}IMAGE ID {7}CREATED +SIZE$/);
  assert.deepEqual(lines.slice(1), [
    'lab/other                  1         27b9b1922411   AGO   1.99MB',
    '127.0.0.1:5000/lab/small   1.0       41b461136cf1   AGO   1.99MB',
    '127.0.0.1:5000/lab/small   extra     41b461136cf1   AGO   1.99MB',
    'lab/small                  1.0       41b461136cf1   AGO   1.99MB',
    '',
  ]);
  // the columns line up as in Docker's output: each one as wide as its widest cell plus 3
  const created = r.stdout.split('\n')[1]!.match(/\S+ \S+ ago/)![0];
  assert.equal(r.stdout.split('\n')[0]!.indexOf('SIZE') - r.stdout.split('\n')[0]!.indexOf('CREATED'), Math.max(created.length, 7) + 3);
  r = await s.berth('images', 'does/not-exist');
  assert.equal(r.stdout, fx('images-nomatch', 'stdout'));
  r = await s.berth('images', 'lab/small');
  assert.deepEqual(r.stdout.split('\n').slice(1, -1).map((l) => l.split(/\s{2,}/).slice(0, 3).join(' ')), ['lab/small 1.0 41b461136cf1']);
  r = await s.berth('images', '-q');
  assert.equal(r.stdout, '27b9b1922411\n41b461136cf1\n41b461136cf1\n41b461136cf1\n');
  r = await s.berth('images', '--filter', 'reference=lab/*', '--format', '{{.Repository}}:{{.Tag}}');
  assert.equal(r.stdout, 'lab/other:1\nlab/small:1.0\n');
  r = await s.berth('images', '--filter', 'label=com.example.fixture=small', '--format', '{{.ID}} {{.Tag}}');
  assert.equal(r.stdout, '41b461136cf1 1.0\n41b461136cf1 extra\n41b461136cf1 1.0\n');
  r = await s.berth('images', '--filter', 'before=lab/other:1', '-q');
  assert.equal(r.stdout, '41b461136cf1\n41b461136cf1\n41b461136cf1\n');
  r = await s.berth('images', '--filter', 'since=127.0.0.1:5000/lab/small:1.0', '-q');
  assert.equal(r.stdout, '27b9b1922411\n');
  r = await s.berth('images', '--filter', 'until=2026-11-25T20:47:50Z', '-q');
  assert.equal(r.stdout, '41b461136cf1\n41b461136cf1\n41b461136cf1\n');
  r = await s.berth('images', '--digests', '--format', '{{.Digest}}');
  assert.equal(r.stdout, '<none>\n<none>\n<none>\n<none>\n');
  r = await s.berth('images', '--no-trunc', '--format', '{{.ID}}', 'lab/other');
  assert.equal(r.stdout, 'sha256:27b9b19224119532042b3e705019069449ad71e45b43d3876df8e0a0cedb9a16\n');
  r = await s.berth('images', '--filter', 'bogus=1');
  assert.deepEqual([r.code, r.stderr], [1, "Error response from daemon: Invalid filter 'bogus'\n"]);
  r = await s.berth('images', '--filter', 'nonsense');
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^invalid argument "nonsense" for "-f, --filter" flag: bad format of filter \(expected name=value\)/);
  r = await s.berth('images', '--format', '{{.Nope}}');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type \*formatter.imageContext\n$/);
});

test('images --format json and table formats render as Docker does', async (t) => {
  const s = await loaded();
  t.after(s.cleanup);
  let r = await s.berth('images', '--format', '{{json .}}', 'lab/other');
  const row = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(row), ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']);
  assert.equal(row.CreatedAt, '2026-11-25 20:47:51 +0000 UTC');
  assert.equal(row.VirtualSize, '1.986MB');
  assert.ok(r.stdout.includes('"Digest":"\\u003cnone\\u003e"'));
  r = await s.berth('images', '--format', 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}');
  assert.equal(r.stdout.split('\n')[0], 'REPOSITORY                 TAG       IMAGE ID       SIZE');
});

test('dangling images: the filter, and prune with its prompt and report', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const rootfs = makeRootfsTar(d.dir);
  const a = (await s.berth('import', rootfs)).stdout.trim();
  const b = (await s.berth('import', rootfs, 'keep/me:1')).stdout.trim();
  let r = await s.berth('images', '--filter', 'dangling=true', '--format', '{{.ID}} {{.Repository}} {{.Tag}}');
  assert.equal(r.stdout, `${a.slice(7, 19)} <none> <none>\n`);
  r = await s.berth('images', '--filter', 'dangling=false', '-q');
  assert.equal(r.stdout, `${b.slice(7, 19)}\n`);
  r = await s.run(['image', 'prune'], { input: 'n\n' });
  assert.deepEqual([r.code, r.stdout], [0, fx('prune-prompt-no', 'stdout')]);
  r = await s.run(['image', 'prune'], { input: 'y\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] Deleted Images:\ndeleted: ${a}\n\nTotal reclaimed space: 0B\n`);
  r = await s.berth('image', 'prune', '-f');
  assert.equal(r.stdout, fx('prune-nothing', 'stdout'));
  r = await s.berth('image', 'prune', '-a', '-f', '--filter', 'label!=keep');
  assert.match(r.stdout, new RegExp(`^Deleted Images:\\nuntagged: keep/me:1\\ndeleted: ${b}\\ndeleted: sha256:[0-9a-f]{64}\\n\\nTotal reclaimed space: \\d+(\\.\\d+)?MB\\n$`));
});

test('rmi: untag only, delete the last tag, conflicts, missing images, -f on missing, mixed', async (t) => {
  const s = await loaded();
  t.after(s.cleanup);
  assert.equal((await s.berth('tag', 'lab/other:1', 'lab/other:2')).code, 0);
  let r = await s.berth('rmi', 'lab/other:2');
  assert.deepEqual([r.code, r.stdout], [0, 'Untagged: lab/other:2\n']);
  r = await s.berth('rmi', '41b461136cf1');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error response from daemon: conflict: unable to delete 41b461136cf1 (must be forced) - image is referenced in multiple repositories\n');
  assert.equal((await s.berth('tag', '127.0.0.1:5000/lab/small:1.0', 'lab/small:1.0')).code, 0);
  r = await s.berth('rmi', '41b461136cf1');
  assert.equal(r.stderr, fx('rmi-by-id-multi-repo', 'stderr').replace('b39d2aee5456', '41b461136cf1'));
  r = await s.berth('rmi', 'lab/nope:1');
  assert.deepEqual([r.code, r.stderr], [1, fx('rmi-missing', 'stderr')]);
  r = await s.berth('rmi', '-f', 'lab/nope:1');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', fx('rmi-force-missing', 'stderr')]);
  r = await s.berth('rmi', 'lab/other:1', 'lab/nope:2');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^Untagged: lab\/other:1\nDeleted: sha256:27b9b19224119532042b3e705019069449ad71e45b43d3876df8e0a0cedb9a16\nDeleted: sha256:[0-9a-f]{64}\n$/);
  assert.equal(r.stderr, 'Error response from daemon: No such image: lab/nope:2\n');
  r = await s.berth('rmi', '-f', '41b461136cf1');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.split('\n').filter((l) => l.startsWith('Untagged')).join('\n'),
    'Untagged: 127.0.0.1:5000/lab/small:1.0\nUntagged: 127.0.0.1:5000/lab/small:extra\nUntagged: lab/small:1.0',
  );
  assert.match(r.stdout, /Deleted: sha256:41b461136cf1c5a12421c69cab6a75f58619f9ab0bef039b95a3183f7465f10a\n(Deleted: sha256:[0-9a-f]{64}\n){3}$/);
  r = await s.berth('images', '-a', '-q');
  assert.equal(r.stdout, '');
  r = await s.berth('system', 'check');
  assert.equal(r.code, 0, r.stdout);
});

test('inspect and history of images, and their errors', async (t) => {
  const s = await loaded();
  t.after(s.cleanup);
  let r = await s.berth('image', 'inspect', '-f', '{{.Id}} {{.RepoTags}} {{len .RootFS.Layers}}', '127.0.0.1:5000/lab/small:1.0');
  assert.equal(r.stdout, 'sha256:41b461136cf1c5a12421c69cab6a75f58619f9ab0bef039b95a3183f7465f10a [127.0.0.1:5000/lab/small:1.0 127.0.0.1:5000/lab/small:extra] 3\n');
  r = await s.berth('image', 'inspect', 'lab/other:1');
  const obj = JSON.parse(r.stdout)[0];
  assert.deepEqual(Object.keys(obj), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Container', 'ContainerConfig', 'DockerVersion', 'Author', 'Config', 'Architecture', 'Os', 'Size', 'VirtualSize', 'GraphDriver', 'RootFS', 'Metadata']);
  assert.equal(obj.Size, 1985518);
  assert.ok(r.stdout.startsWith('[\n    {\n        "Id": "sha256:27b9b192'));
  r = await s.berth('image', 'inspect', 'lab/nope:1');
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, fx('inspect-missing', 'stdout'), fx('inspect-missing', 'stderr')]);
  r = await s.berth('history', 'lab/nope:1');
  assert.deepEqual([r.code, r.stderr], [1, fx('history-missing', 'stderr')]);
  r = await s.berth('history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', '127.0.0.1:5000/lab/small:1.0');
  assert.equal(
    r.stdout,
    [
      '41b461136cf1|/bin/sh -c #(nop)  CMD ["cat" "/app/greeting…|0B|',
      '<missing>|/bin/sh -c #(nop) WORKDIR /app|0B|',
      '<missing>|/bin/sh -c #(nop) COPY file:64de4d575b754b31…|36B|',
      '<missing>|/bin/sh -c mkdir -p /app && echo "$GREETING"…|14B|',
      '<missing>|/bin/sh -c #(nop)  ENV APP_HOME=/app GREETIN…|0B|',
      '<missing>|/bin/sh -c #(nop)  LABEL org.opencontainers.…|0B|',
      '<missing>||1.99MB|Imported from -',
      '',
    ].join('\n'),
  );
  r = await s.berth('history', '-q', 'lab/other:1');
  assert.equal(r.stdout, '27b9b1922411\n<missing>\n<missing>\n');
});

test('import with changes and message: config and history as Docker writes them', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  const d = tempDir();
  t.after(d.cleanup);
  const rootfs = makeRootfsTar(d.dir);
  const r = await s.run(
    ['import', '-c', 'CMD ["/bin/sh"]', '-c', 'ENV FOO=bar', '-c', 'EXPOSE 80 53/udp', '-c', 'LABEL a=b', '-c', 'WORKDIR /app', '-c', 'USER nobody', '-c', 'VOLUME /data', '-c', 'STOPSIGNAL SIGTERM', '-c', 'ENTRYPOINT ["/bin/env"]', '-m', 'imported from stdin', '-', 'lab/imported:stdin'],
    { input: readFileSync(rootfs) },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const insp = JSON.parse((await s.berth('image', 'inspect', 'lab/imported:stdin')).stdout)[0];
  assert.equal(insp.Comment, 'imported from stdin');
  assert.deepEqual(insp.Config.Env, ['FOO=bar']);
  assert.deepEqual(insp.Config.Cmd, ['/bin/sh']);
  assert.deepEqual(insp.Config.Entrypoint, ['/bin/env']);
  assert.deepEqual(insp.Config.ExposedPorts, { '53/udp': {}, '80/tcp': {} });
  assert.deepEqual(insp.Config.Labels, { a: 'b' });
  assert.equal(insp.Config.WorkingDir, '/app');
  assert.equal(insp.Config.User, 'nobody');
  assert.deepEqual(insp.Config.Volumes, { '/data': {} });
  assert.equal(insp.Config.StopSignal, 'SIGTERM');
  const h = await s.berth('history', 'lab/imported:stdin');
  const [head, row] = h.stdout.split('\n');
  assert.deepEqual(head!.split(/ {3,}/), ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']);
  assert.equal(row!.slice(head!.indexOf('COMMENT')), 'imported from stdin');
  assert.match(row!.slice(head!.indexOf('SIZE')), /^[\d.]+MB {4}/);
  const bad = await s.berth('import', '-c', 'RUN echo', rootfs);
  assert.deepEqual([bad.code, bad.stderr], [1, 'Error response from daemon: RUN is not a valid change command\n']);
});

test('events: the past with --since/--until, filters and --format, then new ones until a signal', async (t) => {
  const s = newStore();
  t.after(s.cleanup);
  assert.equal((await s.berth('load', '-i', join(fixturesDir(), 'archives', 'two-images.tar'))).code, 0);
  const t0 = (Date.now() / 1000).toFixed(3);
  assert.equal((await s.berth('tag', 'lab/other:1', 'evt/a:1')).code, 0);
  assert.equal((await s.berth('rmi', 'evt/a:1')).code, 0);
  const id = (await s.berth('inspect', '-f', '{{.Id}}', 'lab/other:1')).stdout.trim();
  let r = await s.berth('events', '--since', t0, '--until', '0s');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}(Z|[+-]\\d\\d:\\d\\d) image tag ${id} \\(name=evt/a:1\\)$`));
  assert.match(lines[1]!, / image untag sha256:[0-9a-f]{64} \(name=evt\/a:1\)$/);
  r = await s.berth('events', '--since', t0, '--until', '0s', '--filter', 'event=untag', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Scope}}');
  assert.equal(r.stdout, 'image untag evt/a:1 local\n');
  r = await s.berth('events', '--since', t0, '--until', '0s', '--filter', 'event=tag', '--format', 'json');
  const m = JSON.parse(r.stdout) as { status: string; Type: string; Action: string; Actor: { ID: string }; timeNano: number };
  assert.deepEqual([m.status, m.Type, m.Action, m.Actor.ID], ['tag', 'image', 'tag', id]);
  r = await s.berth('events', '--filter', 'bogus=1', '--until', '0s');
  assert.deepEqual([r.code, r.stderr], [1, "Error response from daemon: Invalid filter 'bogus'\n"]);
  // Streaming: what other processes record comes as it happens; a signal ends it.
  const child = spawn(process.execPath, [berthBin, '--root', s.root, 'events', '--filter', 'type=image'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((res) => setTimeout(res, 1000));
  assert.equal((await s.berth('tag', 'lab/other:1', 'evt/live:1')).code, 0);
  for (let i = 0; i < 100 && !out.includes('evt/live:1'); i++) await new Promise((res) => setTimeout(res, 50));
  assert.match(out, / image tag sha256:[0-9a-f]{64} \(name=evt\/live:1\)\n$/);
  child.kill('SIGINT');
  assert.equal(await new Promise((res) => child.once('exit', res)), 0);
});
