import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Loads one of the CLI bundle's CommonJS files with a V8 code cache: compiling a command's file
 * (and then each function it calls) costs more than the rest of `berth images` at 1,000 images,
 * and Node 20 keeps no cache of its own. The cache lives in the user's cache directory
 * ($XDG_CACHE_HOME/berth/v8, else ~/.cache/berth/v8), one file per bundle file, Node version and
 * build (size and mtime); it is written when the command is over, so it holds every function the
 * command compiled. V8 checks that a cache matches the source and its own version and ignores
 * one that does not, and then the file is compiled as usual. Anything that goes wrong here only
 * means no cache.
 */
export function requireCached(file: string): unknown {
  const fd = openSync(file, 'r');
  let source: string;
  let cachePath: string | undefined;
  try {
    const st = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
    const dir = cacheDir();
    if (dir) cachePath = join(dir, `${basename(file, '.js')}--${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}.bin`);
  } finally {
    closeSync(fd);
  }
  const cachedData = cachePath ? readOwnCache(cachePath) : undefined;
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (cachePath && (!cachedData || script.cachedDataRejected)) {
    const target = cachePath;
    process.once('exit', () => writeCache(script, target));
  }
  const module = { exports: {} as unknown };
  const fn = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: { exports: unknown }, f: string, d: string) => void;
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/**
 * The cache's bytes if the file is this user's own and nobody else may write it: V8 checks that
 * a cache fits the source, not where it came from, and bytecode planted by another user (say in
 * the home directory `sudo` kept) would run with this process's rights.
 */
function readOwnCache(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    // Non-blocking, so that a FIFO in its place does not hang the command (it is then refused).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function cacheDir(): string | undefined {
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(process.env.HOME, '.cache') : undefined);
  return base ? join(base, 'berth', 'v8') : undefined;
}

function writeCache(script: Script, path: string): void {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, path);
    // Caches of this file's earlier builds or Node versions are of no more use.
    const prefix = basename(path).split('--')[0] + '--';
    for (const name of readdirSync(dir)) if (name.startsWith(prefix) && name !== basename(path) && name.endsWith('.bin')) unlinkSync(join(dir, name));
  } catch {
    // A read-only or full cache directory: the next run compiles again.
    try {
      unlinkSync(tmp);
    } catch {
      /* not there */
    }
  }
}
