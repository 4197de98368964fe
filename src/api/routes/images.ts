import { Readable } from 'node:stream';
import type { Router } from '../router.js';
import type { ApiContext } from '../server.js';
import type { Call } from '../call.js';
import { ApiError, badRequest } from '../errors.js';
import { decodeRegistryAuth, parseFiltersParam } from '../http.js';
import { JsonMessageStream, type MessageMapper } from '../jsonstream.js';
import { listImages } from '../../engine/list.js';
import { imageSharedSizes } from '../../engine/df.js';
import { inspectImage } from '../../engine/inspect.js';
import { imageHistory } from '../../engine/history.js';
import { tagImage } from '../../engine/tag.js';
import { removeImage } from '../../engine/remove.js';
import { pruneImages } from '../../engine/prune.js';
import { saveImages } from '../../engine/save.js';
import { loadImages } from '../../engine/load.js';
import { importImage } from '../../engine/import.js';
import { pullImage } from '../../engine/pull.js';
import { pushImage } from '../../engine/push.js';
import { BerthError, isKind } from '../../image/errors.js';
import { parseNormalizedNamed } from '../../image/reference.js';
import { parsePlatform, toPlatform, type PlatformLike } from '../../image/platform.js';
import type { Platform } from '../../image/types.js';
import type { ImageSummary } from '../../engine/types.js';

/** httputils.DecodePlatform: a JSON-encoded OCI platform. */
export function decodePlatform(text: string): Platform {
  let p: PlatformLike;
  try {
    p = JSON.parse(text) as PlatformLike;
  } catch (err) {
    throw badRequest(`failed to parse platform: ${(err as Error).message}`);
  }
  if (!p || typeof p !== 'object' || !p.os || !p.architecture) throw badRequest('failed to parse platform: both OS and Architecture must be provided');
  return toPlatform(p);
}

/** The `platform` parameter of create/build: "os[/arch[/variant]]". */
export function platformParam(call: Call, minVersion: string): Platform | undefined {
  const p = call.query.get('platform');
  if (p === '' || call.below(minVersion)) return undefined;
  return parsePlatform(p);
}

/** httputils.RepoTagReference: repo and tag query parameters as a target name (undefined without repo). */
export function repoTag(repo: string, tag: string): string | undefined {
  if (repo === '') return undefined;
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) throw badRequest('cannot import digest reference');
  return tag === '' ? ref.tagNameOnly().toString() : `${ref.name}:${tag}`;
}

/** The image inspect Config of API 1.50: the OCI image config, empty fields left out. */
function ociConfig(c: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!c) return null;
  const out: Record<string, unknown> = {};
  const keep = (v: unknown) =>
    !(v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0));
  for (const k of ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'ArgsEscaped', 'Healthcheck', 'OnBuild', 'Shell']) {
    if (keep(c[k])) out[k] = c[k];
  }
  return out;
}

/** An ImageSummary in the shape of the request's API version. */
export function summaryFor(call: Call, img: ImageSummary, shared?: Map<string, number>): Record<string, unknown> {
  const o: Record<string, unknown> = { ...img };
  if (shared) o.SharedSize = shared.get(img.Id) ?? 0;
  // Untagged images: "<none>" placeholders before API 1.43 (the engine's listing has them), empty lists after.
  const none = (l: string[], p: string) => l.length === 0 || (l.length === 1 && l[0] === p);
  if (none(img.RepoTags, '<none>:<none>') && none(img.RepoDigests, '<none>@<none>')) {
    const old = call.below('1.43');
    o.RepoTags = old ? ['<none>:<none>'] : [];
    o.RepoDigests = old ? ['<none>@<none>'] : [];
  }
  if (call.atLeast('1.44')) delete o.VirtualSize;
  else o.VirtualSize = img.Size;
  return o;
}

/** Pull messages: "TAG: Pulling from REPO" carries the tag (or digest reference) as the message ID. */
const pullMessages: MessageMapper = (text) => {
  const at = text.lastIndexOf(': Pulling from ');
  if (at > 0) return { status: text.slice(at + 2), id: text.slice(0, at) };
  return { status: text };
};

export function imageRoutes(r: Router, ctx: ApiContext): void {
  const { engine } = ctx;

  r.get('/images/json', (call) => {
    const filters = parseFiltersParam(call.query.get('filters'));
    if (call.below('1.41') && call.query.get('filter')) filters.set('reference', [...(filters.get('reference') ?? []), call.query.get('filter')]);
    const images = listImages(engine, { all: call.query.bool('all'), filters });
    const shared = call.atLeast('1.42') && call.query.bool('shared-size') ? imageSharedSizes(engine) : undefined;
    const out = images.map((img) => summaryFor(call, img, shared));
    call.sendJson(200, out);
  });

  r.get('/images/get', (call) => save(call, call.query.all('names')));
  r.get('/images/{name:.*}/get', (call) => save(call, [call.params.name!]));

  r.get('/images/{name:.*}/history', async (call) => {
    call.sendJson(200, await imageHistory(engine, call.params.name!));
  });

  r.get('/images/{name:.*}/json', async (call) => {
    const name = call.params.name!;
    let img: Record<string, unknown>;
    try {
      img = (await inspectImage(engine, name)) as unknown as Record<string, unknown>;
    } catch (err) {
      // dockerd's image inspect words a missing image so (the berth CLI's inspect does too).
      if (isKind(err, 'not-found') && err.message.startsWith('No such image: ')) throw new BerthError('not-found', `no such image: ${name}: ${err.message}`);
      throw err;
    }
    if (call.atLeast('1.44')) delete img.VirtualSize;
    if (call.atLeast('1.45')) {
      delete img.Container;
      delete img.ContainerConfig;
    }
    if (call.atLeast('1.50')) img.Config = ociConfig(img.Config as Record<string, unknown> | null);
    call.sendJson(200, img);
  });

  r.post('/images/load', async (call) => {
    let platform: Platform | undefined;
    if (call.atLeast('1.48')) {
      if (call.query.all('platform').length > 1) throw badRequest('multiple platform parameters not supported');
      if (call.query.get('platform')) platform = decodePlatform(call.query.get('platform'));
    }
    const quiet = call.query.boolOr('quiet', true);
    const js = new JsonMessageStream(call);
    await js.run(
      async () => {
        const res = await loadImages(engine, call.body(), { platform, progress: quiet ? undefined : js.progress });
        for (const line of res.lines) js.text(line + '\n');
      },
      { inband: true },
    );
  });

  r.post('/images/create', async (call) => {
    const q = call.query;
    const platform = platformParam(call, '1.32');
    const fromImage = q.get('fromImage');
    if (fromImage !== '') {
      // `pull -a` may send the name with a trailing colon.
      let ref = parseNormalizedNamed(fromImage.replace(/:$/, ''));
      const tag = q.get('tag');
      if (tag !== '') ref = parseNormalizedNamed(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(tag) ? `${ref.name}@${tag}` : `${ref.name}:${tag}`);
      if (ref.familiarName === 'scratch') throw new ApiError(403, "'scratch' is a reserved name");
      const auth = decodeRegistryAuth(call.req.headers);
      const js = new JsonMessageStream(call, pullMessages);
      await js.run(async () => {
        await pullImage(engine, ref.toString(), { allTags: ref.isNameOnly, platform, progress: js.progress, auth });
      });
      return;
    }
    const src = q.get('fromSrc');
    if (src === '') throw badRequest('fromImage or fromSrc is required');
    const target = repoTag(q.get('repo'), q.get('tag'));
    const js = new JsonMessageStream(call);
    await js.run(async () => {
      let input: AsyncIterable<Buffer>;
      let fromUrl = false;
      if (src === '-') input = call.body();
      else {
        const url = src.includes('://') ? src : `http://${src}`;
        let res: Response;
        try {
          res = await fetch(url, { redirect: 'follow' });
        } catch (err) {
          throw new BerthError('unavailable', `Get "${url}": ${(err as Error).message}`);
        }
        if (!res.ok || !res.body) throw new BerthError(res.status === 404 ? 'not-found' : 'unavailable', `Get "${url}": ${res.status} ${res.statusText}`);
        js.status(`Downloading from ${url}`);
        input = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) as AsyncIterable<Buffer>;
        fromUrl = true;
      }
      const id = await importImage(engine, input, {
        ref: target,
        changes: q.all('changes'),
        message: q.get('message'),
        platform,
        source: src,
        progress: fromUrl ? js.progress : undefined,
      });
      js.status(id);
    });
  });

  r.post('/images/{name:.*}/push', async (call) => {
    const name = call.params.name!;
    const tag = call.query.get('tag');
    const ref = tag !== '' ? parseNormalizedNamed(`${parseNormalizedNamed(name).name}:${tag}`) : parseNormalizedNamed(name);
    const auth = decodeRegistryAuth(call.req.headers);
    // The digest line is followed by an aux message with the same facts, as dockerd sends it.
    const js = new JsonMessageStream(call, (text) => {
      const m = /^(\S+): digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(text);
      if (!m) return { status: text };
      return [{ status: text }, { progressDetail: {}, aux: { Tag: m[1], Digest: m[2], Size: Number(m[3]) } }];
    });
    await js.run(async () => {
      await pushImage(engine, ref.toString(), { allTags: ref.isNameOnly, progress: js.progress, auth });
    });
  });

  r.post('/images/{name:.*}/tag', (call) => {
    const target = repoTag(call.query.get('repo'), call.query.get('tag'));
    if (target === undefined) throw badRequest('repository name must have at least one component');
    if (parseNormalizedNamed(target).familiarName === 'sha256') throw badRequest('refusing to create an ambiguous tag using digest algorithm as name');
    tagImage(engine, call.params.name!, target);
    call.sendEmpty(201);
  });

  r.post('/images/prune', (call) => {
    call.sendJson(200, pruneImages(engine, parseFiltersParam(call.query.get('filters'))));
  });

  r.delete('/images/{name:.*}', (call) => {
    const name = call.params.name!;
    if (name.trim() === '') throw badRequest('image name cannot be blank');
    call.sendJson(200, removeImage(engine, name, { force: call.query.bool('force'), noPrune: call.query.bool('noprune') }));
  });

  async function save(call: Call, names: string[]): Promise<void> {
    if (call.atLeast('1.48') && call.query.all('platform').length > 1) throw badRequest('multiple platform parameters not supported');
    const out = call.stream('application/x-tar');
    try {
      await saveImages(engine, names, out);
    } catch (err) {
      if (!out.started) throw err;
      call.destroy();
    }
  }
}
