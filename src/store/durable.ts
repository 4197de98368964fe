import { closeSync, fsyncSync, openSync, constants } from 'node:fs';
import { nodeFsPromises as fsp } from '../image/lazy-builtins.js';

/** fsync a directory so that entries created, renamed or removed in it survive power loss. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function fsyncDirAsync(dir: string): Promise<void> {
  const fh = await fsp().open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
