import type { Router } from '../router.js';
import type { ApiContext } from '../server.js';
import { badRequest } from '../errors.js';
import { parseFiltersParam } from '../http.js';
import { JsonMessageStream } from '../jsonstream.js';
import { platformParam } from './images.js';
import { loadContext } from '../../build/context.js';
import { buildSession } from '../../engine/build-session.js';
import { StepFailed } from '../../engine/build.js';
import { BuildCache } from '../../engine/build-cache.js';
import { parseTagTarget } from '../../engine/refs.js';
import { parseTimestamp } from '../../engine/filters.js';
import { defaultPlatform } from '../../image/platform.js';

function jsonParam<T>(text: string, what: string): T | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw badRequest(`error reading ${what}: ${(err as Error).message}`);
  }
}

export function buildRoutes(r: Router, ctx: ApiContext): void {
  const { engine } = ctx;

  /** The classic builder's endpoint: a context archive in, the step output as JSON messages out. */
  r.post('/build', async (call) => {
    const q = call.query;
    const version = q.get('version');
    if (version !== '' && version !== '1') {
      if (version === '2') throw badRequest('BuildKit (version=2) is not supported by berth serve: build with DOCKER_BUILDKIT=0');
      throw badRequest(`invalid version "${version}"`);
    }
    if (q.bool('squash')) throw badRequest('squash is only supported with experimental mode');
    const tags = q.all('t');
    for (const t of tags) parseTagTarget(t);
    const buildArgs = new Map<string, string>();
    for (const [k, v] of Object.entries(jsonParam<Record<string, string | null>>(q.get('buildargs'), 'build args') ?? {})) {
      if (v !== null && v !== undefined) buildArgs.set(k, v);
    }
    const labels = jsonParam<Record<string, string>>(q.get('labels'), 'labels') ?? {};
    const cacheFrom = jsonParam<string[]>(q.get('cachefrom'), 'cache-from') ?? [];
    const networkMode = q.get('networkmode');
    let network: 'default' | 'none' | 'host' = 'default';
    if (networkMode === 'none' || networkMode === 'host') network = networkMode;
    else if (networkMode !== '' && networkMode !== 'default' && networkMode !== 'bridge') throw badRequest(`network mode "${networkMode}" not supported by berth build (default, none, host)`);
    const platform = platformParam(call, '1.32');
    const quiet = q.bool('q');
    const remote = q.get('remote');

    const context = await loadContext({ source: remote || '-', dockerfile: q.get('dockerfile') || undefined, stdin: call.body() });
    const js = new JsonMessageStream(call);
    // With q, the step output is held back: sent only when the build fails.
    const held: string[] = [];
    try {
      await js.run(
        async () => {
          const built = await buildSession(engine, {
            context,
            tags,
            buildArgs,
            target: q.get('target') || undefined,
            labels,
            noCache: q.bool('nocache'),
            pull: q.bool('pull'),
            platforms: [platform ?? defaultPlatform()],
            network,
            addHosts: q.all('extrahosts'),
            secrets: [],
            outputs: [],
            cacheFrom,
            cacheTo: [],
            out: (line) => (quiet ? held.push(line + '\n') : js.text(line + '\n')),
          });
          const id = built[0]!.id;
          if (quiet) {
            js.text(id + '\n');
            return;
          }
          if (call.atLeast('1.30')) js.send({ id: 'moby.image.id', aux: { ID: id } });
          js.text(`Successfully built ${id.slice(7, 19)}\n`);
          for (const t of tags) js.text(`Successfully tagged ${parseTagTarget(t).familiar}\n`);
        },
        {
          code: (err) => {
            for (const l of held.splice(0)) js.text(l);
            return err instanceof StepFailed ? err.exitCode || 1 : undefined;
          },
        },
      );
    } finally {
      context.cleanup();
    }
  });

  r.post('/build/prune', (call) => {
    const filters = parseFiltersParam(call.query.get('filters'));
    let before: number | undefined;
    let none = false;
    for (const [k, values] of filters) {
      if (k === 'until' || k === 'unused-for') for (const v of values) before = Math.min(before ?? Infinity, parseTimestamp(v));
      // Cache records carry no labels (system prune passes its label filters on): none match.
      else if (k === 'label') none ||= values.length > 0;
      else if (k !== 'label!') throw badRequest(`invalid filter '${k}'`);
    }
    if (none) return call.sendJson(200, { CachesDeleted: null, SpaceReclaimed: 0 });
    const res = new BuildCache(engine.store).prune({ before });
    call.sendJson(200, { CachesDeleted: null, SpaceReclaimed: res.reclaimed });
  });

  r.post('/build/cancel', (call) => {
    if (call.query.get('id') === '') throw badRequest('build ID not provided');
    call.sendEmpty(200);
  });
}
