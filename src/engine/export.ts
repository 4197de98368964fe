/** `export`: a container's whole file system as a tar stream (which `import` reads back). */
import type { Readable } from 'node:stream';
import type { EngineCore } from './engine.js';
import { BerthError } from '../image/errors.js';
import { layerFromDirectory } from '../archive/layer-writer.js';
import { containerFs } from '../runtime/container-files.js';
import { getContainer } from './containers.js';

/**
 * Streams the container's file system into `sink`; a stopped container's layers are mounted
 * for the time of the export.
 */
export async function exportContainer(engine: EngineCore, input: string, sink: (tar: Readable) => Promise<void>): Promise<void> {
  const row = getContainer(engine, input);
  if (row.state === 'dead') throw new BerthError('conflict', `You cannot export container ${row.id} which is Dead`);
  if (row.state === 'removing') throw new BerthError('conflict', `You cannot export container ${row.id} which is being removed`);
  const fs = containerFs(engine.store, row);
  await fs.withMerged((root) => sink(layerFromDirectory(root)));
}
