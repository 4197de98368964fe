import { createContext, type CommandFn } from './context.js';

/**
 * Runs a command on the store at `root` and turns what it throws into Docker's one-line error
 * and exit code. In the CLI bundle every command file carries its own copy of this runner, so
 * the errors it recognises are the classes that command's code throws.
 */
export async function runCommand(command: CommandFn, args: string[], root: string | undefined): Promise<number> {
  const ctx = createContext(root);
  try {
    const code = (await command(args, ctx)) ?? 0;
    await ctx.drain();
    return code;
  } catch (err) {
    // args.js is loaded only by commands that needed the full parser.
    if (err instanceof Error && err.name === 'HelpShown') return 0;
    await ctx.drain();
    const { describeError } = await import('./errors.js');
    const { text, code } = describeError(err);
    process.stderr.write(text + '\n');
    if (process.env.BERTH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return code;
  } finally {
    ctx.dispose();
  }
}
