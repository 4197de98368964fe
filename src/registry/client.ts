import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { registryHost } from '../image/reference.js';
import { BerthError, corrupt } from '../image/errors.js';
import { MediaType } from '../image/mediatypes.js';
import type { AuthConfig } from './docker-config.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { registryEndpoints, type Endpoint } from './hosts.js';
import { createDispatcher, direct, header, probeTls, readBody, send, transportError, type HttpRequest, type HttpResponse } from './http.js';
import { sendRaw } from './raw-http.js';
import {
  RegistryResponseError,
  RegistryTransportError,
  isTransient,
  responseError,
  urlErrorPrefix,
} from './errors.js';

/** What berth accepts for a manifest GET: Docker schema 2 and OCI manifests and indexes. */
export const MANIFEST_ACCEPT = [
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.ociIndex,
].join(', ');

const MANIFEST_LIMIT = 4 << 20;
const ERROR_BODY_LIMIT = 64 << 10;

export interface ClientOptions {
  /** The reference's domain (`docker.io`, `127.0.0.1:5000`, `[::1]:5000`). */
  domain: string;
  /** Credentials, looked up on first need. */
  credentials?: () => Promise<AuthConfig | undefined>;
  /** Actions asked for every repository this client touches: pull, or push and pull. */
  actions?: ('pull' | 'push')[];
  /** Ask the token server for a refresh token (`docker login`). */
  offlineToken?: boolean;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

interface CachedToken {
  token: string;
  expires: number;
}

/** Retry policy: attempts and the first backoff delay ($BERTH_REGISTRY_RETRY_DELAY_MS, default 500 ms). */
export function retryPolicy(): { attempts: number; baseDelayMs: number } {
  const d = Number(process.env.BERTH_REGISTRY_RETRY_DELAY_MS);
  const a = Number(process.env.BERTH_REGISTRY_RETRIES);
  return { attempts: Number.isInteger(a) && a >= 0 ? a + 1 : 6, baseDelayMs: Number.isFinite(d) && d >= 0 ? d : 500 };
}

/** The delay before retry number `n` (0-based): exponential, capped, Retry-After honoured. */
export function backoffDelay(n: number, err: unknown): number {
  const { baseDelayMs } = retryPolicy();
  const exp = Math.min(baseDelayMs * 2 ** n, 10_000);
  const after = err instanceof RegistryResponseError ? err.retryAfterMs : undefined;
  return after !== undefined ? Math.min(Math.max(after, exp), 30_000) : exp;
}

export function digestOf(bytes: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

function destroyBody(body: unknown): void {
  if (body && typeof (body as Readable).destroy === 'function') (body as Readable).destroy();
}

function algorithmOf(digest: string): string {
  const a = digest.slice(0, digest.indexOf(':'));
  if (a !== 'sha256' && a !== 'sha384' && a !== 'sha512') throw new BerthError('invalid-argument', `unsupported digest algorithm: ${digest}`);
  return a;
}

/**
 * A client of one registry (OCI distribution spec): finds a working endpoint (HTTPS, or plain
 * HTTP for insecure registries), authenticates as the registry asks (bearer tokens per scope,
 * or basic auth), and offers the operations pull and push need.
 */
export class RegistryClient {
  readonly domain: string;
  /** The host API requests go to (`registry-1.docker.io` for Docker Hub). */
  readonly host: string;
  private endpoint: Endpoint | undefined;
  private dispatcher: Dispatcher | undefined;
  private pinging: Promise<void> | undefined;
  private challenges: Challenge[] = [];
  private readonly tokens = new Map<string, CachedToken>();
  private creds: Promise<AuthConfig | undefined> | undefined;
  private readonly actions: string;
  /** A refresh token the token server handed out (with `offlineToken`). */
  refreshToken: string | undefined;

  constructor(private readonly opts: ClientOptions) {
    this.domain = opts.domain;
    this.host = registryHost(opts.domain);
    // Docker asks for "push,pull" when pushing.
    this.actions = (opts.actions ?? ['pull']).slice().sort().reverse().join(',');
  }

  /** The chosen endpoint's base URL, e.g. `https://registry-1.docker.io`; pings first. */
  async baseUrl(): Promise<string> {
    await this.ping();
    return this.endpoint!.base;
  }

  /**
   * GET /v2/ on each candidate endpoint until one answers; keeps its auth challenges. A
   * registry that cannot be reached fails with the last endpoint's error, as Docker reports.
   */
  ping(): Promise<void> {
    this.pinging ??= this.doPing().catch((err: unknown) => {
      this.pinging = undefined;
      throw err;
    });
    return this.pinging;
  }

  private async doPing(): Promise<void> {
    const endpoints = await registryEndpoints(this.host);
    let last: unknown;
    for (const ep of endpoints) {
      const dispatcher = createDispatcher(ep);
      const url = `${ep.base}/v2/`;
      try {
        const res = await send(dispatcher, { method: 'GET', url });
        const body = await readBody(res.body, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0));
        if ((res.status >= 200 && res.status < 300) || res.status === 401) {
          this.endpoint = ep;
          this.dispatcher = dispatcher;
          this.challenges = parseChallenges(res.headers['www-authenticate']);
          return;
        }
        const e = responseError(res.status, res.headers, body);
        last = e.withMessage(urlErrorPrefix('GET', url) + e.message);
      } catch (err) {
        last = err instanceof RegistryTransportError ? err : transportError('GET', url, err);
        const code = (err as { cause?: { code?: string } }).cause?.code;
        if (ep.scheme === 'https' && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) {
          const tlsErr = await probeTls(ep);
          if (tlsErr) last = transportError('GET', url, tlsErr);
        }
      }
      await dispatcher.close().catch(() => undefined);
    }
    throw last;
  }

  async close(): Promise<void> {
    const d = this.dispatcher;
    this.dispatcher = undefined;
    this.pinging = undefined;
    await d?.close().catch(() => undefined);
  }

  private credentials(): Promise<AuthConfig | undefined> {
    this.creds ??= this.opts.credentials ? this.opts.credentials() : Promise.resolve(undefined);
    return this.creds;
  }

  scope(repo: string, actions = this.actions): string {
    return `repository:${repo}:${actions}`;
  }

  private async authorization(scopes: string[], url: string, method: string, fresh = false): Promise<string | undefined> {
    const creds = await this.credentials();
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const bearer = this.challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return `Bearer ${await this.token(bearer, scopes, url, method, fresh)}`;
    const basic = this.challenges.find((c) => c.scheme === 'basic');
    if (basic) {
      if (!creds?.username && !creds?.password) {
        throw new BerthError('unauthorized', `${urlErrorPrefix(method, url)}no basic auth credentials`);
      }
      return `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
    }
    return undefined;
  }

  /**
   * A bearer token for the scopes, from the cache or the token server named by the challenge:
   * OAuth2 refresh-token grant with an identity token, else GET with basic credentials.
   */
  private async token(ch: Challenge, scopes: string[], url: string, method: string, fresh: boolean): Promise<string> {
    const wanted = [...new Set(scopes)].sort();
    const key = wanted.join(' ');
    const cached = this.tokens.get(key);
    if (!fresh && cached && cached.expires > Date.now()) return cached.token;
    const realm = ch.params.realm;
    if (!realm) throw new BerthError('unauthorized', `${urlErrorPrefix(method, url)}no realm specified for token auth challenge`);
    const creds = await this.credentials();
    const service = ch.params.service;
    let res: HttpResponse;
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(realm);
    } catch {
      throw new BerthError('unauthorized', `${urlErrorPrefix(method, url)}invalid token auth challenge realm: ${realm}`);
    }
    if (creds?.identityToken) {
      const form = new URLSearchParams();
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', creds.identityToken);
      form.set('client_id', 'berth');
      if (service) form.set('service', service);
      if (wanted.length) form.set('scope', wanted.join(' '));
      if (this.opts.offlineToken) form.set('access_type', 'offline');
      res = await send(this.dispatcher!, {
        method: 'POST',
        url: tokenUrl.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: form.toString(),
      });
    } else {
      if (service) tokenUrl.searchParams.set('service', service);
      for (const s of wanted) tokenUrl.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds?.username) {
        tokenUrl.searchParams.set('account', creds.username);
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
      }
      if (this.opts.offlineToken) {
        tokenUrl.searchParams.set('offline_token', 'true');
        tokenUrl.searchParams.set('client_id', 'berth');
      }
      res = await send(this.dispatcher!, { method: 'GET', url: tokenUrl.toString(), headers, followRedirects: true });
    }
    const body = await readBody(res.body, 1 << 20);
    if (res.status < 200 || res.status >= 300) {
      const e = responseError(res.status, res.headers, body);
      throw e.withMessage(urlErrorPrefix(method, url) + e.message);
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number; issued_at?: string; refresh_token?: string };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch (err) {
      throw new BerthError('unauthorized', `${urlErrorPrefix(method, url)}unable to decode token response: ${(err as Error).message}`);
    }
    const token = parsed.access_token || parsed.token;
    if (!token) throw new BerthError('unauthorized', `${urlErrorPrefix(method, url)}authorization server did not include a token in the response`);
    if (parsed.refresh_token) this.refreshToken = parsed.refresh_token;
    const lifetime = Math.max(Number(parsed.expires_in) || 60, 60) * 1000;
    const issued = parsed.issued_at ? Date.parse(parsed.issued_at) : NaN;
    // Renew a little early so a token never expires in flight.
    this.tokens.set(key, { token, expires: (Number.isNaN(issued) ? Date.now() : Math.min(issued, Date.now())) + lifetime - 10_000 });
    return token;
  }

  /**
   * One authenticated request. A 401 carrying a new bearer challenge (expired token, scope
   * insufficient) gets a fresh token and one more try. Statuses outside `expect` throw the
   * registry's error; transient failures are retried with backoff when `retry` is set and the
   * body can be produced again.
   */
  async request(opts: {
    method: HttpRequest['method'];
    /** A path under the endpoint (`/v2/...`) or an absolute URL (upload locations). */
    path: string;
    scopes: string[];
    expect: number[];
    headers?: Record<string, string>;
    body?: () => Buffer | string | Readable | null;
    retry?: boolean;
    followRedirects?: boolean;
    signal?: AbortSignal;
    /** Return the response whatever its status (the caller judges it). */
    acceptAll?: boolean;
    /** A GET whose body may come through raw-http.ts (read into caller buffers); not through a proxy. */
    raw?: boolean;
  }): Promise<HttpResponse> {
    const attempts = opts.retry ? retryPolicy().attempts : 1;
    // A registry that cannot be reached at all fails at once, as Docker's ping does.
    await this.ping();
    for (let n = 0; ; n++) {
      try {
        return await this.requestOnce(opts);
      } catch (err) {
        if (n + 1 >= attempts || !isTransient(err) || opts.signal?.aborted) throw err;
        await sleep(backoffDelay(n, err));
      }
    }
  }

  private async requestOnce(opts: Parameters<RegistryClient['request']>[0]): Promise<HttpResponse> {
    await this.ping();
    const url = /^https?:\/\//.test(opts.path) ? opts.path : `${this.endpoint!.base}${opts.path}`;
    let fresh = false;
    for (let round = 0; ; round++) {
      const auth = await this.authorization(opts.scopes, url, opts.method, fresh);
      const headers: Record<string, string> = { ...opts.headers };
      if (auth) headers.authorization = auth;
      const body = opts.body ? opts.body() : null;
      let res: HttpResponse;
      try {
        res =
          opts.raw && opts.method === 'GET' && body === null && direct(url)
            ? await sendRaw(this.endpoint!, { url, headers, followRedirects: opts.followRedirects, signal: opts.signal })
            : await send(this.dispatcher!, { method: opts.method, url, headers, body, followRedirects: opts.followRedirects, signal: opts.signal });
      } catch (err) {
        destroyBody(body);
        throw err;
      }
      if (opts.expect.includes(res.status) || opts.acceptAll) return res;
      destroyBody(body);
      const errBody = opts.method === 'HEAD' ? Buffer.alloc(0) : await readBody(res.body, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0));
      if (opts.method === 'HEAD') res.body.resume();
      if (res.status === 401 && round === 0) {
        const challenges = parseChallenges(res.headers['www-authenticate']);
        const bearer = challenges.find((c) => c.scheme === 'bearer');
        const known = (scheme: string) => this.challenges.some((c) => c.scheme === scheme);
        if (bearer) {
          // A token that expired or lacks a scope: ask again, with the scope the registry names.
          // A registry whose /v2/ was open may ask for auth on a repository: take its challenge.
          if (!known('bearer')) this.challenges = challenges;
          const extra = bearer.params.scope ? bearer.params.scope.split(' ') : [];
          opts = { ...opts, scopes: [...opts.scopes, ...extra.filter((s) => !opts.scopes.includes(s))] };
          fresh = true;
          continue;
        }
        if (challenges.some((c) => c.scheme === 'basic') && !known('basic')) {
          this.challenges = challenges;
          continue;
        }
      }
      const e = responseError(res.status, res.headers, errBody);
      throw res.status === 401 || res.status === 403 ? e.withMessage(urlErrorPrefix(opts.method, url) + e.message) : e;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Manifests

  /**
   * GET a manifest or index by tag or digest, verified when asked by digest, refused over 4 MiB.
   * The media type comes from Content-Type, else the document's own `mediaType`.
   */
  async getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const byDigest = reference.includes(':');
    const res = await this.request({
      method: 'GET',
      path: `/v2/${repo}/manifests/${reference}`,
      scopes: [this.scope(repo)],
      expect: [200],
      headers: { accept: MANIFEST_ACCEPT },
      retry: true,
      followRedirects: true,
      signal,
    });
    let bytes: Buffer;
    try {
      bytes = await readBody(res.body, MANIFEST_LIMIT);
    } catch (err) {
      throw transportError('GET', res.url, err);
    }
    const algo = byDigest ? algorithmOf(reference) : 'sha256';
    const digest = digestOf(bytes, algo);
    if (byDigest && digest !== reference) throw corrupt(`manifest verification failed for digest ${reference}`);
    const announced = header(res.headers, 'docker-content-digest');
    if (!byDigest && announced && announced.startsWith('sha256:') && announced !== digest) {
      throw corrupt(`manifest verification failed for digest ${announced}`);
    }
    let mediaType = (header(res.headers, 'content-type') ?? '').split(';')[0]!.trim();
    if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain' || mediaType === 'application/octet-stream') {
      try {
        const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; schemaVersion?: number; manifests?: unknown };
        if (doc.schemaVersion === 1) mediaType = MediaType.dockerManifestV1Signed;
        else mediaType = doc.mediaType ?? (Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest);
      } catch {
        // not JSON: left to the caller to refuse
      }
    }
    return { bytes, mediaType, digest };
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry computed. */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request({
      method: 'PUT',
      path: `/v2/${repo}/manifests/${reference}`,
      scopes: [this.scope(repo)],
      expect: [200, 201, 202],
      headers: { 'content-type': mediaType },
      body: () => bytes,
      retry: true,
    });
    res.body.resume();
    return header(res.headers, 'docker-content-digest') ?? digestOf(bytes);
  }

  // ---------------------------------------------------------------------------------------
  // Blobs

  /** HEAD a blob: its size when the repository has it, undefined when not. */
  async statBlob(repo: string, digest: string): Promise<{ size: number } | undefined> {
    try {
      const res = await this.request({
        method: 'HEAD',
        path: `/v2/${repo}/blobs/${digest}`,
        scopes: [this.scope(repo)],
        expect: [200],
        retry: true,
        followRedirects: true,
      });
      res.body.resume();
      return { size: Number(header(res.headers, 'content-length') ?? -1) };
    } catch (err) {
      if (err instanceof RegistryResponseError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * Opens a blob for reading from `offset` (a Range request when > 0). Answers 200 or 206. With
   * `raw`, the body may be a RawBody (raw-http.ts) that reads into caller buffers.
   */
  async openBlob(repo: string, digest: string, offset = 0, signal?: AbortSignal, raw = false): Promise<HttpResponse> {
    return this.request({
      method: 'GET',
      path: `/v2/${repo}/blobs/${digest}`,
      scopes: [this.scope(repo)],
      expect: [200, 206],
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      followRedirects: true,
      signal,
      raw,
    });
  }

  /** Reads a small blob (a config) whole and verifies it. */
  async getBlobBytes(repo: string, digest: string, limit: number): Promise<Buffer> {
    const { attempts } = retryPolicy();
    for (let n = 0; ; n++) {
      try {
        const res = await this.openBlob(repo, digest);
        let bytes: Buffer;
        try {
          bytes = await readBody(res.body, limit);
        } catch (err) {
          throw transportError('GET', res.url, err);
        }
        if (digestOf(bytes, algorithmOf(digest)) !== digest) throw corrupt(`blob verification failed for digest ${digest}`);
        return bytes;
      } catch (err) {
        if (n + 1 >= attempts || !isTransient(err)) throw err;
        await sleep(backoffDelay(n, err));
      }
    }
  }

  /**
   * Starts an upload session (POST …/blobs/uploads/), asking to mount the blob from another
   * repository of the same registry when `mount` is given. 201 means mounted.
   */
  async startUpload(repo: string, mount?: { from: string; digest: string }): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const q = mount ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}` : '';
    const scopes = [this.scope(repo)];
    if (mount) scopes.push(this.scope(mount.from, 'pull'));
    const res = await this.request({
      method: 'POST',
      path: `/v2/${repo}/blobs/uploads/${q}`,
      scopes,
      expect: [201, 202],
      headers: { 'content-length': '0' },
      retry: true,
    });
    res.body.resume();
    if (res.status === 201) return { mounted: true };
    const loc = header(res.headers, 'location');
    if (!loc) throw new BerthError('unavailable', `registry ${this.domain} started an upload without a Location`);
    return { mounted: false, location: new URL(loc, res.url).toString() };
  }

  /** Completes an upload with its digest, sending `body` (the whole blob, or nothing after PATCHes). */
  async finishUpload(repo: string, location: string, digest: string, body?: { stream: () => Readable; size: number }): Promise<void> {
    const u = new URL(location);
    u.searchParams.set('digest', digest);
    const res = await this.request({
      method: 'PUT',
      path: u.toString(),
      scopes: [this.scope(repo)],
      expect: [201, 204],
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(body?.size ?? 0),
      },
      body: () => (body ? body.stream() : null),
    });
    res.body.resume();
  }

  /** Sends one chunk (PATCH with Content-Range); returns the next upload location. */
  async patchChunk(repo: string, location: string, start: number, size: number, stream: () => Readable): Promise<string> {
    const res = await this.request({
      method: 'PATCH',
      path: location,
      scopes: [this.scope(repo)],
      expect: [202],
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        'content-range': `${start}-${start + size - 1}`,
      },
      body: stream,
    });
    res.body.resume();
    const loc = header(res.headers, 'location');
    return loc ? new URL(loc, res.url).toString() : location;
  }

  /** How much of an upload the registry holds (GET on the location): the next offset to send. */
  async uploadOffset(repo: string, location: string): Promise<{ offset: number; location: string }> {
    const res = await this.request({ method: 'GET', path: location, scopes: [this.scope(repo)], expect: [204], retry: true });
    res.body.resume();
    const range = header(res.headers, 'range');
    const m = range ? /^(?:bytes=)?0-(\d+)$/.exec(range) : null;
    const loc = header(res.headers, 'location');
    return { offset: m ? Number(m[1]) + 1 : 0, location: loc ? new URL(loc, res.url).toString() : location };
  }

  async cancelUpload(repo: string, location: string): Promise<void> {
    try {
      const res = await this.request({ method: 'DELETE', path: location, scopes: [this.scope(repo)], expect: [204, 404] });
      res.body.resume();
    } catch {
      // the registry expires abandoned uploads itself
    }
  }

  // ---------------------------------------------------------------------------------------
  // Tags

  /** All tags of a repository, following `Link: <…>; rel="next"` pages. */
  async listTags(repo: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo}/tags/list`;
    for (let page = 0; path && page < 1000; page++) {
      const res = await this.request({ method: 'GET', path, scopes: [this.scope(repo)], expect: [200], retry: true, followRedirects: true });
      const body = await readBody(res.body, 16 << 20);
      let doc: { tags?: string[] | null };
      try {
        doc = JSON.parse(body.toString('utf8')) as typeof doc;
      } catch (err) {
        throw new BerthError('unavailable', `invalid tags list from ${this.domain}/${repo}: ${(err as Error).message}`);
      }
      tags.push(...(doc.tags ?? []));
      const link = header(res.headers, 'link');
      const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
      path = m ? new URL(m[1]!, res.url).toString() : undefined;
    }
    return tags;
  }
}
