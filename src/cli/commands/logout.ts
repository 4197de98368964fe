import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { logout as logoutServer } from '../../engine/login.js';

export default async function logout(argv: string[], ctx: CliContext): Promise<number> {
  const { args } = parseArgs(
    {
      name: 'logout',
      usage: 'berth logout [SERVER]',
      description: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
      args: { min: 0, max: 1 },
    },
    argv,
  );
  const server = args[0];
  const hostname = server === undefined ? undefined : server;
  const res = await logoutServer(hostname);
  ctx.out.line(`Removing login credentials for ${res.hostname}`);
  if (res.errors.length) {
    ctx.out.error('WARNING: could not erase credentials:');
    for (const [k, v] of res.errors) ctx.out.error(`${k}: ${v}`);
  }
  return 0;
}
