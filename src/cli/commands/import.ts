import type { CliContext } from '../context.js';
import { parseArgs, collect } from '../args.js';
import { importImage } from '../../engine/import.js';
import { openInput } from '../files.js';
import { CliError } from '../errors.js';
import { parsePlatform } from '../../image/platform.js';
import { Readable } from 'node:stream';

async function openUrl(url: string): Promise<AsyncIterable<Buffer>> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    throw new CliError(`Error response from daemon: Get "${url}": ${cause?.message ?? (err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new CliError(`Error response from daemon: Get "${url}": unexpected status ${res.status}`);
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) as AsyncIterable<Buffer>;
}

export default async function importCmd(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ change?: string[]; message?: string; platform?: string }>(
    {
      name: 'import',
      usage: 'berth import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
      description: 'Import the contents from a tarball to create a filesystem image',
      args: { min: 1, max: 2 },
      options: (c) =>
        c
          .option('-c, --change <string>', 'Apply Dockerfile instruction to the created image', collect)
          .option('-m, --message <string>', 'Set commit message for imported image')
          .option('--platform <string>', 'Set platform if server is multi-platform capable'),
    },
    argv,
  );
  const [src, ref] = args as [string, string | undefined];
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  let input: AsyncIterable<Buffer>;
  let source = '-';
  if (src === '-') input = ctx.stdin as AsyncIterable<Buffer>;
  else if (/^https?:\/\//i.test(src)) {
    input = await openUrl(src);
    source = src;
  } else input = await openInput(src);
  const id = await importImage(ctx.engine(), input, {
    ref,
    changes: opts.change,
    message: opts.message,
    platform,
    source,
  });
  ctx.out.line(id);
  return 0;
}
