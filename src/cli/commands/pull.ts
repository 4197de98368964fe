import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { bar } from '../progress.js';
import { pullImage } from '../../engine/pull.js';
import { BerthError } from '../../image/errors.js';
import { parseNormalizedNamed, type NamedReference } from '../../image/reference.js';
import { parsePlatform, type Platform } from '../../image/platform.js';
import type { ProgressEvent } from '../../image/progress.js';
import { baselineWasmOnly } from '../wasm-baseline.js';

/**
 * Prints pull/push progress as the Docker CLI prints its JSON message stream: on a terminal one
 * line per layer, rewritten in place with a bar; otherwise one line per event, without the byte
 * counts. Remembers whether anything was emitted: Docker reports errors that come after the
 * stream began without the "Error response from daemon: " prefix.
 */
export class JsonStreamPrinter {
  started = false;
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly out: Output,
    private readonly tty: boolean,
    private readonly quiet = false,
  ) {}

  readonly handler = (e: ProgressEvent): void => {
    this.started = true;
    if (this.quiet) return;
    if (e.kind === 'message' || (e.kind === 'status' && !e.id)) {
      this.ids.clear();
      this.out.line(e.kind === 'message' ? e.text : e.status);
      return;
    }
    const id = e.id ?? '';
    const text = e.kind === 'status' ? `${e.status} ` : `${e.action} ${bar(e.current, e.total)}`;
    if (!this.tty) {
      if (e.kind === 'status') this.out.line(`${id}: ${e.status}`);
      return;
    }
    let line = this.ids.get(id);
    if (line === undefined) {
      line = this.ids.size;
      this.ids.set(id, line);
      this.out.write('\n');
    }
    const diff = this.ids.size - line;
    this.out.write(`\x1b[${diff}A\x1b[2K\r${id}: ${text}\r\x1b[${diff}B`);
  };
}

/** Parses what the user named the way the Docker CLI does before asking the engine. */
export function parseRemote(input: string): NamedReference {
  try {
    return parseNormalizedNamed(input);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
}

export default async function pull(argv: string[], ctx: CliContext): Promise<number> {
  baselineWasmOnly();
  const { opts, args } = parseArgs<{ allTags?: boolean; platform?: string; quiet?: boolean }>(
    {
      name: 'pull',
      usage: 'berth pull [OPTIONS] NAME[:TAG|@DIGEST]',
      description: 'Download an image from a registry',
      args: { min: 1, max: 1 },
      options: (c) =>
        c
          .option('-a, --all-tags', 'Download all tagged images in the repository')
          // Accepted as Docker accepts it when content trust is off (its default); berth has no notary.
          .option('--disable-content-trust', 'Skip image verification', true)
          .option('--platform <string>', 'Set platform if server is multi-platform capable', process.env.DOCKER_DEFAULT_PLATFORM || undefined)
          .option('-q, --quiet', 'Suppress verbose output'),
    },
    argv,
  );
  let ref = parseRemote(args[0]!);
  if (opts.allTags && !ref.isNameOnly) throw new CliError("tag can't be used with --all-tags/-a");
  if (!opts.allTags && ref.isNameOnly) {
    ref = ref.tagNameOnly();
    if (!opts.quiet) ctx.out.line(`Using default tag: ${ref.tag}`);
  }
  let platform: Platform | undefined;
  if (opts.platform) {
    try {
      platform = parsePlatform(opts.platform);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  }
  const printer = new JsonStreamPrinter(ctx.out, ctx.out.isTTY, Boolean(opts.quiet));
  try {
    await pullImage(ctx.engine(), ref.toString(), { allTags: opts.allTags, platform, progress: printer.handler });
  } catch (err) {
    if (printer.started && err instanceof BerthError) throw new CliError(err.message);
    throw err;
  }
  ctx.out.line(ref.toString());
  return 0;
}
