/**
 * `cp`: files and directories between a container and the host, with the Docker CLI's rules for
 * what lands where (into an existing directory under the source's name, over an existing file,
 * or as a new path; SRC/. for a directory's contents), `-` for a tar stream on stdin or stdout,
 * owners set to the destination's user unless -a keeps them.
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { archivePath, containerPathNotFound, extractArchive, isDirStat, withContainerRoot } from '../../engine/container-copy.js';

interface CpArg {
  container?: string;
  path: string;
}

/** The Docker CLI's splitCpArg: CONTAINER:PATH unless the argument is an absolute or ./ path. */
function splitCpArg(arg: string): CpArg {
  if (arg.startsWith('/')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** A container path as an absolute one (Docker takes relative ones from the container's /). */
const inContainer = (p: string): string => (p.startsWith('/') ? p : `/${p}`);
/** Whether the source asks for a directory's contents (SRC/.). */
const wantsContents = (p: string): boolean => /(^|\/)\.$/.test(p);
const endsWithSlash = (p: string): boolean => p.endsWith('/');
const nameOf = (p: string): string => basename(p.replace(/\/+$/, '')) || '.';

function hostStat(path: string, follow: boolean): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return undefined;
  }
}

export default async function cp(argv: string[], ctx: CliContext, name = 'cp'): Promise<number> {
  const { opts, args } = parseArgs<{ archive?: boolean; followLink?: boolean; quiet?: boolean }>(
    {
      name,
      usage: `berth ${name} [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth ${name} [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`,
      description:
        'Copy files/folders between a container and the local filesystem\n\n' +
        "Use '-' as the source to read a tar archive from stdin\n" +
        'and extract it to a directory destination in a container.\n' +
        "Use '-' as the destination to stream a tar archive of a\n" +
        'container source to stdout.',
      args: { min: 2, max: 2 },
      options: (c) =>
        c
          .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
          .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
          .option('-q, --quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached'),
    },
    argv,
  );
  const src = splitCpArg(args[0]!);
  const dst = splitCpArg(args[1]!);
  if (src.container !== undefined && dst.container !== undefined) throw new CliError('copying between containers is not supported');
  if (src.container === undefined && dst.container === undefined) throw new CliError('must specify at least one container source');
  const engine = ctx.engine();
  const archive = Boolean(opts.archive);

  if (src.container !== undefined) {
    const container = src.container;
    await withContainerRoot(engine, container, async (resolve) => {
      const from = resolve(inContainer(src.path || '/'), Boolean(opts.followLink));
      if (!from.stat) throw containerPathNotFound(inContainer(src.path), container);
      const fromPath = join(from.dir, from.name);
      const contents = wantsContents(src.path) && isDirStat(from.stat);
      if (dst.path === '-') {
        await pipeline(archivePath(fromPath, contents ? undefined : from.name), process.stdout, { end: false });
        return;
      }
      const target = hostStat(dst.path, true);
      if (target?.isDirectory()) {
        await extractArchive(archivePath(fromPath, contents ? undefined : from.name), dst.path, archive);
      } else if (target) {
        if (isDirStat(from.stat)) throw new CliError('cannot copy directory');
        await extractArchive(archivePath(fromPath, nameOf(dst.path)), dirname(resolvePath(dst.path)), archive);
      } else {
        const parent = dirname(resolvePath(dst.path));
        if (endsWithSlash(dst.path) || !hostStat(parent, true)?.isDirectory()) throw new CliError('no such directory');
        await extractArchive(archivePath(fromPath, nameOf(dst.path)), parent, archive);
      }
    }, 'archive-path');
    return 0;
  }

  const container = dst.container!;
  if (src.path === '-') {
    await withContainerRoot(engine, container, async (resolve) => {
      const to = resolve(inContainer(dst.path || '/'), true);
      if (!isDirStat(to.stat)) throw new CliError(`destination "${container}:${inContainer(dst.path)}" must be a directory`);
      await extractArchive(process.stdin, join(to.dir, to.name), true);
    }, 'extract-to-dir');
    return 0;
  }
  const source = resolvePath(src.path);
  const st = hostStat(source, Boolean(opts.followLink));
  if (!st) throw new CliError(`lstat ${source}: no such file or directory`);
  const owner = archive ? undefined : { uid: 0, gid: 0 };
  const contents = wantsContents(src.path) && st.isDirectory();
  await withContainerRoot(engine, container, async (resolve) => {
    const to = resolve(inContainer(dst.path || '/'), true);
    if (isDirStat(to.stat)) {
      await extractArchive(archivePath(source, contents ? undefined : nameOf(source), owner), join(to.dir, to.name), true);
    } else if (to.stat) {
      if (st.isDirectory()) throw new CliError('cannot copy directory');
      await extractArchive(archivePath(source, to.name, owner), to.dir, true);
    } else {
      if (endsWithSlash(dst.path) || to.dir === '') throw new CliError('no such directory');
      await extractArchive(archivePath(source, to.name, owner), to.dir, true);
    }
  }, 'extract-to-dir');
  return 0;
}
