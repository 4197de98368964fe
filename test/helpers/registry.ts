import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function haveRegistry(): boolean {
  return existsSync('/usr/bin/docker-registry');
}

/** A port nobody listens on right now. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** `host:port` as it appears in image references (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The first non-loopback IPv4 address of this machine (registries there are not insecure by default). */
export function externalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export interface RegistryOptions {
  host?: string;
  tls?: { cert: string; key: string; clientCA?: string };
  htpasswd?: string;
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

export interface RunningRegistry {
  /** host:port for references, e.g. 127.0.0.1:40123. */
  addr: string;
  dir: string;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the CNCF distribution registry (Debian's docker-registry) on a free port with its
 * storage in `dir`, waits until it answers, and returns how to reach and stop it.
 */
export async function startRegistry(dir: string, opts: RegistryOptions = {}): Promise<RunningRegistry> {
  mkdirSync(dir, { recursive: true });
  const host = opts.host ?? '127.0.0.1';
  const port = await freePort(host);
  const addr = hostPort(host, port);
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: "${addr}"`,
  ];
  if (opts.tls) {
    lines.push('  tls:', `    certificate: ${opts.tls.cert}`, `    key: ${opts.tls.key}`);
    if (opts.tls.clientCA) lines.push('    clientcas:', `      - ${opts.tls.clientCA}`);
  }
  if (opts.htpasswd) lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${opts.htpasswd}`);
  if (opts.token) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${opts.token.realm}`,
      `    service: ${opts.token.service}`,
      `    issuer: ${opts.token.issuer}`,
      `    rootcertbundle: ${opts.token.rootCertBundle}`,
    );
  }
  const cfg = join(dir, 'config.yml');
  writeFileSync(cfg, lines.join('\n') + '\n');
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => {
    log += b.toString();
  });
  const url = `${opts.tls ? 'https' : 'http'}://${addr}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${log}`);
    if (await canConnect(host, port)) break;
    if (i > 200) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not start: ${log}`);
    }
    await sleep(25);
  }
  return {
    addr,
    dir,
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([done, sleep(3000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host, port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** htpasswd file (bcrypt, as the registry requires) with the given users. */
export function htpasswdFile(dir: string, users: Record<string, string>): string {
  const file = join(dir, 'htpasswd');
  const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export interface Pki {
  caCert: string;
  caKey: string;
  /** Issues a certificate signed by the CA; `san` like `IP:192.0.2.2,DNS:localhost`. */
  issue(name: string, san: string, opts?: { client?: boolean }): { cert: string; key: string };
}

/** A throwaway certificate authority made with openssl. */
export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  const ossl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', '/CN=berth test CA']);
  return {
    caCert,
    caKey,
    issue(name, san, opts = {}) {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.crt`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(
        ext,
        `subjectAltName=${san}\nextendedKeyUsage=${opts.client ? 'clientAuth' : 'serverAuth'}\nbasicConstraints=CA:FALSE\n`,
      );
      ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
      ossl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
      return { cert, key };
    },
  };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export interface TokenIssuer {
  realm: string;
  service: string;
  issuer: string;
  rootCertBundle: string;
  /** Requests the issuer saw (for assertions): grant type, account, scopes. */
  requests: { method: string; account?: string; scopes: string[]; grant?: string }[];
  stop(): Promise<void>;
}

/**
 * A small token server as a registry's `auth.token` expects: checks basic credentials (or a
 * refresh token handed out earlier), grants what `policy` allows, and signs an RS256 JWT whose
 * `x5c` header carries the certificate the registry trusts.
 */
export async function startTokenIssuer(
  dir: string,
  users: Record<string, string>,
  policy: (account: string | undefined, repo: string, actions: string[]) => string[],
): Promise<TokenIssuer> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'token.key');
  const cert = join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=berth token issuer'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const privateKey = createPrivateKey(readFileSync(key));
  const der = new X509Certificate(readFileSync(cert)).raw.toString('base64');
  const service = 'berth-test-registry';
  const issuer = 'berth-test-issuer';
  const refreshTokens = new Map<string, string>();
  const requests: TokenIssuer['requests'] = [];

  const issue = (account: string | undefined, scopes: string[]) => {
    const access = scopes.flatMap((s) => {
      const m = /^repository:([^:]+):(.+)$/.exec(s);
      if (!m) return [];
      const granted = policy(account, m[1]!, m[2]!.split(','));
      return granted.length ? [{ type: 'repository', name: m[1]!, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [der] };
    const claims = { iss: issuer, sub: account ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16), access };
    const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(signing), privateKey);
    return `${signing}.${b64url(sig)}`;
  };

  const deny = (res: ServerResponse) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ details: 'incorrect username or password' }));
  };

  const server: Server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const finish = (account: string | undefined, scopes: string[], offline: boolean, grant?: string) => {
      requests.push({ method: req.method ?? '', account, scopes, grant });
      const body: Record<string, unknown> = { token: issue(account, scopes), expires_in: 300, issued_at: new Date().toISOString() };
      if (offline && account) {
        const rt = createHash('sha256').update(account + Math.random()).digest('hex');
        refreshTokens.set(rt, account);
        body.refresh_token = rt;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST') {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(data);
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        if (form.get('grant_type') === 'refresh_token') {
          const account = refreshTokens.get(form.get('refresh_token') ?? '');
          if (!account) return deny(res);
          return finish(account, scopes, form.get('access_type') === 'offline', 'refresh_token');
        }
        if (form.get('grant_type') === 'password') {
          const u = form.get('username') ?? '';
          if (users[u] === undefined || users[u] !== form.get('password')) return deny(res);
          return finish(u, scopes, form.get('access_type') === 'offline', 'password');
        }
        deny(res);
      });
      return;
    }
    const scopes = url.searchParams.getAll('scope');
    const auth = req.headers.authorization;
    let account: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const [u, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (users[u!] === undefined || users[u!] !== rest.join(':')) return deny(res);
      account = u;
    }
    finish(account, scopes, url.searchParams.get('offline_token') === 'true');
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: cert,
    requests,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

export interface FaultRule {
  /** Which requests the rule applies to. */
  match: (method: string, path: string, headers: Record<string, string | string[] | undefined>) => boolean;
  /** Answer with this status (and a JSON error body) instead of forwarding. */
  status?: number;
  /** Forward, but cut the connection after this many bytes of the response body. */
  dropAfter?: number;
  /** Forward, but flip one byte of the response body at this offset. */
  corruptAt?: number;
  /** Cut the connection once this many bytes of the request body went through. */
  dropRequestAfter?: number;
  /** Forward, but stop sending (without closing) after this many bytes of the response body. */
  stallAfter?: number;
  /** How many matching requests to affect (then the rule is spent). */
  times: number;
}

export interface FaultProxy {
  addr: string;
  /** Every request that reached the proxy: method, path and Range header. */
  seen: { method: string; path: string; range?: string; fault?: string }[];
  rules: FaultRule[];
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of a plain-HTTP registry that misbehaves on purpose: answers 5xx,
 * drops connections in the middle of a body, corrupts a byte. Rules are spent as they fire.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [uhost, uport] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  const seen: FaultProxy['seen'] = [];
  const rules: FaultRule[] = [];
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const server = createHttpServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const rule = rules.find((r) => r.times > 0 && r.match(method, path, req.headers));
    const entry: FaultProxy['seen'][number] = { method, path, range: req.headers.range };
    seen.push(entry);
    if (rule) rule.times--;
    if (rule?.status) {
      entry.fault = `status ${rule.status}`;
      req.resume();
      res.writeHead(rule.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected failure' }] }));
      return;
    }
    const headers = { ...req.headers, host: upstream };
    const up = httpRequest({ host: uhost, port: uport, method, path, headers }, (ur) => {
      const outHeaders = { ...ur.headers };
      if (outHeaders.location) outHeaders.location = String(outHeaders.location).replace(upstream, addr);
      res.writeHead(ur.statusCode ?? 502, outHeaders);
      let sent = 0;
      ur.on('data', (chunk: Buffer) => {
        let c = chunk;
        if (rule?.corruptAt !== undefined && sent <= rule.corruptAt && rule.corruptAt < sent + c.length) {
          c = Buffer.from(c);
          c[rule.corruptAt - sent] ^= 0xff;
          entry.fault = `corrupt at ${rule.corruptAt}`;
        }
        if (rule?.stallAfter !== undefined && sent + c.length > rule.stallAfter) {
          if (!entry.fault) {
            res.write(c.subarray(0, Math.max(0, rule.stallAfter - sent)));
            entry.fault = `stall after ${rule.stallAfter}`;
            ur.pause();
          }
          return;
        }
        if (rule?.dropAfter !== undefined && sent + c.length > rule.dropAfter) {
          res.write(c.subarray(0, Math.max(0, rule.dropAfter - sent)));
          entry.fault = `drop after ${rule.dropAfter}`;
          ur.destroy();
          res.socket?.destroy();
          return;
        }
        sent += c.length;
        res.write(c);
      });
      ur.on('end', () => res.end());
      ur.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    if (rule?.dropRequestAfter !== undefined) {
      const limit = rule.dropRequestAfter;
      let got = 0;
      req.on('data', (c: Buffer) => {
        if (got + c.length > limit) {
          up.write(c.subarray(0, Math.max(0, limit - got)));
          got = limit;
          entry.fault = `request drop after ${limit}`;
          // Give the registry the bytes, then cut both sides as a failing network would.
          setTimeout(() => {
            up.destroy();
            req.socket.destroy();
          }, 50);
          req.pause();
          return;
        }
        got += c.length;
        up.write(c);
      });
      req.on('end', () => up.end());
      return;
    }
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    addr,
    seen,
    rules,
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
