import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARM64_BUSYBOX, buildStore, busyboxTree, scratchLeft } from './helpers.js';
import { haveRegistry, startRegistry } from '../helpers/registry.js';
import { query } from '../helpers/store-state.js';
import { tempDir } from '../helpers/berth.js';

const canRun = existsSync('/usr/sbin/runc') || existsSync('/usr/bin/runc') || existsSync('/usr/bin/crun');
const binfmt = (name: string) => {
  try {
    return readFileSync(`/proc/sys/fs/binfmt_misc/${name}`, 'utf8');
  } catch {
    return '';
  }
};
const emulation =
  process.arch !== 'x64'
    ? 'the emulated-RUN test builds arm64 on an x86_64 host'
    : !canRun
      ? 'runc/crun is not installed (scripts/install.sh installs them)'
      : !binfmt('status').startsWith('enabled')
        ? 'binfmt_misc is not mounted and cannot be here (scripts/install.sh mounts it as root)'
        : !binfmt('qemu-aarch64').startsWith('enabled')
          ? 'no qemu-aarch64 handler is registered with binfmt_misc (scripts/install.sh installs qemu-user-static and binfmt-support)'
          : !existsSync(ARM64_BUSYBOX)
            ? `no arm64 busybox at ${ARM64_BUSYBOX} (scripts/install.sh extracts Debian's busybox-static:arm64 there)`
            : !existsSync('/usr/bin/skopeo')
              ? 'skopeo is not installed'
              : !haveRegistry() && 'docker-registry is not installed';

test('build --platform linux/amd64,linux/arm64 with RUN: the arm64 step runs under qemu, the index is stored under the tag and pushed whole', { skip: emulation, timeout: 600_000 }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const reg = await startRegistry(join(s.dir, 'registry'));
  t.after(() => reg.stop());

  // A two-platform base made without RUN: each platform's busybox copied from the context.
  const baseCtx = s.ctx('mp-base', { Dockerfile: 'FROM scratch\nARG TARGETARCH\nCOPY rootfs-${TARGETARCH}/ /\nCMD ["/bin/sh"]\n' });
  busyboxTree(join(baseCtx, 'rootfs-amd64'), '/bin/busybox');
  busyboxTree(join(baseCtx, 'rootfs-arm64'), ARM64_BUSYBOX);
  const base = await s.berth('build', '--platform', 'linux/amd64,linux/arm64', '-t', 'mp/base:1', baseCtx);
  assert.equal(base.code, 0, base.stderr + base.stdout);

  // FROM a tag naming an index in the store: each platform builds on its own image of it.
  const app = s.ctx('mp-app', {
    Dockerfile: 'FROM mp/base:1\nARG TARGETARCH\nRUN echo "$TARGETARCH $(uname -m)" > /arch.txt && echo "ran as $(uname -m)"\nLABEL app=1\n',
  });
  const tag = `${reg.addr}/mp/app:1`;
  const r = await s.berth('build', '--platform', 'linux/amd64,linux/arm64', '-t', tag, '--push', app);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^ran as x86_64$/m);
  assert.match(r.stdout, /^ran as aarch64$/m, 'the arm64 RUN ran under emulation');

  // Both images are in the store, tied together by one index recorded under the tag.
  const ids = query<{ id: string; arch: string }>(
    s.root,
    `SELECT i.id, i.arch FROM image_manifests m JOIN images i ON i.id = m.image_id
      WHERE m.digest = (SELECT m2.digest FROM refs r JOIN image_manifests m2 ON m2.image_id = r.image_id
                         WHERE r.name = ? AND m2.media_type LIKE '%list%')
      ORDER BY i.arch`,
    `${tag}`,
  );
  assert.deepEqual(ids.map((x) => x.arch), ['amd64', 'arm64']);
  assert.equal((await s.berth('image', 'inspect', '-f', '{{.Architecture}}', tag)).stdout.trim(), 'amd64', 'the tag names the host platform image');
  const out = join(s.dir, 'mp-out');
  const local = await s.berth('build', '--platform', 'linux/amd64,linux/arm64', '-o', `type=local,dest=${out}`, app);
  assert.equal(local.code, 0, local.stderr);
  assert.equal((local.stdout.match(/Using cache/g) ?? []).length, 6, 'a rebuild hits the cache on both platforms');
  assert.equal(readFileSync(join(out, 'linux_amd64', 'arch.txt'), 'utf8'), 'amd64 x86_64\n');
  assert.equal(readFileSync(join(out, 'linux_arm64', 'arch.txt'), 'utf8'), 'arm64 aarch64\n');

  // skopeo sees the pushed index with both platforms, and the arm64 image carries the RUN's file.
  const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${tag}`]).toString()) as {
    manifests: { platform: { architecture: string; os: string } }[];
  };
  assert.deepEqual(raw.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
  const info = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', '--override-arch', 'arm64', `docker://${tag}`]).toString()) as {
    Architecture: string;
    Labels: Record<string, string>;
  };
  assert.equal(info.Architecture, 'arm64');
  assert.equal(info.Labels.app, '1');
  const d = tempDir();
  t.after(d.cleanup);
  const layout = join(d.dir, 'arm64');
  execFileSync('skopeo', ['copy', '--src-tls-verify=false', '--override-arch', 'arm64', `docker://${tag}`, `dir:${layout}`], { stdio: 'ignore' });
  const manifest = JSON.parse(readFileSync(join(layout, 'manifest.json'), 'utf8')) as { layers: { digest: string }[] };
  const top = join(layout, manifest.layers.at(-1)!.digest.replace('sha256:', ''));
  assert.equal(execFileSync('tar', ['-xOf', top, 'arch.txt']).toString(), 'arm64 aarch64\n');
});

test('build: a foreign RUN with no binfmt_misc handler fails clearly, before anything runs', { skip: !canRun && 'runc/crun is not installed' }, async (t) => {
  const s = await buildStore();
  t.after(s.cleanup);
  const foreign = process.arch === 'arm64' ? 'amd64' : 'arm64';
  const qemu = foreign === 'arm64' ? 'aarch64' : 'x86_64';
  const ctx = s.ctx('noemu', { Dockerfile: 'FROM scratch AS base\nCOPY rootfs/ /\nFROM base\nRUN echo never > /ran\n' });
  busyboxTree(join(ctx, 'rootfs'), '/bin/busybox');
  // binfmt_misc as the build sees it: mounted and enabled, but with no handler for the platform.
  const empty = join(s.dir, 'binfmt');
  mkdirSync(empty);
  writeFileSync(join(empty, 'status'), 'enabled\n');
  writeFileSync(join(empty, 'register'), '');
  writeFileSync(join(empty, 'qemu-s390x'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/s390x-binfmt-P\nflags: PF\noffset 0\nmagic 7f454c4602020100000000000000000000020016\n');
  const r = await s.run(['build', '--platform', `linux/${foreign}`, ctx], { env: { BERTH_BINFMT_MISC_DIR: empty } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`cannot run a RUN instruction for linux/${foreign} on this \\w+ host: no qemu-${qemu} handler is registered with binfmt_misc \\(install qemu-user-static and binfmt-support\\)`));
  assert.match(r.stderr, /\(Dockerfile:4\)/, 'the error names the RUN line');
  assert.doesNotMatch(r.stdout, /Running in/);
  // A handler found by its ELF magic rather than its name counts.
  writeFileSync(join(empty, 'other-name'), `enabled\ninterpreter /x\nflags: F\noffset 0\nmagic ${foreign === 'arm64' ? '7f454c460201010000000000000000000200b700' : '7f454c4602010100000000000000000002003e00'}\n`);
  const { emulatorRegistered } = await import('../../src/engine/build-run.js');
  assert.equal(emulatorRegistered(foreign, empty), true);
  assert.equal(emulatorRegistered('s390x', empty), true);
  assert.equal(emulatorRegistered('riscv64', empty), false);
  writeFileSync(join(empty, 'status'), 'disabled\n');
  assert.equal(emulatorRegistered(foreign, empty), false, 'binfmt_misc disabled as a whole');
  assert.deepEqual(scratchLeft(s.root), [], 'no scratch space left behind');
});
