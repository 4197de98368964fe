import type { CliContext } from '../context.js';
import { parseArgs, collect } from '../args.js';
import { importImage } from '../../engine/import.js';
import { openInput } from '../files.js';
import { CliError } from '../errors.js';
import { parsePlatform } from '../../image/platform.js';
import type { IncomingMessage } from 'node:http';
import { parseNormalizedNamed } from '../../image/reference.js';

/** Go's http.Get as the daemon makes it for `import URL`: redirects followed, Go's error texts. */
async function openUrl(url: string): Promise<AsyncIterable<Buffer>> {
  const [{ get: httpGet }, { get: httpsGet }, { describeTransportFailure }] = await Promise.all([
    import('node:http'),
    import('node:https'),
    import('../../registry/errors.js'),
  ]);
  let target = new URL(url);
  for (let hops = 0; ; hops++) {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      (target.protocol === 'https:' ? httpsGet : httpGet)(target, resolve).on('error', reject);
    }).catch((err: unknown) => {
      throw new CliError(`Error response from daemon: Get ${JSON.stringify(target.href)}: ${describeTransportFailure(err, target.host).text}`);
    });
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location && hops < 10) {
      res.resume();
      target = new URL(res.headers.location, target);
      continue;
    }
    if (status >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString('utf8').trim();
      throw new CliError(`Error response from daemon: failed to GET ${url} with status ${status} ${res.statusMessage ?? ''}: ${body}`);
    }
    return res;
  }
}

export default async function importCmd(argv: string[], ctx: CliContext): Promise<number> {
  const { opts, args } = parseArgs<{ change?: string[]; message?: string; platform?: string }>(
    {
      name: 'import',
      usage: 'berth import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
      description: 'Import the contents from a tarball to create a filesystem image',
      args: { min: 1, max: Infinity },
      options: (c) =>
        c
          .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
          .option('-m, --message <string>', 'Set commit message for imported image')
          .option('--platform <string>', 'Set platform if server is multi-platform capable'),
    },
    argv,
  );
  const [src, ref] = args as [string, string | undefined];
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  // docker's client checks the name before it sends anything (client.ImageImport), after it
  // opened a local file.
  const checkRef = () => {
    if (!ref) return;
    try {
      parseNormalizedNamed(ref);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  };
  let input: AsyncIterable<Buffer>;
  let source = '-';
  if (src === '-') {
    checkRef();
    input = ctx.stdin as AsyncIterable<Buffer>;
  } else if (/^https?:\/\//i.test(src)) {
    checkRef();
    input = await openUrl(src);
    source = src;
    ctx.out.line(`Downloading from ${src}`);
  } else {
    input = await openInput(src);
    checkRef();
  }
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
