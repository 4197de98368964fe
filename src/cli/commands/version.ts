import { berthVersion } from '../../engine/berth-version.js';
import type { CliContext } from '../context.js';
import { INSPECT_FORMAT_HELP, parseArgs } from '../args.js';
import { CliError } from '../errors.js';

export default async function version(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<{ short?: boolean; format?: string }>(
    {
      name: 'version',
      usage: 'berth version [OPTIONS]',
      description: 'Show the berth version information',
      args: { min: 0, max: 0 },
      options: (c) => c.option('-f, --format <string>', INSPECT_FORMAT_HELP).option('--short', 'Print the version only'),
    },
    argv,
  );
  const v = berthVersion();
  if (opts.short) {
    ctx.out.line(`berth version ${v}`);
    return 0;
  }
  if (opts.format) return formatted(ctx, opts.format);
  ctx.out.line(`Client:\n Version:           ${v}\n Node version:      ${process.version}\n OS/Arch:           linux/${process.arch === 'x64' ? 'amd64' : process.arch}`);
  ctx.out.line(`\nStore:\n Root:              ${ctx.engine().root}`);
  return 0;
}

/**
 * `version --format`: Docker's versionInfo, a Client and a Server. berth has no daemon, so the
 * Server is the engine this process runs (what `berth serve` answers on /version), and scripts
 * that wait for `{{.Server.Version}}` get it.
 */
async function formatted(ctx: CliContext, format: string): Promise<number> {
  const [{ versionResponse }, { API_VERSION }, { goStruct, parseDockerFormat }] = await Promise.all([
    import('../../api/info.js'),
    import('../../api/version.js'),
    import('../format/index.js'),
  ]);
  const data = {
    Client: {
      Version: berthVersion(),
      ApiVersion: API_VERSION,
      DefaultAPIVersion: API_VERSION,
      GitCommit: '',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      BuildTime: '',
      Context: 'default',
    },
    Server: versionResponse(ctx.engine()),
  };
  try {
    ctx.out.line(parseDockerFormat(format === 'json' ? '{{json .}}' : format, 'version').execute(goStruct(data, 'system.versionInfo')));
  } catch (err) {
    const m = (err as Error).message;
    throw new CliError(m.startsWith('template: ') ? m : `template: ${m}`);
  }
  return 0;
}
