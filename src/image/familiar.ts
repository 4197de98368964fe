/** Docker's familiar form of a canonical repository name: docker.io/library/x → x, docker.io/a/b → a/b. */
export function familiarRepo(repo: string): string {
  if (repo.startsWith('docker.io/library/') && !repo.slice(18).includes('/')) return repo.slice(18);
  if (repo.startsWith('docker.io/')) return repo.slice(10);
  return repo;
}

export function familiarRef(repo: string, tag: string | null, digest: string | null): string {
  const r = familiarRepo(repo);
  return tag !== null ? `${r}:${tag}` : `${r}@${digest}`;
}
