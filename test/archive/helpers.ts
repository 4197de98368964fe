import { fixturesDir } from '../helpers/paths.js';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAvailable } from '../../src/archive/native.js';

/** Repository root (tests run from dist/test/archive). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = fixturesDir();
export const ARCHIVES = join(FIXTURES, 'archives');

/** Builds the native addon with node-gyp if it is not built yet. */
export function ensureNative(): void {
  if (nativeAvailable()) return;
  const gyp = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  const r = spawnSync(
    process.execPath,
    [gyp, 'rebuild', '-C', join(REPO, 'src/archive/native'), `--nodedir=${dirname(dirname(process.execPath))}`],
    { encoding: 'utf8' },
  );
  if (r.status !== 0 || !nativeAvailable()) throw new Error(`cannot build native addon: ${r.stderr}`);
}

export function tempDir(prefix = 'berth-archive-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

export async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
  return r.stdout as Buffer;
}

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A listing of a tree (type, mode, owner, size, mtime, link target, content hash) for comparisons. */
export function snapshotTree(root: string, opts: { mtimes?: boolean } = {}): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = rel === '' ? root : join(root, rel);
    const st = lstatSync(abs, { bigint: true });
    let detail = '';
    if (st.isSymbolicLink()) detail = `-> ${readlinkSync(abs)}`;
    else if (st.isFile()) detail = sha256Hex(readFileSync(abs));
    else if (st.isCharacterDevice() || st.isBlockDevice()) detail = `dev ${st.rdev}`;
    const mtime = opts.mtimes === false || st.isDirectory() && rel === '' ? '' : ` t=${st.mtimeNs}`;
    out.push(`${rel || '.'} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? st.size : ''}${mtime} ${detail}`);
    if (st.isDirectory()) for (const n of readdirSync(abs).sort()) walk(rel === '' ? n : `${rel}/${n}`);
  };
  walk('');
  return out;
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
