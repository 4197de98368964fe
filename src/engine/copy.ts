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
import { BerthError } from '../image/errors.js';
import type { ProgressFn } from '../image/progress.js';

export interface CopyOptions {
  progress?: ProgressFn;
}

/**
 * `copy SRC DST` between the places images live (DESIGN.md): the store, docker-archive and
 * oci-archive tarballs, OCI layout directories (and registries once the registry transport
 * is wired). Everything goes through the same importer and exporter as load and save; a copy
 * between two non-store places passes through a private temporary store.
 */
export async function copyImage(engine: EngineCore, src: string, dst: string, opts: CopyOptions = {}): Promise<void> {
  const from = parseLocation(src);
  const to = parseLocation(dst);
  if (from.kind === 'docker' || to.kind === 'docker') {
    throw new BerthError('unavailable', 'the docker:// transport is not available in this build of berth (use pull and push)');
  }
  if (from.kind === 'berth' && to.kind === 'berth') {
    const { tagImage } = await import('./tag.js');
    tagImage(engine, from.ref, to.ref);
    return;
  }
  if (to.kind === 'berth') {
    if (from.kind === 'berth') return;
    await importInto(engine, from, to.ref, opts);
    return;
  }
  if (from.kind === 'berth') {
    await exportFrom(engine, from.ref, to);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'berth-copy-'));
  const staging = new Core({ root: tmp });
  try {
    const name = 'berth.invalid/copy/staging:latest';
    await importInto(staging, from, name, opts);
    await exportFrom(staging, name, to, from.ref ?? null);
  } finally {
    staging.close();
    rmSync(tmp, { recursive: true, force: true });
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
