import { createWriteStream, renameSync, unlinkSync, statSync, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { BerthError } from '../image/errors.js';

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EEXIST: 'file exists',
};

/** An error with Go's *PathError text, e.g. `open /x.tar: no such file or directory`. */
export class PathError extends BerthError {
  constructor(op: string, path: string, err: unknown) {
    const e = err as NodeJS.ErrnoException;
    const text = (e.code && ERRNO_TEXT[e.code]) ?? e.message;
    super(e.code === 'ENOENT' ? 'not-found' : 'invalid-argument', `${op} ${path}: ${text}`, { cause: err });
  }
}

/** Opens a local file for streaming, failing with Go's message before any work starts. */
export async function openFile(path: string): Promise<ReadStream> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new PathError('open', path, err);
  }
  const st = await fh.stat();
  if (st.isDirectory()) {
    await fh.close();
    throw new PathError('read', path, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  }
  return fh.createReadStream({ highWaterMark: 1 << 20 });
}

/**
 * Writes to a temporary file beside the destination and renames it into place only when the
 * writer succeeded, so a failure never leaves a truncated file under the requested name.
 */
export async function writeFileAtomically(path: string, write: (out: Writable) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new Error();
  } catch {
    throw new BerthError('invalid-argument', `failed to save image: invalid output path: directory "${dir}" does not exist`);
  }
  const tmp = join(dir, `.${basename(path)}.berth-tmp-${randomBytes(4).toString('hex')}`);
  const out = createWriteStream(tmp, { mode: 0o644 });
  try {
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
  } catch (err) {
    throw new PathError('open', tmp, err);
  }
  try {
    await write(out);
    if (!out.writableFinished) await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    renameSync(tmp, path);
  } catch (err) {
    out.destroy();
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  }
}
