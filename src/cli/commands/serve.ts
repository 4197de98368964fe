import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliContext } from '../context.js';
import { parseArgs, collect } from '../args.js';
import { CliError } from '../errors.js';
import type { ListenSpec } from '../../api/server.js';

/** The default socket: /var/run/berth.sock as root, else $XDG_RUNTIME_DIR/berth.sock. */
export function defaultHost(): string {
  if (process.getuid?.() === 0) return 'unix:///var/run/berth.sock';
  const dir = process.env.XDG_RUNTIME_DIR;
  if (!dir) throw new CliError('berth serve: XDG_RUNTIME_DIR is not set: give the socket with --host unix:///path');
  return `unix://${join(dir, 'berth.sock')}`;
}

/** A group name or number as a gid. */
function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text = '';
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    /* no group database */
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) return Number(gid);
  }
  throw new CliError(`berth serve: group ${group} not found`);
}

type ServeFlags = {
  host?: string[];
  group?: string;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  debug?: boolean;
};

export function listenSpecs(opts: ServeFlags): ListenSpec[] {
  const hosts = opts.host?.length ? opts.host : [defaultHost()];
  const gid = opts.group !== undefined ? groupId(opts.group) : (process.getgid?.() ?? 0);
  return hosts.map((h): ListenSpec => {
    if (h.startsWith('unix://')) {
      const path = h.slice('unix://'.length);
      if (!path.startsWith('/')) throw new CliError(`berth serve: ${h}: the socket path must be absolute`);
      return { kind: 'unix', path, gid, mode: 0o660 };
    }
    if (h.startsWith('tcp://')) {
      if (!opts.tlsverify || !opts.tlscacert || !opts.tlscert || !opts.tlskey) {
        throw new CliError(`berth serve: ${h}: listening on TCP needs --tlsverify with --tlscacert, --tlscert and --tlskey (clients must present certificates)`);
      }
      let url: URL;
      try {
        url = new URL(h);
      } catch {
        throw new CliError(`berth serve: invalid --host ${h}`);
      }
      const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
      const port = url.port === '' ? 2376 : Number(url.port);
      return { kind: 'tcp', host, port, tls: { ca: opts.tlscacert, cert: opts.tlscert, key: opts.tlskey } };
    }
    throw new CliError(`berth serve: unsupported --host ${h} (unix:///path or tcp://host:port)`);
  });
}

export default async function serve(argv: string[], ctx: CliContext): Promise<number> {
  const { opts } = parseArgs<ServeFlags>(
    {
      name: 'serve',
      usage: 'berth serve [OPTIONS]',
      description: 'Serve the Docker Engine API (for the docker CLI and SDKs) over this store',
      args: { min: 0, max: 0 },
      options: (c) =>
        c
          .option('-H, --host <address>', 'Socket to listen on: unix:///path (default /var/run/berth.sock as root, else $XDG_RUNTIME_DIR/berth.sock) or tcp://host:port with TLS', collect)
          .option('-G, --group <name>', "Group owning the unix socket (default: this user's group)")
          .option('--tlsverify', 'Require and verify client certificates (needed for tcp://)')
          .option('--tlscacert <path>', 'CA certificate clients must be signed by')
          .option('--tlscert <path>', 'Server certificate')
          .option('--tlskey <path>', 'Server key')
          .option('-D, --debug', 'Log every request on stderr'),
    },
    argv,
  );
  const specs = listenSpecs(opts);
  const { ApiServer } = await import('../../api/server.js');
  const log = (line: string) => process.stderr.write(`berth serve: ${line}\n`);
  const server = new ApiServer(ctx.engine(), { log: opts.debug ? log : undefined });
  try {
    await server.listen(specs);
  } catch (err) {
    await server.shutdown();
    throw err;
  }
  // A daemon keeps serving the other requests when one of them leaves a promise unhandled.
  process.on('unhandledRejection', (err) => log(`unhandled: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  for (const s of specs) log(`API listen on ${s.kind === 'unix' ? s.path : `${s.host}:${s.port}`}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (sig: NodeJS.Signals) => {
      // A second signal does not wait for the requests in flight.
      if (stopping) process.exit(sig === 'SIGINT' ? 130 : 143);
      stopping = true;
      log(`${sig}: finishing the requests in flight`);
      void server.shutdown().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  log('stopped');
  return 0;
}
