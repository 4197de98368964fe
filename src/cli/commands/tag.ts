import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { tagImage } from '../../engine/tag.js';
import { CliError } from '../errors.js';
import { parseAnyReference, parseNormalizedNamed, tagReferenceErrorMessage } from '../../image/reference.js';

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
  // The checks docker's client makes before it asks the daemon (client.ImageTag).
  try {
    parseAnyReference(source);
  } catch (err) {
    throw new CliError(tagReferenceErrorMessage(source, err as Error));
  }
  let ref;
  try {
    ref = parseNormalizedNamed(target);
  } catch (err) {
    throw new CliError(tagReferenceErrorMessage(target, err as Error));
  }
  if (ref.digest !== undefined) throw new CliError('refusing to create a tag with a digest reference');
  tagImage(ctx.engine(), source, target);
  return 0;
}
