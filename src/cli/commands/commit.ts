import type { CliContext } from '../context.js';
import { collect, parseArgs } from '../args.js';
import { commitContainer } from '../../engine/commit.js';

export default async function commit(argv: string[], ctx: CliContext, name = 'commit'): Promise<number> {
  const { opts, args } = parseArgs<{ author?: string; change?: string[]; message?: string; pause?: boolean }>(
    {
      name,
      usage: `berth ${name} [OPTIONS] CONTAINER [REPOSITORY[:TAG]]`,
      description: "Create a new image from a container's changes",
      args: { min: 1, max: 2 },
      options: (c) =>
        c
          .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
          .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
          .option('-m, --message <string>', 'Commit message')
          .option('-p, --pause', 'Pause container during commit', true),
    },
    argv,
  );
  const pause = opts.pause !== false;
  const id = await commitContainer(ctx.engine(), args[0]!, {
    ref: args[1],
    author: opts.author,
    message: opts.message,
    changes: opts.change,
    pause,
  });
  ctx.out.line(id);
  return 0;
}
