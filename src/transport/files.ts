import { createWriteStream, renameSync, unlinkSync, statSync, type ReadStream, type Stats } from 'node:fs';
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

/** What the Docker CLI says of an output path that is not a regular file. */
function notWritable(st: Stats): string | undefined {
  if (st.isDirectory()) return 'cannot write to a directory';
  if (st.isCharacterDevice()) return 'cannot write to a character device file';
  if (st.isBlockDevice()) return 'cannot write to a block device file';
  if (st.isFIFO()) return 'cannot write to a named pipe (FIFO)';
  if (st.isSocket()) return 'cannot write to a socket';
  return undefined;
}

/**
 * Writes to a temporary file beside the destination and renames it into place only when the
 * writer succeeded, so a failure never leaves a truncated file under the requested name. Like the
 * Docker CLI, only a regular file is written: a device (say /dev/null) or a pipe would otherwise
 * be replaced by the rename. `failure` starts the messages ("failed to save image").
 */
export async function writeFileAtomically(path: string, write: (out: Writable) => Promise<void>, failure = 'failed to save image'): Promise<void> {
  const dir = dirname(path);
  let dirErr: unknown;
  try {
    if (!statSync(dir).isDirectory()) dirErr = Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    dirErr = err;
  }
  if (dirErr) throw new BerthError('invalid-argument', `${failure}: invalid output path: ${new PathError('stat', dir, dirErr).message}`);
  let existing: Stats | undefined;
  try {
    existing = statSync(path);
  } catch {
    /* not there yet */
  }
  const refused = existing && notWritable(existing);
  if (refused) throw new BerthError('invalid-argument', `${failure}: ${refused}`);
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
