import { writeFileSync } from 'node:fs';
import type { FlagSet } from '../args.js';
import type { CliContext } from '../context.js';
import { collect, flagError, parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { humanSize } from '../format/units.js';
import { loadContext, type BuildContext } from '../../build/context.js';
import { buildSession, closeActiveSessions, parseOutput, type BuildOutput } from '../../engine/build-session.js';
import { StepFailed, type BuildSecret } from '../../engine/build.js';
import { BerthError } from '../../image/errors.js';
import { defaultPlatform, parsePlatform } from '../../image/platform.js';
import { parseTagTarget } from '../../engine/refs.js';
import { familiarRef } from '../../image/familiar.js';

export interface BuildFlags {
  tag?: string[];
  file?: string;
  buildArg?: string[];
  target?: string;
  label?: string[];
  cache?: boolean;
  pull?: boolean;
  iidfile?: string;
  quiet?: boolean;
  network?: string;
  addHost?: string[];
  secret?: string[];
  platform?: string[];
  output?: string[];
  push?: boolean;
  load?: boolean;
  cacheFrom?: string[];
  cacheTo?: string[];
  progress?: string;
  parent?: boolean;
}

/** The flags of `docker build` / `docker buildx build` that berth honours (others are accepted). */
export function buildOptions(c: FlagSet): void {
  c.option('-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format', collect)
    .option('-f, --file <string>', 'Name of the Dockerfile (Default is "PATH/Dockerfile")')
    .option('--build-arg <list>', 'Set build-time variables', collect)
    .option('--target <string>', 'Set the target build stage to build.')
    .option('--label <list>', 'Set metadata for an image', collect)
    .option('--disable-content-trust', 'Skip image verification', true)
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('--iidfile <string>', 'Write the image ID to the file')
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build (default "default")')
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect)
    .option('--secret <stringArray>', 'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")', collect)
    .option('--platform <string>', 'Set platform if server is multi-platform capable', collect)
    .option('-o, --output <stringArray>', 'Output destination (format: "type=local,dest=path")', collect)
    .option('--push', 'Shorthand for "--output=type=registry"')
    .option('--load', 'Shorthand for "--output=type=docker"')
    .option('--cache-from <stringArray>', 'External cache sources (e.g., "user/app:cache", "type=local,src=path/to/dir")', collect)
    .option('--cache-to <stringArray>', 'Cache export destinations (e.g., "user/app:cache", "type=local,dest=path/to/dir")', collect)
    .option('--progress <string>', 'Set type of progress output ("auto", "plain", "tty", "quiet")')
    .option('--no-parent', 'Do not record intermediate images (each step\'s result) as images')
    .option('--rm', 'Remove intermediate containers after a successful build (default true)')
    .option('--force-rm', 'Always remove intermediate containers')
    .option('--compress', 'Compress the build context using gzip')
    .option('--isolation <string>', 'Container isolation technology')
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--builder <string>', 'Override the configured builder instance')
    .option('--provenance <string>', 'Shorthand for "--attest=type=provenance"')
    .option('--sbom <string>', 'Shorthand for "--attest=type=sbom"')
    .option('--ssh <stringArray>', 'SSH agent socket or keys to expose to the build', collect);
}

function parseBuildArgs(list: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of list) {
    const i = a.indexOf('=');
    if (i < 0) {
      // `--build-arg NAME` takes the value from the environment, and is dropped when unset.
      const v = process.env[a];
      if (v !== undefined) m.set(a, v);
    } else m.set(a.slice(0, i), a.slice(i + 1));
  }
  return m;
}

function parseLabels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf('=');
    if (i < 0) out[l] = '';
    else out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

function parseSecrets(list: string[]): BuildSecret[] {
  return list.map((s) => {
    const f: Record<string, string> = {};
    for (const part of s.split(',')) {
      const i = part.indexOf('=');
      f[(i < 0 ? part : part.slice(0, i)).toLowerCase()] = i < 0 ? '' : part.slice(i + 1);
    }
    const id = f.id ?? '';
    if (!id) throw new CliError(`invalid secret: ${s}: id is required`);
    const src = f.src ?? f.source;
    const env = f.env;
    return { id, src: src || undefined, env: env || undefined };
  });
}

export async function runBuild(argv: string[], ctx: CliContext, name: string): Promise<number> {
  const { opts, args } = parseArgs<BuildFlags & Record<string, unknown>>(
    {
      name,
      usage: `berth ${name} [OPTIONS] PATH | URL | -`,
      description: 'Build an image from a Dockerfile',
      args: { min: 1, max: 1 },
      options: buildOptions,
    },
    argv,
  );
  const quiet = !!opts.quiet || opts.progress === 'quiet';
  if (opts.progress && !['auto', 'plain', 'tty', 'quiet', 'rawjson'].includes(opts.progress)) {
    throw new CliError(`invalid progress mode "${opts.progress}"`);
  }
  for (const t of opts.tag ?? []) {
    try {
      parseTagTarget(t);
    } catch (err) {
      throw flagError({ name, usage: `berth ${name} [OPTIONS] PATH | URL | -` }, `invalid argument "${t}" for "-t, --tag" flag: ${(err as Error).message}`);
    }
  }
  const outputs: BuildOutput[] = [];
  try {
    for (const o of opts.output ?? []) outputs.push(parseOutput(o));
  } catch (err) {
    throw new CliError(`invalid argument for "-o, --output" flag: ${(err as Error).message}`, 125);
  }
  if (opts.load) outputs.push({ type: 'docker', attrs: {} });
  const platforms = (opts.platform ?? []).flatMap((p) => p.split(',')).filter(Boolean).map((p) => parsePlatform(p));
  let network: 'default' | 'none' | 'host' = 'default';
  if (opts.network) {
    if (!['default', 'none', 'host', 'bridge'].includes(opts.network)) throw new CliError(`network mode "${opts.network}" not supported by berth build (default, none, host)`);
    network = opts.network === 'bridge' ? 'default' : (opts.network as typeof network);
  }

  // The context is loaded by the build session, so its temporary files live in the build's
  // scratch space in the store, reclaimed even if this process is killed.
  let contextError: unknown;
  const loader = async (tempDir: (prefix: string) => string): Promise<BuildContext> => {
    let context: BuildContext;
    try {
      context = await loadContext({ source: args[0]!, dockerfile: opts.file, stdin: ctx.stdin as AsyncIterable<Buffer>, tempDir });
    } catch (err) {
      contextError = err;
      throw err;
    }
    if (!quiet) {
      let size = 2048;
      if (context.root) {
        const { DirIndex } = await import('../../build/dir-index.js');
        context.files = new DirIndex(context.root, context.ignore);
        size = context.files.tarSize;
      }
      // Docker's progress writer ends this line with \r\r\n when stdout is not a terminal.
      ctx.out.write(`Sending build context to Docker daemon  ${humanSize(size)}${ctx.out.isTTY ? '\n' : '\r\r\n'}`);
    }
    return context;
  };
  // An interrupted build removes its RUN containers and scratch space before exiting.
  const onSignal = (sig: NodeJS.Signals) => {
    void (async () => {
      try {
        const { cleanupActiveRuns } = await import('../../engine/build-run.js');
        await cleanupActiveRuns();
        closeActiveSessions();
      } finally {
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
    })();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const lines: string[] = [];
    const out = (t: string) => {
      if (quiet) lines.push(t);
      else ctx.out.line(t);
    };
    let built;
    try {
      built = await buildSession(ctx.engine(), {
        context: loader,
        tags: opts.tag ?? [],
        buildArgs: parseBuildArgs(opts.buildArg ?? []),
        target: opts.target,
        labels: parseLabels(opts.label ?? []),
        noCache: opts.cache === false,
        pull: !!opts.pull,
        platforms: platforms.length ? platforms : [defaultPlatform()],
        network,
        addHosts: opts.addHost ?? [],
        secrets: parseSecrets(opts.secret ?? []),
        noParent: opts.parent === false,
        outputs,
        push: !!opts.push,
        cacheFrom: opts.cacheFrom ?? [],
        cacheTo: opts.cacheTo ?? [],
        out,
      });
    } catch (err) {
      if (err === contextError) {
        if (err instanceof BerthError && !/cannot be empty/.test(err.message)) throw new CliError(err.message);
        throw err;
      }
      // Like docker -q: the suppressed output goes to stderr when the build fails.
      if (quiet) for (const l of lines) ctx.out.error(l);
      await ctx.out.drain();
      if (err instanceof StepFailed) throw new CliError(err.message, err.exitCode || 1);
      if (err instanceof BerthError) throw new CliError(err.message);
      throw err;
    }
    const image = built[0]!;
    if (opts.iidfile) writeFileSync(opts.iidfile, image.id);
    if (quiet) {
      ctx.out.line(image.id);
      return 0;
    }
    ctx.out.line(`Successfully built ${image.id.slice(7, 19)}`);
    const toStore = outputs.length === 0 || outputs.some((o) => o.type === 'docker' || o.type === 'image');
    if (toStore) {
      for (const t of opts.tag ?? []) {
        const target = parseTagTarget(t);
        ctx.out.line(`Successfully tagged ${familiarRef(target.repo, target.tag, null)}`);
      }
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export default async function build(argv: string[], ctx: CliContext): Promise<number> {
  return runBuild(argv, ctx, 'build');
}
