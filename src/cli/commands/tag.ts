import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { tagImage } from '../../engine/tag.js';
import { BerthError } from '../../image/errors.js';
import { CliError } from '../errors.js';
import { parseTagTarget } from '../../engine/refs.js';

export default async function tag(argv: string[], ctx: CliContext): Promise<number> {
  const { args } = parseArgs(
    {
      name: 'tag',
      usage: 'berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
      description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
      args: { min: 2, max: 2 },
    },
    argv,
  );
  const [source, target] = args as [string, string];
  try {
    parseTagTarget(target);
  } catch (err) {
    const msg = err instanceof BerthError || err instanceof Error ? err.message : String(err);
    throw new CliError(`Error parsing reference: "${target}" is not a valid repository/tag: ${msg}`);
  }
  tagImage(ctx.engine(), source, target);
  return 0;
}
