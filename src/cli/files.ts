import type { ReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { openFile, writeFileAtomically as writeAtomically, PathError } from '../transport/files.js';
import { BerthError } from '../image/errors.js';
import { CliError } from './errors.js';

/** The Docker CLI opens local files itself, so their errors print without the daemon prefix. */
export async function openInput(path: string): Promise<ReadStream> {
  try {
    return await openFile(path);
  } catch (err) {
    if (err instanceof PathError) throw new CliError(err.message);
    throw err;
  }
}

export async function writeFileAtomically(path: string, write: (out: Writable) => Promise<void>, failure = 'failed to save image'): Promise<void> {
  try {
    await writeAtomically(path, write, failure);
  } catch (err) {
    if (err instanceof PathError || (err instanceof BerthError && err.message.startsWith(`${failure}:`))) {
      throw new CliError(err.message);
    }
    throw err;
  }
}
