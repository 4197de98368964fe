import { connect as tlsConnect } from 'node:tls';
import type { Dispatcher } from 'undici';
import { Agent, EnvHttpProxyAgent, request } from './undici-lean.js';
import type { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { type Endpoint, splitHostPort, trustRoots } from './hosts.js';
import { RegistryTransportError, describeTransportFailure, urlErrorPrefix } from './errors.js';

export const USER_AGENT = `berth/0.1.0 node/${process.versions.node}`;

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable | null;
  /** Follow 3xx answers (GET and HEAD only), dropping credentials when the host changes. */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

/** What callers use of a response body: undici's, or a raw GET's (raw-http.ts). */
export interface ResponseBody extends AsyncIterable<Buffer | Uint8Array> {
  /** Discards the rest of the body. */
  resume(): unknown;
  destroy(err?: Error): unknown;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
  /** The URL that answered (after redirects). */
  url: string;
}

function proxyConfigured(): boolean {
  const e = process.env;
  return Boolean(e.HTTPS_PROXY || e.https_proxy || e.HTTP_PROXY || e.http_proxy);
}

/** How long an answer may keep us waiting (headers, or between body bytes): $BERTH_REGISTRY_TIMEOUT_MS, default 60 s. */
function idleTimeout(): number {
  const v = Number(process.env.BERTH_REGISTRY_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 60_000;
}

export const TIMEOUTS = { connect: 30_000, headers: idleTimeout(), body: idleTimeout() };

/**
 * Makes the HTTP client for one endpoint: keep-alive connections, the endpoint's TLS trust and
 * client certificate, HTTP(S)_PROXY/NO_PROXY when set.
 */
export function createDispatcher(ep: Endpoint): Dispatcher {
  const tls = {
    ca: trustRoots(ep.tls),
    cert: ep.tls.cert,
    key: ep.tls.key,
    rejectUnauthorized: ep.tls.verify,
  };
  const common = {
    connections: 16,
    keepAliveTimeout: 30_000,
    headersTimeout: TIMEOUTS.headers,
    bodyTimeout: TIMEOUTS.body,
  };
  if (proxyConfigured()) {
    return new EnvHttpProxyAgent({ ...common, connect: { ...tls, timeout: TIMEOUTS.connect }, requestTls: tls });
  }
  return new Agent({ ...common, connect: { ...tls, timeout: TIMEOUTS.connect } });
}

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/**
 * Sends one request. Transport failures become {@link RegistryTransportError}s worded as Go's
 * net/http (`Get "url": dial tcp …: connect: connection refused`); HTTP statuses are returned.
 */
export async function send(dispatcher: Dispatcher, req: HttpRequest): Promise<HttpResponse> {
  let url = req.url;
  let headers: Record<string, string> = { 'user-agent': USER_AGENT, ...req.headers };
  for (let hop = 0; ; hop++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: req.method,
        headers,
        body: req.body ?? null,
        dispatcher,
        signal: req.signal,
        highWaterMark: 1 << 20,
      });
    } catch (err) {
      throw transportError(req.method, url, err);
    }
    const location = res.headers.location;
    if (req.followRedirects && res.statusCode >= 300 && res.statusCode < 400 && location && hop < 10) {
      res.body.resume();
      const next = new URL(Array.isArray(location) ? location[0]! : location, url).toString();
      if (!sameOrigin(next, url)) {
        const { authorization: _a, ...rest } = headers;
        headers = rest;
      }
      url = next;
      continue;
    }
    return { status: res.statusCode, headers: res.headers, body: res.body, url };
  }
}

export function transportError(method: string, url: string, err: unknown): RegistryTransportError {
  if (err instanceof RegistryTransportError) return err;
  const host = new URL(url).host;
  const d = describeTransportFailure(err, host, proxyConfigured() && !isNoProxy(host));
  return new RegistryTransportError(urlErrorPrefix(method, url) + d.text, d.transient, d.tls, { cause: err });
}

/** True when requests to `url` go straight to its host (no proxy applies). */
export function direct(url: string): boolean {
  return !proxyConfigured() || isNoProxy(new URL(url).host);
}

function isNoProxy(host: string): boolean {
  const list = (process.env.NO_PROXY ?? process.env.no_proxy ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return list.some((p) => p === '*' || h === p || h.endsWith(p.startsWith('.') ? p : '.' + p));
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
export async function readBody(body: AsyncIterable<Buffer | Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    n += b.length;
    if (n > limit) throw new RegistryTransportError(`response body larger than ${limit} bytes`, false, false);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * When an HTTPS connection was closed without an answer, asks the TLS layer why: a server that
 * refuses the client certificate sends an alert that the HTTP client does not report.
 */
export function probeTls(ep: Endpoint, timeoutMs = 5000): Promise<Error | undefined> {
  const { host, port } = splitHostPort(ep.host);
  return new Promise((resolve) => {
    const sock = tlsConnect({
      host,
      port: Number(port || 443),
      servername: isIP(host) ? undefined : host,
      ca: trustRoots(ep.tls),
      cert: ep.tls.cert,
      key: ep.tls.key,
      rejectUnauthorized: ep.tls.verify,
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (err: Error | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(err);
    };
    sock.once('secureConnect', () => sock.write(`GET /v2/ HTTP/1.1\r\nHost: ${ep.host}\r\nConnection: close\r\n\r\n`));
    sock.once('data', () => finish(undefined));
    sock.once('error', (err) => finish(err));
    sock.once('close', () => finish(undefined));
  });
}
