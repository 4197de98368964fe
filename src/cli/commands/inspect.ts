import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { inspectImage } from '../../engine/inspect.js';
import { renderInspect, marshal, goStruct, InspectFormatError } from '../format/index.js';
import { CliError } from '../errors.js';
import { isKind } from '../../image/errors.js';

/** The Go struct view templates see: the same fields, `Id` spelled `ID` as in Docker's types. */
function goView(obj: Record<string, unknown>): unknown {
  const { Id, ...rest } = obj;
  return goStruct({ ID: Id, ...rest }, 'image.InspectResponse');
}

export default async function inspect(argv: string[], ctx: CliContext, imageOnly = false, only?: 'container'): Promise<number> {
  const containerOnly = only === 'container';
  const name = imageOnly ? 'image inspect' : containerOnly ? 'container inspect' : 'inspect';
  const { opts, args } = parseArgs<{ format?: string; type?: string; size?: boolean }>(
    {
      name,
      usage: imageOnly
        ? 'berth image inspect [OPTIONS] IMAGE [IMAGE...]'
        : containerOnly
          ? 'berth container inspect [OPTIONS] CONTAINER [CONTAINER...]'
          : 'berth inspect [OPTIONS] NAME|ID [NAME|ID...]',
      description: imageOnly
        ? 'Display detailed information on one or more images'
        : containerOnly
          ? 'Display detailed information on one or more containers'
          : 'Return low-level information on objects',
      args: { min: 1, max: Infinity },
      options: (c) => {
        c.option('-f, --format <string>', 'Format output using a custom template');
        if (containerOnly) c.option('-s, --size', 'Display total file sizes');
        else if (!imageOnly) c.option('--type <string>', 'Return JSON for specified type').option('-s, --size', 'Display total file sizes if the type is container');
      },
    },
    argv,
  );
  if (opts.type !== undefined && opts.type !== 'image' && opts.type !== 'container') {
    throw new CliError(`"${opts.type}" is not a valid value for --type`);
  }
  const engine = ctx.engine();
  const elements = [];
  const errors: string[] = [];
  const wantContainer = containerOnly || (!imageOnly && (opts.type === undefined || opts.type === 'container'));
  const wantImage = imageOnly || (!containerOnly && opts.type !== 'container');
  for (const ref of args) {
    if (wantContainer) {
      const { lookupContainer } = await import('../../engine/containers.js');
      if (lookupContainer(engine.store, ref)) {
        const { inspectContainer } = await import('../../engine/container-inspect.js');
        const obj = inspectContainer(engine, ref, { size: opts.size });
        const { containerView } = await import('./container-view.js');
        elements.push({ value: containerView(obj), raw: marshal(obj) });
        continue;
      }
      if (!wantImage) {
        errors.push(containerOnly ? `Error response from daemon: No such container: ${ref}` : `Error: No such container: ${ref}`);
        continue;
      }
    }
    try {
      const obj = (await inspectImage(engine, ref)) as unknown as Record<string, unknown>;
      elements.push({ value: goView(obj), raw: marshal(obj) });
    } catch (err) {
      if (!isKind(err, 'not-found')) throw err;
      errors.push(imageOnly || opts.type === 'image' ? `Error response from daemon: no such image: ${ref}: No such image: ${ref}` : `Error: No such object: ${ref}`);
    }
  }
  let res;
  try {
    res = renderInspect(opts.format, elements);
  } catch (err) {
    if (err instanceof InspectFormatError) throw new CliError(err.message, err.exitCode);
    throw err;
  }
  ctx.out.write(res.output);
  const all = [...errors, ...res.errors];
  if (all.length) throw new CliError(all.join('\n'));
  return 0;
}

export const imageInspect = (argv: string[], ctx: CliContext) => inspect(argv, ctx, true);
