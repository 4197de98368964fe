import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { chmodSync, chownSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EngineCore } from '../engine/engine.js';
import { BerthError } from '../image/errors.js';
import { Call } from './call.js';
import { Query } from './http.js';
import { Router } from './router.js';
import { API_VERSION, MIN_API_VERSION, versionLess } from './version.js';
import { messageOf, statusOf } from './errors.js';
import { EventHub } from './events.js';
import { berthVersion } from '../engine/berth-version.js';
import { systemRoutes } from './routes/system.js';
import { imageRoutes } from './routes/images.js';
import { buildRoutes } from './routes/build.js';
import { containerRoutes } from './routes/containers.js';
import { ExecRegistry, Sessions } from './sessions.js';

/** What the route handlers share. */
export interface ApiContext {
  engine: EngineCore;
  events: EventHub;
  execs: ExecRegistry;
  sessions: Sessions;
}

export type ListenSpec =
  | { kind: 'unix'; path: string; gid?: number; mode?: number }
  | { kind: 'tcp'; host: string; port: number; tls: { ca: string; cert: string; key: string } };

export interface ApiServerOptions {
  /** Called with one line per request when set (debugging). */
  log?: (line: string) => void;
}

/**
 * `berth serve`: the Docker Engine API over the engine. Handlers translate HTTP to engine calls
 * and back; all state lives in the store, so the berth CLI can work on it at the same time.
 */
export class ApiServer {
  readonly ctx: ApiContext;
  private readonly router = new Router();
  private readonly servers: { server: Server; spec: ListenSpec }[] = [];
  private readonly inflight = new Set<Call>();
  private readonly commonHeaders: Record<string, string>;
  private closing: Promise<void> | undefined;
  private gcTimer: NodeJS.Timeout | undefined;

  constructor(
    engine: EngineCore,
    private readonly opts: ApiServerOptions = {},
  ) {
    this.ctx = { engine, events: new EventHub(engine), execs: new ExecRegistry(), sessions: new Sessions() };
    this.commonHeaders = {
      'Api-Version': API_VERSION,
      'Docker-Experimental': 'false',
      Ostype: 'linux',
      Server: `berth/${berthVersion()} (linux)`,
    };
    systemRoutes(this.router, this.ctx);
    imageRoutes(this.router, this.ctx);
    buildRoutes(this.router, this.ctx);
    containerRoutes(this.router, this.ctx);
  }

  /** Starts listening on every address; a unix socket is created with the given mode and group. */
  async listen(specs: ListenSpec[]): Promise<void> {
    for (const spec of specs) {
      const server =
        spec.kind === 'tcp'
          ? createHttpsServer({
              ca: readFileSync(spec.tls.ca),
              cert: readFileSync(spec.tls.cert),
              key: readFileSync(spec.tls.key),
              requestCert: true,
              rejectUnauthorized: true,
              requestTimeout: 0,
            })
          : createHttpServer({ requestTimeout: 0 });
      server.on('request', (req, res) => void this.handle(req, res, undefined));
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.handle(req, undefined, { socket, head }));
      server.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
      if (spec.kind === 'unix') await listenUnix(server, spec);
      else {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(spec.port, spec.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      }
      this.servers.push({ server, spec });
    }
    this.gcTimer = setInterval(() => {
      try {
        this.ctx.engine.store.gc.opportunistic();
      } catch {
        /* busy: later */
      }
    }, 60_000);
    this.gcTimer.unref();
  }

  /** The TCP port actually bound (tests listen on port 0). */
  tcpPort(): number | undefined {
    for (const { server, spec } of this.servers) {
      if (spec.kind === 'tcp') {
        const a = server.address();
        if (a && typeof a === 'object') return a.port;
      }
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse | undefined, upgrade: { socket: Duplex; head: Buffer } | undefined): Promise<void> {
    const started = Date.now();
    let url: URL;
    let path: string;
    try {
      url = new URL(req.url ?? '/', 'http://berth');
      path = decodeURIComponent(url.pathname);
    } catch {
      url = new URL('http://berth/');
      path = '\0';
    }
    let version = API_VERSION;
    const vm = /^\/v([0-9.]+)(\/.*)$/s.exec(path);
    if (vm) {
      version = vm[1]!;
      path = vm[2]!;
    }
    const call = new Call(req, res, upgrade, path, new Query(url.searchParams), version, this.commonHeaders);
    this.inflight.add(call);
    try {
      const m = this.router.match(req.method ?? 'GET', path);
      if (!m) {
        call.sendJson(404, { message: 'page not found' });
        return;
      }
      if (versionLess(version, MIN_API_VERSION)) {
        throw new BerthError('invalid-argument', `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      }
      if (versionLess(API_VERSION, version)) {
        throw new BerthError('invalid-argument', `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
      }
      if (this.closing && call.method !== 'GET' && call.method !== 'HEAD') {
        throw new BerthError('unavailable', 'berth serve is shutting down');
      }
      call.params = m.params;
      await m.handler(call);
    } catch (err) {
      const status = statusOf(err);
      if (this.opts.log && status >= 500) this.opts.log(`error: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!call.headersSent) {
        try {
          call.sendJson(status, { message: messageOf(err) });
        } catch {
          call.destroy();
        }
      } else call.destroy();
    } finally {
      this.inflight.delete(call);
      this.opts.log?.(`${req.method} ${req.url} ${Date.now() - started}ms`);
    }
  }

  /**
   * Graceful shutdown: stop accepting, end the streams that never finish on their own (events,
   * attach, wait, logs --follow), let every other request finish, then close the store.
   */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      if (this.gcTimer) clearInterval(this.gcTimer);
      const closed = this.servers.map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      );
      for (const c of this.inflight) if (c.longLived) c.abort.abort();
      this.ctx.sessions.closeAll();
      while (this.inflight.size > 0) {
        for (const c of this.inflight) if (c.longLived && !c.signal.aborted) c.abort.abort();
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const { server } of this.servers) server.closeAllConnections();
      await Promise.all(closed);
      this.ctx.events.close();
      for (const { spec } of this.servers) if (spec.kind === 'unix') rmSync(spec.path, { force: true });
    })();
    return this.closing;
  }
}

/** Listens on a unix socket: a stale socket file is replaced, a live one is an error. */
async function listenUnix(server: Server, spec: Extract<ListenSpec, { kind: 'unix' }>): Promise<void> {
  if (existsSync(spec.path)) {
    if (!statSync(spec.path).isSocket()) throw new BerthError('invalid-argument', `${spec.path} exists and is not a socket`);
    const alive = await new Promise<boolean>((resolve) => {
      const s = connect(spec.path);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (alive) throw new BerthError('conflict', `listen unix ${spec.path}: bind: address already in use`);
    rmSync(spec.path, { force: true });
  }
  // The socket must never be reachable with looser permissions than asked: create it under a
  // umask that leaves only the owner, then open it to the group.
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(spec.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(old);
  }
  try {
    if (spec.gid !== undefined) chownSync(spec.path, -1, spec.gid);
    chmodSync(spec.path, spec.mode ?? 0o660);
  } catch (err) {
    server.close();
    rmSync(spec.path, { force: true });
    throw new BerthError('unavailable', `cannot set the permissions of ${spec.path}: ${messageOf(err)}`);
  }
}
