import type { CliContext } from '../context.js';
import { INSPECT_FORMAT_HELP, parseArgs } from '../args.js';
import { inspectImage } from '../../engine/inspect.js';
import { renderInspect, marshal, InspectFormatError } from '../format/index.js';
import { imageView } from './image-view.js';
import { CliError } from '../errors.js';
import { BerthError } from '../../image/errors.js';

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
        c.option('-f, --format <string>', INSPECT_FORMAT_HELP);
        if (containerOnly) c.option('-s, --size', 'Display total file sizes');
        else if (!imageOnly) c.option('--type <string>', 'Only inspect objects of the given type').option('-s, --size', 'Display total file sizes if the type is container');
      },
    },
    argv,
  );
  const types = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];
  if (opts.type !== undefined && opts.type !== '' && !types.includes(opts.type)) {
    throw new CliError(`unknown type: ${JSON.stringify(opts.type)}: must be one of "${types.join('", "')}"`);
  }
  if (opts.type === '') opts.type = undefined;
  const engine = ctx.engine();
  const elements = [];
  const errors: string[] = [];
  const wantContainer = containerOnly || (!imageOnly && (opts.type === undefined || opts.type === 'container'));
  const wantImage = imageOnly || (!containerOnly && (opts.type === undefined || opts.type === 'image'));
  // What the daemon says about objects berth does not have (networks, volumes, swarm objects).
  const otherMissing: Record<string, (ref: string) => string> = {
    volume: (ref) => `get ${ref}: no such volume`,
    network: (ref) => `network ${ref} not found`,
    plugin: (ref) => `plugin ${JSON.stringify(ref)} not found`,
  };
  for (const ref of args) {
    if (!wantContainer && !wantImage) {
      const swarm = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
      errors.push(`Error response from daemon: ${otherMissing[opts.type!]?.(ref) ?? swarm}`);
      continue;
    }
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
        errors.push(`Error response from daemon: No such container: ${ref}`);
        continue;
      }
    }
    try {
      const obj = (await inspectImage(engine, ref)) as unknown as Record<string, unknown>;
      if (opts.size) process.stderr.write('WARNING: --size ignored for image\n');
      elements.push({ value: imageView(obj), raw: marshal(obj) });
    } catch (err) {
      if (!(err instanceof BerthError) || (err.kind !== 'not-found' && err.kind !== 'invalid-argument')) throw err;
      // An invalid reference is "skippable" to docker inspect like a missing object.
      errors.push(imageOnly || opts.type === 'image' ? `Error response from daemon: no such image: ${ref}: ${err.message}` : `Error: No such object: ${ref}`);
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
