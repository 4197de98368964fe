// Build contexts: where the files and the Dockerfile of a build come from (a directory, stdin,
// a tarball or Dockerfile at a URL, a git repository), told apart as docker/cli does, and the
// .dockerignore rules that apply to them.

import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { detectCompression, peekStream, decompress } from '../archive/compression.js';
import { extractTar } from '../archive/extract.js';
import { BerthError, invalidArgument, notFound, unavailable } from '../image/errors.js';
import { PatternMatcher, parseDockerignore, goClean } from './ignore.js';
import type { DirIndex } from './dir-index.js';

const execFileP = promisify(execFile);

export interface BuildContext {
  /** Directory holding the context's files; null when the build has no context (Dockerfile from stdin). */
  root: string | null;
  /** Whether root is a directory of the user's (its file hashes are worth remembering). */
  local: boolean;
  dockerfile: Buffer;
  /** The Dockerfile's name as Docker reports it in errors. */
  dockerfileName: string;
  ignore: PatternMatcher;
  /** Where the context came from, for messages: a path, '-', or the URL. */
  source: string;
  /** The context's files, once walked (shared by whoever needs them first). */
  files?: DirIndex;
  cleanup(): void;
}

export interface ContextOptions {
  /** PATH | URL | '-' */
  source: string;
  /** -f: a path (relative to the working directory for local contexts), or '-'. */
  dockerfile?: string;
  stdin?: AsyncIterable<Buffer>;
  cwd?: string;
  /** Makes a temporary directory (a build's scratch space in the store); default: under $TMPDIR. */
  tempDir?: (prefix: string) => string;
}

export const DEFAULT_DOCKERFILE = 'Dockerfile';

/** docker/cli's urlutil.IsGitURL. */
export function isGitUrl(s: string): boolean {
  if (/^https?:\/\//.test(s) && /\.git(?:#.*)?$/.test(s)) return true;
  if (/^(https?:\/\/)?github\.com\//.test(s) && !/^https?:\/\//.test(s)) return true;
  return s.startsWith('git://') || s.startsWith('git@') || s.startsWith('github.com/');
}

export function isUrl(s: string): boolean {
  return s.startsWith('http://') || s.startsWith('https://');
}

/** The tar header checksum test archive/tar uses to accept a first block. */
export function looksLikeTar(head: Buffer): boolean {
  if (head.length < 512) return false;
  const stored = head.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let unsigned = 0;
  for (let i = 0; i < 512; i++) unsigned += i >= 148 && i < 156 ? 32 : head[i]!;
  return parseInt(stored, 8) === unsigned;
}

/** docker/cli's IsArchive: compressed, or a valid tar header. */
export function isArchive(head: Buffer): boolean {
  return detectCompression(head) !== 'none' || looksLikeTar(head);
}

async function readAll(input: AsyncIterable<Buffer | Uint8Array>, limit = 64 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of input) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    n += b.length;
    if (n > limit) throw invalidArgument('Dockerfile too large');
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function defaultTempDir(prefix: string): string {
  return mkdtempSync(join(process.env.BERTH_BUILD_TMP ?? tmpdir(), prefix));
}

/**
 * A stream that is either a context archive (extracted to a temporary directory) or a plain
 * Dockerfile (GetContextFromReader's rule).
 */
async function contextFromReader(
  input: AsyncIterable<Buffer>,
  what: string,
  tempDir: (prefix: string) => string,
): Promise<{ root: string | null; dockerfile?: Buffer; tmp?: string }> {
  const { head, stream } = await peekStream(Readable.from(input), 512);
  if (isArchive(head)) {
    const tmp = tempDir('berth-ctx-');
    try {
      const compression = detectCompression(head);
      const tar = compression === 'none' ? stream : decompress(compression, stream);
      await extractTar(tar, tmp, { chown: false, requireEndMarker: false });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw invalidArgument(`failed to extract the build context from ${what}: ${(err as Error).message}`, err);
    }
    return { root: tmp, tmp };
  }
  return { root: null, dockerfile: await readAll(stream) };
}

function parseGitFragment(url: string): { remote: string; ref: string; subdir: string } {
  const hash = url.indexOf('#');
  const remote = hash < 0 ? url : url.slice(0, hash);
  const frag = hash < 0 ? '' : url.slice(hash + 1);
  const colon = frag.indexOf(':');
  const ref = colon < 0 ? frag : frag.slice(0, colon);
  const subdir = colon < 0 ? '' : frag.slice(colon + 1);
  return { remote: remote.startsWith('github.com/') ? `https://${remote}` : remote, ref, subdir };
}

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    const r = await execFileP('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 16 << 20 });
    return r.stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new BerthError('unavailable', `unable to prepare context: git ${args[0]} failed: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

/** Clones a repository at a ref (branch, tag or commit) as Docker's gitutils does. */
export async function cloneGit(
  url: string,
  opts: { keepGitDir?: boolean; tempDir?: (prefix: string) => string } = {},
): Promise<{ tmp: string; root: string }> {
  const { remote, ref, subdir } = parseGitFragment(url);
  const tmp = (opts.tempDir ?? defaultTempDir)('berth-git-');
  try {
    await git(['init', '-q', tmp]);
    await git(['remote', 'add', 'origin', remote], tmp);
    const want = ref || 'HEAD';
    try {
      await git(['fetch', '-q', '--depth', '1', 'origin', '--', want], tmp);
    } catch {
      // Dumb transports and some servers refuse shallow fetches or fetches by commit.
      await git(['fetch', '-q', '--tags', 'origin'], tmp);
      await git(['fetch', '-q', 'origin', '--', want], tmp).catch(() => undefined);
    }
    let target = 'FETCH_HEAD';
    if (ref && /^[0-9a-f]{7,40}$/.test(ref)) {
      target = await git(['rev-parse', '--verify', '-q', `${ref}^{commit}`], tmp).then((s) => s.trim()).catch(() => 'FETCH_HEAD');
    }
    await git(['checkout', '-q', target], tmp);
    await git(['submodule', 'update', '-q', '--init', '--recursive', '--depth', '1'], tmp).catch(() => undefined);
    if (!opts.keepGitDir) rmSync(join(tmp, '.git'), { recursive: true, force: true });
    const root = subdir ? join(tmp, goClean('/' + subdir)) : tmp;
    if (subdir) {
      let st;
      try {
        st = statSync(root);
      } catch {
        throw notFound(`unable to prepare context: subdirectory ${subdir} not found in ${remote}`);
      }
      if (!st.isDirectory()) throw invalidArgument(`unable to prepare context: ${subdir} is not a directory`);
      const real = realpathSync(root);
      if (real !== realpathSync(tmp) && !real.startsWith(realpathSync(tmp) + sep)) {
        throw invalidArgument(`unable to prepare context: subdirectory ${subdir} is outside the repository`);
      }
    }
    return { tmp, root };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function fetchUrl(url: string): Promise<AsyncIterable<Buffer>> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw unavailable(`unable to prepare context: unable to download remote context ${url}: ${(err as Error).message}`, err);
  }
  if (!res.ok || !res.body) {
    throw unavailable(`unable to prepare context: unable to download remote context ${url}: ${res.status} ${res.statusText}`);
  }
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) as AsyncIterable<Buffer>;
}

function readDockerfileAt(root: string, name: string, display: string): Buffer {
  const p = join(root, goClean('/' + name));
  let st;
  try {
    st = lstatSync(p);
    if (st.isSymbolicLink()) st = statSync(p);
  } catch {
    throw notFound(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${p}: no such file or directory`);
  }
  if (!st.isFile()) throw invalidArgument(`unable to prepare context: the Dockerfile (${display}) must be a file`);
  return readFileSync(p);
}

function loadIgnore(root: string | null, dockerfilePath: string | null): PatternMatcher {
  const candidates: string[] = [];
  if (dockerfilePath) candidates.push(dockerfilePath + '.dockerignore');
  if (root) candidates.push(join(root, '.dockerignore'));
  for (const c of candidates) {
    let text: string;
    try {
      text = readFileSync(c, 'utf8');
    } catch {
      continue;
    }
    return new PatternMatcher(parseDockerignore(text));
  }
  return new PatternMatcher([]);
}

/** Resolves the context source and the Dockerfile of a build. */
export async function loadContext(opts: ContextOptions): Promise<BuildContext> {
  const cwd = opts.cwd ?? process.cwd();
  const src = opts.source;
  const df = opts.dockerfile;
  const tempDir = opts.tempDir ?? defaultTempDir;
  const temps: string[] = [];
  const cleanup = () => {
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  };
  try {
    let root: string | null;
    let dockerfile: Buffer | undefined;
    let local = false;
    if (src === '-') {
      if (df === '-') throw invalidArgument('invalid argument: can\'t use stdin for both build context and dockerfile');
      if (!opts.stdin) throw invalidArgument('no build context on stdin');
      const r = await contextFromReader(opts.stdin, 'stdin', tempDir);
      if (r.tmp) temps.push(r.tmp);
      root = r.root;
      dockerfile = r.dockerfile;
    } else if (isGitUrl(src)) {
      const r = await cloneGit(src, { tempDir });
      temps.push(r.tmp);
      root = r.root;
    } else if (isUrl(src)) {
      const r = await contextFromReader(await fetchUrl(src), src, tempDir);
      if (r.tmp) temps.push(r.tmp);
      root = r.root;
      dockerfile = r.dockerfile;
    } else {
      const abs = resolve(cwd, src);
      let st;
      try {
        st = statSync(abs);
      } catch {
        throw invalidArgument(`unable to prepare context: path "${src}" not found`);
      }
      if (!st.isDirectory()) throw invalidArgument(`unable to prepare context: context must be a directory: ${abs}`);
      root = realpathSync(abs);
      local = true;
    }

    let dockerfileName = DEFAULT_DOCKERFILE;
    let dockerfilePath: string | null = null;
    if (df === '-') {
      if (!opts.stdin) throw invalidArgument('no Dockerfile on stdin');
      dockerfile = await readAll(opts.stdin);
      dockerfileName = '-';
    } else if (dockerfile === undefined) {
      if (root === null) throw invalidArgument('unable to prepare context: no Dockerfile');
      if (df && local) {
        dockerfilePath = resolve(cwd, df);
        dockerfileName = relative(root, dockerfilePath) || df;
        if (!existsSync(dockerfilePath)) throw notFound(`unable to prepare context: the Dockerfile (${df}) does not exist`);
        dockerfile = readDockerfileAt('/', dockerfilePath, df);
      } else {
        let name = df ?? DEFAULT_DOCKERFILE;
        if (!df && !existsSync(join(root, name)) && existsSync(join(root, 'dockerfile'))) name = 'dockerfile';
        if (isAbsolute(name) && !local) name = name.slice(1);
        dockerfileName = name;
        dockerfilePath = join(root, goClean('/' + name));
        if (!existsSync(dockerfilePath)) {
          throw notFound(
            local
              ? `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dockerfilePath}: no such file or directory`
              : `unable to prepare context: Cannot locate specified Dockerfile: ${name}`,
          );
        }
        dockerfile = readDockerfileAt(root, name, name);
      }
    }
    if (dockerfile.length === 0 || dockerfile.toString('utf8').trim() === '') {
      throw invalidArgument(`the Dockerfile (${dockerfileName}) cannot be empty`);
    }
    const ignore = loadIgnore(root, dockerfilePath);
    return { root, local, dockerfile, dockerfileName, ignore, source: src, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
