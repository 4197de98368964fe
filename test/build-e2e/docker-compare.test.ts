import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildStore, normalizeIds } from './helpers.js';
import { haveDockerd, startDocker } from '../helpers/docker.js';
import { makeRootfsTar } from '../helpers/rootfs.js';

const DOCKERFILE = [
  'FROM busybox:local AS builder',
  'RUN mkdir -p /out && echo "built at stage builder" > /out/artifact.txt && sha256sum /bin/busybox > /out/busybox.sha',
  'FROM busybox:local',
  'ARG FLAVOUR=plain',
  'LABEL org.opencontainers.image.title="demo" com.example.lab="anchor"',
  'ENV GREETING="hello world" APP_HOME=/app',
  'WORKDIR /app',
  'COPY hello.txt ./hello.txt',
  'COPY --from=builder /out/ /app/out/',
  'COPY dir/ /app/dir/',
  'RUN echo "$GREETING $FLAVOUR" > /app/greeting && rm -f /app/dir/gone.txt',
  'EXPOSE 8080/tcp 53/udp',
  'VOLUME ["/data"]',
  'USER 1000:1000',
  'STOPSIGNAL SIGTERM',
  'HEALTHCHECK --interval=30s --timeout=3s CMD cat /app/greeting',
  'ONBUILD RUN echo child',
  'ENTRYPOINT ["/bin/sh", "-c"]',
  'CMD ["cat", "/app/greeting"]',
  '',
].join('\n');

/** The classic builder's step lines, IDs and the context size (its tar differs) normalised. */
const steps = (s: string) =>
  normalizeIds(s)
    .replace(/^Sending build context.*\n/m, '')
    .replace(/^DEPRECATED:.*\n(?:\s+.*\n)*/m, '');

/** History CREATED BY, with the content hashes of COPY normalised. */
const createdBy = (s: string) => s.replace(/(file|dir|multi):[0-9a-f]{64}/g, '$1:<hash>').trim().split('\n');

function fileList(tar: Buffer): string[] {
  return tar
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('app'))
    .map((l) => l.replace(/\/$/, ''))
    .sort();
}

test('build compared with the real Docker classic builder: steps, config, history and files', { skip: !haveDockerd() && 'dockerd is not installed (scripts/install.sh installs docker.io)', timeout: 600_000 }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const dk = await startDocker(join('/tmp', `berth-dockerd-build-${process.pid}`));
  t.after(() => dk.stop());
  const rootfs = makeRootfsTar(s.dir, 'docker-rootfs.tar', { 'etc/group': 'root:x:0:\nstaff:x:50:\n' });
  let r = dk.docker(['import', rootfs, 'busybox:local']);
  assert.equal(r.code, 0, r.stderr);
  // The same base files in berth (Docker's own daemon builds classic: the docker.io CLI of Debian 12).
  assert.equal((await s.berth('import', rootfs, 'busybox:local')).code, 0);

  const dir = s.ctx('cmp', { Dockerfile: DOCKERFILE, 'hello.txt': 'hello\n', 'dir/kept.txt': 'kept\n', 'dir/gone.txt': 'gone\n', '.dockerignore': '*.md\n', 'README.md': 'ignored' });
  r = dk.docker(['build', '--network', 'none', '--build-arg', 'FLAVOUR=spicy', '-t', 'cmp:1', dir]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const b = await s.berth('build', '--network', 'none', '--build-arg', 'FLAVOUR=spicy', '-t', 'cmp:1', dir);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.equal(steps(b.stdout), steps(r.stdout));

  const dockerCfg = JSON.parse(dk.docker(['image', 'inspect', '-f', '{{json .Config}}', 'cmp:1']).stdout);
  const berthCfg = JSON.parse((await s.berth('image', 'inspect', '-f', '{{json .Config}}', 'cmp:1')).stdout);
  delete dockerCfg.Image;
  delete berthCfg.Image;
  // Docker 28's CLI decodes Config as the OCI image config and leaves empty fields out; an older
  // CLI prints the daemon's container.Config in full. Compare what is set.
  assert.deepEqual(setFields(berthCfg), setFields(dockerCfg));

  const dHist = createdBy(dk.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'cmp:1']).stdout);
  const bHist = createdBy((await s.berth('history', '--no-trunc', '--format', '{{.CreatedBy}}', 'cmp:1')).stdout);
  assert.deepEqual(bHist, dHist);

  // The same files under /app (the image's own files; runtime mounts are not part of it).
  const cid = dk.docker(['create', 'cmp:1']).stdout.trim();
  const exported = execFileSync('sh', ['-c', `docker -H unix:///tmp/berth-dockerd-build-${process.pid}/docker.sock export ${cid} | tar -t`], { maxBuffer: 64 << 20 });
  const out = join(s.dir, 'cmp.tar');
  assert.equal((await s.berth('build', '--network', 'none', '--build-arg', 'FLAVOUR=spicy', '-o', `type=tar,dest=${out}`, dir)).code, 0);
  const listed = execFileSync('tar', ['-tf', out], { maxBuffer: 64 << 20 });
  assert.deepEqual(fileList(listed), fileList(exported));
  assert.equal(existsSync(out), true);
  assert.equal(execFileSync('tar', ['-xOf', out, 'app/greeting']).toString(), 'hello world spicy\n');
});

function setFields(cfg: Record<string, unknown>): Record<string, unknown> {
  const empty = (v: unknown) =>
    v === null || v === undefined || v === '' || v === false || v === 0 || (typeof v === 'object' && Object.keys(v as object).length === 0);
  return Object.fromEntries(Object.entries(cfg).filter(([, v]) => !empty(v)));
}
