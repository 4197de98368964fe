import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineCore } from './engine.js';
import { EngineCore as Core } from './engine.js';
import { loadImages } from './load.js';
import { saveImages, prepareArchive } from './save.js';
import { parseLocation, type Location } from '../transport/location.js';
import { layoutDirEntries, writeLayoutDir } from '../transport/layout-dir.js';
import { tarStream } from '../archive/tar-writer.js';
import { openFile, writeFileAtomically } from '../transport/files.js';
import type { ProgressFn } from '../image/progress.js';

export interface CopyOptions {
  progress?: ProgressFn;
}

/**
 * `copy SRC DST` between the places images live (DESIGN.md): the store, registries,
 * docker-archive and oci-archive tarballs, OCI layout directories. Everything goes through the
 * same importer and exporter as load, save, pull and push; a copy between two places outside
 * the store passes through a private temporary store.
 */
export async function copyImage(engine: EngineCore, src: string, dst: string, opts: CopyOptions = {}): Promise<void> {
  const from = parseLocation(src);
  const to = parseLocation(dst);
  if (from.kind === 'docker' && to.kind === 'berth') {
    await pullAs(engine, from.ref, to.ref, opts);
    return;
  }
  if (from.kind === 'berth' && to.kind === 'docker') {
    await pushAs(engine, from.ref, to.ref, opts);
    return;
  }
  if (from.kind === 'berth' && to.kind === 'berth') {
    const { tagImage } = await import('./tag.js');
    tagImage(engine, from.ref, to.ref);
    return;
  }
  if (to.kind === 'berth' && from.kind !== 'berth' && from.kind !== 'docker') {
    await importInto(engine, from, to.ref, opts);
    return;
  }
  if (from.kind === 'berth' && to.kind !== 'berth' && to.kind !== 'docker') {
    await exportFrom(engine, from.ref, to);
    return;
  }
  if (from.kind === 'berth' || to.kind === 'berth') return; // every store case was handled above
  const tmp = mkdtempSync(join(tmpdir(), 'berth-copy-'));
  const staging = new Core({ root: tmp });
  try {
    const name = 'berth.invalid/copy/staging:latest';
    if (from.kind === 'docker') await pullAs(staging, from.ref, name, opts);
    else await importInto(staging, from, name, opts);
    if (to.kind === 'docker') await pushAs(staging, name, to.ref, opts);
    else await exportFrom(staging, name, to, from.kind === 'docker' ? from.ref : (from.ref ?? null));
  } finally {
    staging.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Pulls `ref` and names it `as`; the pulled name is recorded only when it is the one asked for. */
async function pullAs(engine: EngineCore, ref: string, as: string | undefined, opts: CopyOptions): Promise<void> {
  const { pullImage } = await import('./pull.js');
  const { tagImage } = await import('./tag.js');
  const { removeImage } = await import('./remove.js');
  const { lookupImage } = await import('./resolve.js');
  const hadName = lookupImage(engine.store, ref)?.refName !== undefined;
  const res = await pullImage(engine, ref, { progress: opts.progress });
  if (as === undefined || as === ref) return;
  tagImage(engine, res.images[0] ?? ref, as);
  if (!hadName) removeImage(engine, ref);
}

/** Pushes a store image under another name: the name is added for the push and taken away after. */
async function pushAs(engine: EngineCore, ref: string, as: string, opts: CopyOptions): Promise<void> {
  const { pushImage } = await import('./push.js');
  const { tagImage } = await import('./tag.js');
  const { removeImage } = await import('./remove.js');
  const { lookupImage } = await import('./resolve.js');
  const existed = lookupImage(engine.store, as)?.refName !== undefined;
  tagImage(engine, ref, as);
  try {
    await pushImage(engine, as, { progress: opts.progress });
  } finally {
    if (!existed) removeImage(engine, as);
  }
}

async function importInto(engine: EngineCore, from: Exclude<Location, { kind: 'berth' | 'docker' }>, retag: string | undefined, opts: CopyOptions) {
  let input: AsyncIterable<Buffer>;
  if (from.kind === 'oci') input = tarStream(await layoutDirEntries(from.path)) as AsyncIterable<Buffer>;
  else input = await openFile(from.path);
  await loadImages(engine, input, { select: from.ref, retag, progress: opts.progress });
}

/** Writes a store image to an archive or layout; `keepName` null means "name it after the destination only". */
async function exportFrom(engine: EngineCore, ref: string, to: Exclude<Location, { kind: 'berth' | 'docker' }>, keepName?: string | null) {
  const name = to.ref ?? keepName ?? undefined;
  if (to.kind === 'docker-archive') {
    await writeFileAtomically(to.path, (out) => saveImages(engine, [ref], out, { format: 'docker', tagAs: name }));
    return;
  }
  if (to.kind === 'oci-archive') {
    await writeFileAtomically(to.path, (out) => saveImages(engine, [ref], out, { format: 'oci', refName: name ?? 'latest' }));
    return;
  }
  const prepared = await prepareArchive(engine, [ref], { format: 'oci', refName: name ?? 'latest' });
  try {
    await writeLayoutDir(to.path, prepared.entries);
  } finally {
    prepared.done();
  }
}
