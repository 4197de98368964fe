import { createInterface } from 'node:readline';
import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { CliError } from '../errors.js';
import { credentialKey, loginServer, saveCredentials, storedCredentials, verifyLogin, type AuthConfig } from '../../engine/login.js';
import { isKind } from '../../image/errors.js';
import { DOCKER_HUB_AUTH_KEY } from '../../image/reference.js';
import { baselineWasmOnly } from '../wasm-baseline.js';

const PLAINTEXT_WARNING = (file: string) =>
  `\nWARNING! Your credentials are stored unencrypted in '${file}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from the terminal; with `hidden`, what is typed is not echoed. */
function prompt(ctx: CliContext, question: string, hidden = false): Promise<string> {
  return new Promise((resolve) => {
    const stdin = ctx.stdin as NodeJS.ReadStream;
    const rl = createInterface({ input: stdin, output: process.stdout, terminal: true });
    if (hidden) {
      const rlo = rl as unknown as { _writeToOutput?: (s: string) => void };
      rlo._writeToOutput = (s: string) => {
        if (s.includes('\n') || s.includes('\r') || s === question) process.stdout.write(s === question ? s : '');
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stdout.write('\n');
      resolve(answer.trim());
    });
  });
}

export default async function login(argv: string[], ctx: CliContext): Promise<number> {
  baselineWasmOnly();
  const { opts, args } = parseArgs<{ username?: string; password?: string; passwordStdin?: boolean }>(
    {
      name: 'login',
      usage: 'berth login [OPTIONS] [SERVER]',
      description: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
      args: { min: 0, max: 1 },
      options: (c) =>
        c
          .option('-u, --username <string>', 'Username')
          .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
          .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin'),
    },
    argv,
  );
  if (opts.passwordStdin) {
    if (opts.password !== undefined) throw new CliError('conflicting options: cannot specify both --password and --password-stdin');
    if (opts.username === undefined) throw new CliError('the --password-stdin option requires --username to be set');
  }
  if (opts.username !== undefined && opts.username === '') throw new CliError('username is empty');
  if (opts.password !== undefined && opts.password === '') throw new CliError('password is empty');
  let user = opts.username ?? '';
  let password = opts.password ?? '';
  if (password !== '') ctx.out.error('WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
  if (opts.passwordStdin) {
    password = (await readAll(ctx.stdin)).replace(/\n$/, '').replace(/\r$/, '');
  }

  const { serverAddress, isDefault } = loginServer(args[0]);
  const key = credentialKey(serverAddress, isDefault);
  let auth: AuthConfig = { serverAddress: key };
  let stored: AuthConfig | undefined;
  if (user === '' && password === '') {
    try {
      stored = await storedCredentials(key);
    } catch {
      stored = undefined;
    }
  }
  let result: { status: string; identityToken?: string } | undefined;
  if (stored?.username && stored.password) {
    ctx.out.error(`Authenticating with existing credentials... [Username: ${stored.username}]`);
    ctx.out.error("\n Info -> To login with a different account, run 'berth logout' followed by 'berth login'\n\n");
    auth = stored;
    try {
      result = await verifyLogin(auth);
    } catch (err) {
      if (isKind(err, 'unauthorized')) ctx.out.error('Stored credentials invalid or expired');
      else ctx.out.error(`Login did not succeed, error: ${(err as Error).message}`);
      result = undefined;
    }
  }
  if (!result) {
    const defaultUser = stored?.username ?? '';
    if ((user === '' || password === '') && !(ctx.stdin as NodeJS.ReadStream).isTTY) {
      throw new CliError('Error: Cannot perform an interactive login from a non TTY device');
    }
    if (user.trim() === '') {
      if (key === DOCKER_HUB_AUTH_KEY) {
        ctx.out.line(
          "Log in with your Docker ID or email address to push and pull images from Docker Hub. If you don't have a Docker ID, head over to https://hub.docker.com/ to create one.",
        );
      }
      user = await prompt(ctx, defaultUser ? `Username (${defaultUser}): ` : 'Username: ');
      if (user === '') user = defaultUser;
      if (user === '') throw new CliError('Error: Non-null Username Required');
    }
    if (password.trim() === '') {
      password = await prompt(ctx, 'Password: ', true);
      if (password === '') throw new CliError('Error: Password Required');
    }
    auth = { serverAddress: key, username: user.trim(), password };
    result = await verifyLogin(auth);
  }
  const toStore: AuthConfig = result.identityToken ? { ...auth, password: undefined, identityToken: result.identityToken } : auth;
  const plaintextFile = await saveCredentials(toStore);
  if (plaintextFile) ctx.out.error(PLAINTEXT_WARNING(plaintextFile));
  ctx.out.line(result.status);
  return 0;
}
