import { mkdir, open, readFile, readdir, rename, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join, posix } from 'node:path';
import type { TarInputEntry } from '../archive/tar-writer.js';
import { TarType } from '../archive/tar-header.js';
import { invalidArgument } from '../image/errors.js';
import type { ImageIndex } from '../image/types.js';
import { goMarshal } from '../image/gojson.js';

async function bodyChunks(body: unknown): Promise<AsyncIterable<Uint8Array>> {
  if (typeof body === 'string') return [Buffer.from(body)] as unknown as AsyncIterable<Uint8Array>;
  if (body instanceof Uint8Array) return [body] as unknown as AsyncIterable<Uint8Array>;
  if (typeof body === 'function') return (await (body as () => unknown)()) as AsyncIterable<Uint8Array>;
  return body as AsyncIterable<Uint8Array>;
}

/**
 * Writes archive entries (an OCI image layout) into a directory instead of a tar: blobs are
 * content-addressed so existing ones are kept; index.json merges with an existing layout's, a
 * descriptor with the same ref.name being replaced.
 */
export async function writeLayoutDir(dir: string, entries: TarInputEntry[]): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const e of entries) {
    if (!('header' in e)) continue;
    const name = posix.normalize(e.header.name);
    if (name.startsWith('..') || name.startsWith('/')) throw invalidArgument(`invalid layout entry ${name}`);
    const p = join(dir, name);
    if (e.header.type === TarType.Dir) {
      await mkdir(p, { recursive: true });
      continue;
    }
    if (name === 'index.json') {
      await writeAtomic(p, await mergeIndex(p, String(e.body)));
      continue;
    }
    if (name.startsWith('blobs/') && (await exists(p))) continue;
    const tmp = `${p}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o644);
    try {
      for await (const c of await bodyChunks(e.body)) await fh.write(c);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, p);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(p: string, content: string): Promise<void> {
  const tmp = `${p}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.write(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, p);
}

async function mergeIndex(path: string, fresh: string): Promise<string> {
  let old: ImageIndex | undefined;
  try {
    old = JSON.parse(await readFile(path, 'utf8')) as ImageIndex;
  } catch {
    return fresh;
  }
  const add = JSON.parse(fresh) as ImageIndex;
  const refOf = (d: { annotations?: Record<string, string> }) => d.annotations?.['org.opencontainers.image.ref.name'];
  const names = new Set(add.manifests.map(refOf).filter((n): n is string => n !== undefined));
  const kept = (old.manifests ?? []).filter((d) => {
    const n = refOf(d);
    return n === undefined || !names.has(n);
  });
  return goMarshal({ ...old, manifests: [...kept, ...add.manifests] });
}

/** The files of an OCI layout directory as tar entries, for the archive importer. */
export async function layoutDirEntries(dir: string): Promise<TarInputEntry[]> {
  const out: TarInputEntry[] = [];
  for (const name of ['oci-layout', 'index.json']) {
    const p = join(dir, name);
    if (!(await exists(p))) throw invalidArgument(`${dir} is not an OCI image layout: ${name} is missing`);
    out.push(fileEntry(name, p, (await stat(p)).size));
  }
  for (const algo of await readdir(join(dir, 'blobs')).catch(() => [] as string[])) {
    for (const hex of await readdir(join(dir, 'blobs', algo))) {
      const p = join(dir, 'blobs', algo, hex);
      const st = await stat(p);
      if (st.isFile()) out.push(fileEntry(`blobs/${algo}/${hex}`, p, st.size));
    }
  }
  return out;
}

function fileEntry(name: string, path: string, size: number): TarInputEntry {
  return { header: { name, type: TarType.File, mode: 0o644, size }, body: () => createReadStream(path) };
}
