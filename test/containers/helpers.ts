import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { runDirFor } from '../../src/runtime/runc.js';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { layerFromEntries, type LayerEntry } from '../../src/archive/index.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { tempDir, newStore, type RunResult, type RunOptions } from '../helpers/berth.js';

export { tempDir };

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export async function layerTar(entries: LayerEntry[]): Promise<Buffer> {
  return collect(layerFromEntries(entries));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A docker-archive (docker save layout of Docker < 25) of one image made of the given layer tars
 * on top of each other, for `berth load`.
 */
export function dockerArchive(dir: string, name: string, layers: Buffer[], config: Record<string, unknown> = {}): string {
  const root = join(dir, `${name.replace(/[^a-z0-9]/gi, '_')}.d`);
  mkdirSync(root, { recursive: true });
  const diffIds = layers.map((l) => 'sha256:' + sha(l));
  const paths: string[] = [];
  layers.forEach((l, i) => {
    const id = sha(Buffer.from(`${diffIds.slice(0, i + 1).join(',')}`));
    mkdirSync(join(root, id), { recursive: true });
    writeFileSync(join(root, id, 'layer.tar'), l);
    paths.push(`${id}/layer.tar`);
  });
  const cfg = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], ...config },
      created: '2024-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const cfgName = `${sha(cfg)}.json`;
  writeFileSync(join(root, cfgName), cfg);
  writeFileSync(join(root, 'manifest.json'), JSON.stringify([{ Config: cfgName, RepoTags: [name], Layers: paths }]));
  const out = join(dir, `${name.replace(/[^a-z0-9]/gi, '_')}.tar`);
  execFileSync('tar', ['-C', root, '-cf', out, '.']);
  return out;
}

let baseTar: string | undefined;

/** The busybox rootfs tarball (built once per process). */
export function busyboxTar(): string {
  if (baseTar && existsSync(baseTar)) return baseTar;
  const t = tempDir('berth-busybox-');
  process.once('exit', t.cleanup);
  baseTar = makeRootfsTar(t.dir, 'busybox.tar', { 'etc/group': 'root:x:0:\nstaff:x:50:tester\n', 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000:tester:/home/tester:/bin/sh\n' });
  return baseTar;
}

export function busyboxLayer(): Buffer {
  return readFileSync(busyboxTar());
}

export type Berth = Omit<ReturnType<typeof newStore>, 'cleanup'> & { cleanup: () => void | Promise<void> };

/**
 * A fresh store whose cleanup first removes its containers (killing what runs) and anything still
 * mounted below it.
 */
export function containerStore(): Berth {
  const s = newStore();
  const rmTree = s.cleanup;
  s.cleanup = () => undefined;
  const cleanup = async () => {
    const ids = (await s.berth('ps', '-aq', '--no-trunc')).stdout.split('\n').filter(Boolean);
    if (ids.length) await s.berth('rm', '-f', ...ids);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((p): p is string => p !== undefined && p.startsWith(join(s.root, '..')))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    rmSync(runDirFor(s.root), { recursive: true, force: true });
    rmTree();
  };
  return Object.assign(s, { cleanup });
}

/** A store with busybox:latest imported. */
export async function storeWithBusybox(): Promise<Berth> {
  const s = containerStore();
  const r = await s.berth('import', busyboxTar(), 'busybox:latest');
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  return s;
}

export function ok(r: RunResult, what = 'command'): string {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export type { RunOptions };
