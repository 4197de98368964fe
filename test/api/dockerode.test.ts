// dockerode, a programmatic client of the Engine API, against berth serve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import Docker from 'dockerode';
import { archive, startServe } from './helpers.js';
import { busyboxTar } from '../containers/helpers.js';
import { haveBusybox } from '../helpers/rootfs.js';

const containersSkip = (!haveBusybox() && 'busybox-static is not installed') || (process.getuid?.() !== 0 && 'containers need root');

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** The JSON messages of a progress stream, through dockerode's own follower. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, out: Record<string, unknown>[]) => (err ? reject(err) : resolve(out))));
}

/** stdout and stderr of a multiplexed stream, split by dockerode's demuxer. */
async function demux(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o = collect(out);
  const e = collect(err);
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((r) => {
    stream.on('end', () => r());
    stream.on('close', () => r());
  });
  out.end();
  err.end();
  return { stdout: (await o).toString(), stderr: (await e).toString() };
}

test('dockerode: system, images, load, save, import, tag, remove, prune, events', async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  const docker = new Docker({ socketPath: s.sock });
  assert.equal(String(await docker.ping()), 'OK');
  const v = await docker.version();
  assert.equal(v.ApiVersion, '1.50');
  const since = Math.floor(Date.now() / 1000);

  const loaded = await follow(docker, await docker.loadImage(createReadStream(archive('two-images.tar'))));
  assert.deepEqual(loaded, [{ stream: 'Loaded image: 127.0.0.1:5000/lab/small:1.0\n' }, { stream: 'Loaded image: lab/other:1\n' }]);
  const list = await docker.listImages({ filters: { reference: ['lab/*'] } });
  assert.deepEqual(list.map((i) => i.RepoTags), [['lab/other:1']]);
  assert.equal(list[0]!.Id, 'sha256:27b9b19224119532042b3e705019069449ad71e45b43d3876df8e0a0cedb9a16');
  const all = await docker.listImages({ all: true });
  assert.equal(all.length, 2);

  const img = docker.getImage('lab/other:1');
  const insp = await img.inspect();
  assert.deepEqual([insp.Id, insp.RepoTags, insp.Os, insp.RootFS.Layers?.length], [list[0]!.Id, ['lab/other:1'], 'linux', 2]);
  const hist = await img.history();
  assert.deepEqual(
    hist.map((h: { CreatedBy: string }) => h.CreatedBy),
    ['/bin/sh -c #(nop)  CMD ["cat" "/other.txt"]', '/bin/sh -c echo other > /other.txt', ''],
  );
  await img.tag({ repo: 'lab/renamed', tag: '2' });
  assert.deepEqual((await docker.getImage('lab/renamed:2').inspect()).RepoTags, ['lab/other:1', 'lab/renamed:2']);

  // save: the same bytes as the berth CLI's save
  const saved = await collect(await img.get());
  const cli = await s.berthRun(['save', 'lab/other:1']);
  assert.equal(createHash('sha256').update(saved).digest('hex'), createHash('sha256').update(cli.out).digest('hex'));

  // import from a stream, with a tag and changes
  const d = join(s.dir, 'rootfs');
  mkdirSync(d);
  const { makeRootfsTar } = await import('../helpers/rootfs.js');
  const imported = await follow(docker, await docker.importImage(createReadStream(makeRootfsTar(d)), { repo: 'lab/imported', tag: '1', changes: ['ENV FOO=bar'] } as object));
  assert.match(String(imported.at(-1)!.status), /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual((await docker.getImage('lab/imported:1').inspect()).Config.Env, ['FOO=bar']);

  const removed = await docker.getImage('lab/renamed:2').remove();
  assert.deepEqual(removed, [{ Untagged: 'lab/renamed:2' }]);
  await assert.rejects(docker.getImage('lab/nope:1').inspect(), (err: { statusCode: number; json: { message: string } }) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.json.message, 'no such image: lab/nope:1: No such image: lab/nope:1');
    return true;
  });
  const pruned = await docker.pruneImages({ filters: { dangling: ['false'] } });
  assert.equal(pruned.ImagesDeleted?.filter((x: { Untagged?: string }) => x.Untagged).length, 3);
  assert.equal((await docker.listImages()).length, 0);
  const df = await docker.df();
  assert.deepEqual([df.LayersSize, df.Images.length], [0, 0]);

  const until = Math.ceil(Date.now() / 1000) + 1;
  const events = (await collect(await docker.getEvents({ since, until, filters: { type: ['image'], event: ['tag', 'untag'] } })))
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: { name: string } } });
  assert.deepEqual(
    events.map((e) => `${e.Action} ${e.Actor.Attributes.name}`),
    // prune goes newest first
    ['tag lab/renamed:2', 'tag lab/imported:1', 'untag lab/renamed:2', 'untag lab/imported:1', 'untag lab/other:1', 'untag 127.0.0.1:5000/lab/small:1.0'],
  );
});

test('dockerode: build, create, attach, start, wait, logs, exec, changes, export, remove', { skip: containersSkip }, async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  const docker = new Docker({ socketPath: s.sock });
  await follow(docker, await docker.importImage(createReadStream(busyboxTar()), { repo: 'busybox', tag: 'latest' } as object));

  // build from a context tar
  const ctx = join(s.dir, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n');
  const tar = execFileSync('tar', ['-C', ctx, '-c', '.']);
  const built = await follow(docker, await docker.buildImage(Readable.from([tar]), { t: 'lab/built:1' }));
  const aux = built.find((m) => m.aux) as { aux: { ID: string } };
  assert.match(aux.aux.ID, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(
    built.filter((m) => m.stream).map((m) => String(m.stream)).filter((l) => /^(Step|Successfully)/.test(l)),
    ['Step 1/3 : FROM busybox\n', 'Step 2/3 : RUN echo built > /built.txt\n', 'Step 3/3 : CMD ["cat", "/built.txt"]\n', `Successfully built ${aux.aux.ID.slice(7, 19)}\n`, 'Successfully tagged lab/built:1\n'],
  );

  // the docker run sequence, by hand: create, attach, start, wait
  const c = await docker.createContainer({ Image: 'lab/built:1', Cmd: ['sh', '-c', 'cat /built.txt; echo oops >&2; exit 4'], AttachStdout: true, AttachStderr: true });
  const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
  const output = demux(docker, stream);
  const waited = c.wait({ condition: 'next-exit' });
  await c.start();
  assert.deepEqual(await output, { stdout: 'built\n', stderr: 'oops\n' });
  assert.equal((await waited).StatusCode, 4);
  const info = await c.inspect();
  assert.deepEqual([info.State.Status, info.State.ExitCode], ['exited', 4]);
  const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  assert.deepEqual([logs[0], logs.readUInt32BE(4), logs.subarray(8, 14).toString()], [1, 6, 'built\n']);

  // exec in a running container
  const box = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'] });
  await box.start();
  const listed = await docker.listContainers();
  assert.deepEqual(listed.map((x) => x.Id), [box.id]);
  const ex = await box.exec({ Cmd: ['sh', '-c', 'echo hi; echo changed > /f; exit 3'], AttachStdout: true, AttachStderr: true });
  const exStream = await ex.start({ hijack: true, stdin: false });
  assert.deepEqual(await demux(docker, exStream), { stdout: 'hi\n', stderr: '' });
  const exInfo = await ex.inspect();
  assert.deepEqual([exInfo.Running, exInfo.ExitCode, exInfo.ProcessConfig.entrypoint], [false, 3, 'sh']);
  assert.deepEqual(await box.changes(), [{ Kind: 1, Path: '/f' }]);
  // A commit whose body is the new image's config: its fields win, the rest come from the container.
  const committed = (await box.commit({
    _query: { container: box.id, repo: 'lab/sdk', tag: '1', comment: 'from the SDK', changes: 'ENV FROM_CHANGE=1' },
    _body: { Cmd: ['cat', '/f'], Labels: { via: 'body' } },
  })) as { Id: string };
  const img = await docker.getImage('lab/sdk:1').inspect();
  assert.equal(img.Id, committed.Id);
  assert.deepEqual([img.Config.Cmd, img.Config.Labels, img.Comment], [['cat', '/f'], { via: 'body' }, 'from the SDK']);
  assert.ok(img.Config.Env.includes('FROM_CHANGE=1'), String(img.Config.Env));
  // Cmd is a StrSlice (one string is a list of one); Env must be a list.
  const oneString = (await box.commit({ _query: { container: box.id, repo: 'lab/sdk', tag: 'str' }, _body: { Cmd: 'cat /f' } })) as { Id: string };
  assert.deepEqual((await docker.getImage(oneString.Id).inspect()).Config.Cmd, ['cat /f']);
  await docker.getImage('lab/sdk:str').remove();
  await assert.rejects(
    box.commit({ _query: { container: box.id, repo: 'lab/sdk', tag: 'bad' }, _body: { Env: 'A=1' } }),
    (err: { statusCode: number }) => err.statusCode === 400,
  );
  await docker.getImage('lab/sdk:1').remove();
  const exported = await collect(await box.export());
  assert.ok(exported.length > 1 << 20);
  await box.kill();
  await box.remove({ force: true });
  await c.remove();
  assert.deepEqual(await docker.listContainers({ all: true }), []);
  await assert.rejects(docker.getContainer('nope').inspect(), (err: { statusCode: number }) => err.statusCode === 404);
});
