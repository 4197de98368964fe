import { RegistryClient } from '../registry/client.js';
import { CredentialStore, DockerConfigFile, type AuthConfig } from '../registry/docker-config.js';
import { statusLine } from '../registry/errors.js';
import { BerthError, invalidArgument } from '../image/errors.js';
import { DOCKER_HUB_AUTH_KEY, convertToHostname } from '../image/reference.js';

export type { AuthConfig };

/** The server a `login`/`logout` argument names: Docker Hub's key when empty or `docker.io`. */
export function loginServer(arg: string | undefined): { serverAddress: string; isDefault: boolean } {
  const serverAddress = arg && arg !== 'docker.io' ? arg : DOCKER_HUB_AUTH_KEY;
  return { serverAddress, isDefault: serverAddress === DOCKER_HUB_AUTH_KEY };
}

/** The credential key for a server: the hub's full key, else host[:port] (Docker's GetDefaultAuthConfig). */
export function credentialKey(serverAddress: string, isDefault: boolean): string {
  return isDefault ? serverAddress : convertToHostname(serverAddress);
}

/** Stored credentials for a server key (credential helper or config.json). */
export async function storedCredentials(key: string): Promise<AuthConfig> {
  const a = await new CredentialStore(DockerConfigFile.load()).get(key);
  // Docker never reuses an identity token to log in again.
  return { ...a, serverAddress: key, identityToken: undefined };
}

function domainOf(serverAddress: string): string {
  const withScheme = /^https?:\/\//.test(serverAddress) ? serverAddress : `https://${serverAddress}`;
  let host: string;
  try {
    host = new URL(withScheme).host;
  } catch (err) {
    throw invalidArgument(`unable to parse server address: ${(err as Error).message}`);
  }
  return host === 'index.docker.io' ? 'docker.io' : host;
}

/**
 * Checks credentials against a registry as Docker's login does: GET /v2/ with the auth the
 * registry asks for (a token with no scope, asking for a refresh token, or basic auth). Returns
 * the identity (refresh) token the token server handed out, if any.
 */
export async function verifyLogin(auth: AuthConfig): Promise<{ status: string; identityToken?: string }> {
  const domain = domainOf(auth.serverAddress ?? DOCKER_HUB_AUTH_KEY);
  const client = new RegistryClient({
    domain,
    credentials: async () => ({ username: auth.username, password: auth.password }),
    offlineToken: true,
  });
  try {
    const res = await client.request({ method: 'GET', path: '/v2/', scopes: [], expect: [200], acceptAll: true });
    res.body.resume();
    if (res.status !== 200) {
      throw new BerthError(
        res.status === 401 || res.status === 403 ? 'unauthorized' : 'unavailable',
        `login attempt to ${res.url} failed with status: ${statusLine(res.status)}`,
      );
    }
    return { status: 'Login Succeeded', ...(client.refreshToken ? { identityToken: client.refreshToken } : {}) };
  } finally {
    await client.close();
  }
}

/**
 * Stores credentials where the Docker CLI would (credential helper or config.json, written
 * atomically). Returns the config file's path when a password went into it in plain text.
 */
export async function saveCredentials(auth: AuthConfig): Promise<string | undefined> {
  const cfg = DockerConfigFile.load();
  const toStore: AuthConfig = auth.identityToken ? { ...auth, password: undefined } : auth;
  try {
    const plaintext = await new CredentialStore(cfg).store(toStore);
    return plaintext ? cfg.filename : undefined;
  } catch (err) {
    throw new BerthError('unavailable', `Error saving credentials: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * `logout`: erases the credentials of a server under every key Docker may have stored them
 * with. Returns the host name it names, and the errors if every erase failed.
 */
export async function logout(server: string | undefined): Promise<{ hostname: string; errors: [string, string][] }> {
  const { serverAddress, isDefault } = loginServer(server);
  const hostname = isDefault ? serverAddress : convertToHostname(serverAddress);
  const keys = isDefault ? [serverAddress] : [serverAddress, hostname, `http://${hostname}`, `https://${hostname}`];
  const cfg = DockerConfigFile.load();
  const store = new CredentialStore(cfg);
  const errors: [string, string][] = [];
  for (const k of keys) {
    try {
      await store.erase(k);
    } catch (err) {
      errors.push([k, (err as Error).message]);
    }
  }
  return { hostname, errors: errors.length === keys.length ? errors : [] };
}
