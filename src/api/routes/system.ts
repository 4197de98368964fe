import type { Router } from '../router.js';
import type { ApiContext } from '../server.js';
import type { Call } from '../call.js';
import { badRequest } from '../errors.js';
import { parseFiltersParam } from '../http.js';
import { EVENT_FILTERS, eventJson, eventMatcher } from '../events.js';
import { infoResponse, versionResponse } from '../info.js';
import { summaryFor } from './images.js';
import { diskUsage } from '../../engine/df.js';
import { parseTimestamp, validateFilters } from '../../engine/filters.js';
import { verifyLogin, type AuthConfig } from '../../engine/login.js';
import type { StoredEvent } from '../../store/events.js';

/** Docker's timetypes.ParseTimestamps of since/until ("seconds[.nanoseconds]", dates, durations) in µs. */
export function eventTimeUs(value: string): number | undefined {
  if (value === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (m) return Number(m[1]) * 1e6 + Math.floor(Number((m[2] ?? '').padEnd(9, '0')) / 1000);
  return parseTimestamp(value) * 1000;
}

/** GET and HEAD /_ping, with the headers clients read the server's capabilities from. */
function ping(call: Call): void {
  const headers = {
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Builder-Version': '1',
    Swarm: 'inactive',
  };
  if (call.method === 'HEAD') call.sendEmpty(200, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
  else call.sendText(200, 'OK', 'text/plain; charset=utf-8', headers);
}

export function systemRoutes(r: Router, ctx: ApiContext): void {
  const { engine } = ctx;
  r.get('/_ping', ping);
  r.head('/_ping', ping);
  r.get('/version', (call) => call.sendJson(200, versionResponse(engine)));
  r.get('/info', (call) => call.sendJson(200, infoResponse(engine, call.version)));

  r.get('/system/df', (call) => {
    let wanted = new Set(['container', 'image', 'volume', 'build-cache']);
    if (call.atLeast('1.42') && call.query.has('type')) {
      wanted = new Set();
      for (const t of call.query.all('type')) {
        if (!['container', 'image', 'volume', 'build-cache'].includes(t)) throw badRequest(`unknown object type: ${t}`);
        wanted.add(t);
      }
    }
    const du = diskUsage(engine);
    const images = du.Images.map((i) => summaryFor(call, i));
    call.sendJson(200, {
      LayersSize: wanted.has('image') ? du.LayersSize : 0,
      Images: wanted.has('image') ? images : null,
      Containers: wanted.has('container') ? du.Containers : null,
      Volumes: wanted.has('volume') ? du.Volumes : null,
      BuildCache: wanted.has('build-cache') ? du.BuildCache : null,
      BuilderSize: 0,
    });
  });

  r.get('/events', async (call) => {
    const filters = parseFiltersParam(call.query.get('filters'));
    validateFilters(filters, EVENT_FILTERS);
    const since = eventTimeUs(call.query.get('since'));
    const until = eventTimeUs(call.query.get('until'));
    const nowUs = Date.now() * 1000;
    if (until !== undefined && since !== undefined && until < since) {
      throw badRequest(`\`since\` time (${call.query.get('since')}) cannot be after \`until\` time (${call.query.get('until')})`);
    }
    const match = eventMatcher(filters);
    const deprecated = call.below('1.52');
    const wanted = (e: StoredEvent) =>
      (since === undefined || e.timeUs >= since) && (until === undefined || e.timeUs <= until) && !(call.below('1.46') && e.type === 'image' && e.action === 'create') && match(e);
    call.longLived = true;
    const out = call.stream('application/json', { flush: true });
    const sub = ctx.events.subscribe(
      (e) => {
        if (wanted(e)) out.write(eventJson(e, deprecated));
      },
      { past: since !== undefined || until !== undefined },
    );
    try {
      for (const e of sub.past) if (wanted(e)) out.write(eventJson(e, deprecated));
      if (until !== undefined && until <= nowUs) return;
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        call.signal.addEventListener('abort', done, { once: true });
        if (until !== undefined) setTimeout(done, (until - nowUs) / 1000).unref();
      });
    } finally {
      sub.unsubscribe();
      out.end();
    }
  });

  r.post('/auth', async (call) => {
    const body = (await call.json<Record<string, string>>()) ?? {};
    const auth: AuthConfig = {
      username: body.username || undefined,
      password: body.password || undefined,
      email: body.email || undefined,
      serverAddress: body.serveraddress || undefined,
      identityToken: body.identitytoken || undefined,
      registryToken: body.registrytoken || undefined,
    };
    const res = await verifyLogin(auth);
    call.sendJson(200, res.identityToken ? { IdentityToken: res.identityToken, Status: res.status } : { IdentityToken: '', Status: res.status });
  });

  // berth has no networks or volumes of its own (containers use the host's network or none, and
  // bind mounts): these answer so, for the clients that ask (system prune, compose).
  r.get('/networks', (call) => call.sendJson(200, []));
  r.post('/networks/prune', (call) => call.sendJson(200, { NetworksDeleted: null }));
  r.get('/volumes', (call) => call.sendJson(200, { Volumes: [], Warnings: null }));
  r.post('/volumes/prune', (call) => call.sendJson(200, { VolumesDeleted: null, SpaceReclaimed: 0 }));
}
