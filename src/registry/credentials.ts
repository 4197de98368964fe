import { authConfigKey } from '../image/reference.js';
import { CredentialStore, DockerConfigFile, type AuthConfig } from './docker-config.js';

/**
 * The credentials the Docker CLI would send for a reference's domain: the `auths` entry, or
 * the answer of the credential helper (`credHelpers[host]`, else `credsStore`), under the key
 * `https://index.docker.io/v1/` for Docker Hub and host[:port] otherwise. Undefined when none.
 */
export async function credentialsForDomain(domain: string): Promise<AuthConfig | undefined> {
  const cfg = DockerConfigFile.load();
  const key = authConfigKey(domain);
  const a = await new CredentialStore(cfg).get(key);
  if (!a.username && !a.password && !a.identityToken && !a.registryToken) return undefined;
  return a;
}
