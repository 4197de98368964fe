import { spawn } from 'node:child_process';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, lstatSync, readlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BerthError, invalidArgument } from '../image/errors.js';
import { convertToHostname } from '../image/reference.js';

/** Credentials for one registry, as the Docker CLI keeps them. */
export interface AuthConfig {
  username?: string;
  password?: string;
  email?: string;
  serverAddress?: string;
  /** A refresh token for the registry's token server (OAuth2), from a previous login. */
  identityToken?: string;
  /** A bearer token sent to the registry as is. */
  registryToken?: string;
}

/** The `auths` entry as stored in config.json. */
interface StoredAuth {
  auth?: string;
  username?: string;
  password?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
  [other: string]: unknown;
}

/** The Docker CLI's configuration directory: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG || join(process.env.HOME || homedir(), '.docker');
}

function decodeAuth(auth: string, key: string): { username: string; password: string } {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) throw invalidArgument(`invalid auth configuration file: bad "auth" for ${key}`);
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1).replace(/\0+$/, '') };
}

/**
 * ~/.docker/config.json, read and written as the Docker CLI does: `auths` holds base64
 * `user:password` (or an identity token), `credsStore`/`credHelpers` name credential helpers.
 * Fields berth does not know are kept as they are when the file is saved.
 */
export class DockerConfigFile {
  private constructor(
    readonly filename: string,
    private raw: Record<string, unknown>,
    readonly existed: boolean,
  ) {}

  static load(filename = join(dockerConfigDir(), 'config.json')): DockerConfigFile {
    let text: string;
    try {
      text = readFileSync(filename, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new DockerConfigFile(filename, {}, false);
      throw new BerthError('invalid-argument', `loading config file: ${(err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      throw new BerthError('invalid-argument', `parsing config file (${filename}): ${(err as Error).message}`);
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new BerthError('invalid-argument', `parsing config file (${filename}): not a JSON object`);
    }
    return new DockerConfigFile(filename, raw as Record<string, unknown>, true);
  }

  private get storedAuths(): Record<string, StoredAuth> {
    const a = this.raw.auths;
    if (!a || typeof a !== 'object') {
      this.raw.auths = {};
      return this.raw.auths as Record<string, StoredAuth>;
    }
    return a as Record<string, StoredAuth>;
  }

  get credsStore(): string | undefined {
    return typeof this.raw.credsStore === 'string' && this.raw.credsStore ? this.raw.credsStore : undefined;
  }

  get credHelpers(): Record<string, string> {
    const h = this.raw.credHelpers;
    return h && typeof h === 'object' ? (h as Record<string, string>) : {};
  }

  /** The helper for a server (credHelpers, else credsStore), or undefined for the file itself. */
  helperFor(server: string): string | undefined {
    if (server !== '') {
      const h = this.credHelpers[server];
      if (h) return h;
    }
    return this.credsStore;
  }

  /** Keys of `auths`, as written. */
  authKeys(): string[] {
    return Object.keys(this.storedAuths);
  }

  /** The file's entry for a server, matching legacy `https://host/v1/` keys too. */
  fileAuth(server: string): AuthConfig | undefined {
    const auths = this.storedAuths;
    let key: string | undefined = Object.hasOwn(auths, server) ? server : undefined;
    if (key === undefined) key = Object.keys(auths).find((k) => convertToHostname(k) === server);
    if (key === undefined) return undefined;
    const s = auths[key] ?? {};
    const out: AuthConfig = { serverAddress: key };
    if (s.auth) Object.assign(out, decodeAuth(s.auth, key));
    else {
      if (s.username) out.username = s.username;
      if (s.password) out.password = s.password;
    }
    if (s.email) out.email = s.email;
    if (s.identitytoken) out.identityToken = s.identitytoken;
    if (s.registrytoken) out.registryToken = s.registrytoken;
    return out;
  }

  setFileAuth(server: string, a: AuthConfig): void {
    const entry: StoredAuth = {};
    if (a.username || a.password) entry.auth = Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64');
    if (a.email) entry.email = a.email;
    if (a.identityToken) entry.identitytoken = a.identityToken;
    if (a.registryToken) entry.registrytoken = a.registryToken;
    this.storedAuths[server] = entry;
  }

  deleteFileAuth(server: string): boolean {
    const auths = this.storedAuths;
    if (!Object.hasOwn(auths, server)) return false;
    delete auths[server];
    return true;
  }

  /** Same bytes as Go's json.MarshalIndent(cfg, "", "\t"). */
  serialize(): string {
    if (!this.raw.auths) this.raw = { auths: {}, ...this.raw };
    return JSON.stringify(this.raw, null, '\t').replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  }

  /**
   * Writes the file atomically: a temporary file in the same directory, fsynced, given the old
   * file's mode (0600 for a new one), renamed over the target (following a symlink).
   */
  save(): void {
    let target = this.filename;
    try {
      target = realpathSync(this.filename);
    } catch {
      try {
        if (lstatSync(this.filename).isSymbolicLink()) target = resolve(dirname(this.filename), readlinkSync(this.filename));
      } catch {
        // no file yet
      }
    }
    const dir = dirname(target);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `${basename(target)}${randomBytes(5).toString('hex')}`);
    let mode = 0o600;
    try {
      mode = statSync(target).mode & 0o777;
    } catch {
      // new file
    }
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, this.serialize());
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    try {
      chmodSync(tmp, mode);
      renameSync(tmp, target);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
      throw err;
    }
  }
}

const HELPER_PREFIX = 'docker-credential-';
const TOKEN_USERNAME = '<token>';
const NOT_FOUND = 'credentials not found in native keychain';

interface HelperCreds {
  ServerURL?: string;
  Username?: string;
  Secret?: string;
}

/** Runs `docker-credential-<name> <action>` with `input` on stdin, as docker-credential-helpers' client. */
function runHelper(name: string, action: 'get' | 'store' | 'erase' | 'list', input: string): Promise<{ code: number; out: string; error?: Error }> {
  return new Promise((resolvePromise) => {
    const child = spawn(HELPER_PREFIX + name, [action], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => resolvePromise({ code: -1, out: '', error }));
    child.on('close', (code) => resolvePromise({ code: code ?? 1, out: Buffer.concat(out).toString('utf8') }));
    child.stdin.end(input);
  });
}

function helperFailure(what: string, name: string, r: { code: number; out: string; error?: Error }): Error {
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new BerthError('unavailable', `error ${what} credentials - err: exec: "${HELPER_PREFIX}${name}": executable file not found in $PATH, out: \`\``);
  }
  const e = r.error ? r.error.message : `exit status ${r.code}`;
  return new BerthError('unavailable', `error ${what} credentials - err: ${e}, out: \`${r.out.trim()}\``);
}

async function helperGet(name: string, server: string): Promise<AuthConfig | undefined> {
  const r = await runHelper(name, 'get', server);
  if (r.code !== 0) {
    if (r.out.trim() === NOT_FOUND) return undefined;
    throw helperFailure('getting', name, r);
  }
  let c: HelperCreds;
  try {
    c = JSON.parse(r.out) as HelperCreds;
  } catch (err) {
    throw new BerthError('unavailable', `error getting credentials - ${HELPER_PREFIX}${name}: ${(err as Error).message}`);
  }
  if (c.Username === TOKEN_USERNAME) return { serverAddress: server, identityToken: c.Secret ?? '' };
  return { serverAddress: server, username: c.Username ?? '', password: c.Secret ?? '' };
}

async function helperStore(name: string, a: AuthConfig): Promise<void> {
  const creds: HelperCreds = a.identityToken
    ? { ServerURL: a.serverAddress, Username: TOKEN_USERNAME, Secret: a.identityToken }
    : { ServerURL: a.serverAddress, Username: a.username ?? '', Secret: a.password ?? '' };
  const r = await runHelper(name, 'store', JSON.stringify(creds) + '\n');
  if (r.code !== 0) {
    throw helperFailure('storing', name, r);
  }
}

async function helperErase(name: string, server: string): Promise<void> {
  const r = await runHelper(name, 'erase', server);
  if (r.code !== 0) {
    throw helperFailure('erasing', name, r);
  }
}

/**
 * The Docker CLI's credential store for one server: a helper program when `credHelpers` or
 * `credsStore` names one (the file then keeps only an empty entry), else the file.
 */
export class CredentialStore {
  constructor(readonly config: DockerConfigFile) {}

  /** Credentials for a server key (`https://index.docker.io/v1/` for Docker Hub, else host[:port]). */
  async get(server: string): Promise<AuthConfig> {
    const helper = this.config.helperFor(server);
    const file = this.config.fileAuth(server);
    if (!helper) return file ?? { serverAddress: server };
    const fromHelper = await helperGet(helper, server);
    if (!fromHelper) return { ...(file?.email ? { email: file.email } : {}), serverAddress: server };
    return { ...(file?.email ? { email: file.email } : {}), ...fromHelper };
  }

  /**
   * Stores credentials. Returns true when a password was written to the file in plain text (the
   * caller prints Docker's warning then).
   */
  async store(a: AuthConfig): Promise<boolean> {
    const server = a.serverAddress ?? '';
    const helper = this.config.helperFor(server);
    if (helper) {
      await helperStore(helper, a);
      this.config.setFileAuth(server, { email: a.email });
      this.config.save();
      return false;
    }
    this.config.setFileAuth(server, a);
    this.config.save();
    return Boolean(a.password);
  }

  /** Erases a server's credentials; the file is rewritten only when it changed. */
  async erase(server: string): Promise<void> {
    const helper = this.config.helperFor(server);
    if (helper) await helperErase(helper, server);
    if (this.config.deleteFileAuth(server)) this.config.save();
  }
}
