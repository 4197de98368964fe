import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { getContainer } from '../../engine/containers.js';

/**
 * `port`: a container's published ports. berth's containers use the host's network, where
 * nothing is published (the ports a process opens are the host's), so the list is empty.
 */
export default async function port(argv: string[], ctx: CliContext, name = 'port'): Promise<number> {
  const { args } = parseArgs(
    {
      name,
      usage: `berth ${name} CONTAINER [PRIVATE_PORT[/PROTO]]`,
      description: 'List port mappings or a specific mapping for the container',
      args: { min: 1, max: 2 },
    },
    argv,
  );
  getContainer(ctx.engine(), args[0]!);
  const wanted = args[1];
  if (wanted !== undefined) {
    const num = wanted.split('/', 1)[0]!;
    if (!/^\d+$/.test(num)) throw new CliError(`Error: invalid port (${num}): strconv.ParseUint: parsing "${num}": invalid syntax`);
    throw new CliError(`Error: No public port '${wanted}' published for ${args[0]}`);
  }
  return 0;
}
