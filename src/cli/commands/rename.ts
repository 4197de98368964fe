import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError, describeError } from '../errors.js';
import { renameContainer } from '../../engine/containers.js';

export default async function rename(argv: string[], ctx: CliContext, name = 'rename'): Promise<number> {
  const { args } = parseArgs(
    {
      name,
      usage: `berth ${name} CONTAINER NEW_NAME`,
      description: 'Rename a container',
      args: { min: 2, max: 2 },
    },
    argv,
  );
  const [oldName, newName] = [args[0]!.trim(), args[1]!.trim()];
  if (oldName === '' || newName === '') throw new CliError('Error: Neither old nor new names may be empty');
  try {
    renameContainer(ctx.engine(), oldName, newName);
  } catch (err) {
    // The Docker CLI prints the daemon's answer, then its own line.
    throw new CliError(`${describeError(err).text}\nError: failed to rename container named ${oldName}`);
  }
  return 0;
}
