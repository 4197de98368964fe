import type { CliContext } from './context.js';

/** Docker's confirmation prompt: prints the question, reads one line, "y"/"Y" means yes. */
export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  ctx.out.write(`${question} [y/N] `);
  await ctx.out.drain();
  const line = await readLine(ctx.stdin);
  return line.trim().toLowerCase() === 'y';
}

async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const done = (s: string) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.pause();
      resolve(s);
    };
    const onEnd = () => done(buf);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
    input.resume();
  });
}
