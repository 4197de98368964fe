/**
 * `user[:group]` of a container process resolved against the container's own /etc/passwd and
 * /etc/group, as runc's libcontainer/user.GetExecUser does for Docker.
 */
import { invalidArgument } from '../image/errors.js';
import { readFileIn } from './rootfs.js';

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const isNum = (s: string) => /^[0-9]+$/.test(s);

function parseId(s: string | undefined): number {
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    const f = l.split(':');
    out.push({ name: f[0] ?? '', uid: parseId(f[2]), gid: parseId(f[3]), home: f[5] ?? '' });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    const f = l.split(':');
    out.push({ name: f[0] ?? '', gid: parseId(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

/** Resolves a Docker user spec (`name`, `uid`, `name:group`, `uid:gid`, ...) in a root file system. */
export function resolveUser(rootfs: string, spec: string, groupAdd: string[] = []): ExecUser {
  const [userArg = '', groupArg] = spec.split(':', 2) as [string, string | undefined];
  const passwdText = readFileIn(rootfs, '/etc/passwd')?.toString('utf8');
  const groupText = readFileIn(rootfs, '/etc/group')?.toString('utf8');
  const passwd = passwdText !== undefined ? parsePasswd(passwdText) : [];
  const groups = groupText !== undefined ? parseGroup(groupText) : [];

  const u: ExecUser & { name: string } = { uid: 0, gid: 0, additionalGids: [], home: '/', name: '' };
  if (userArg === '') {
    const root = passwd.find((p) => p.uid === 0);
    if (root) Object.assign(u, { name: root.name, home: root.home, gid: root.gid });
  } else {
    const byName = passwd.find((p) => p.name === userArg);
    const byUid = isNum(userArg) ? passwd.find((p) => p.uid === Number(userArg)) : undefined;
    const found = byName ?? byUid;
    if (found) Object.assign(u, { name: found.name, uid: found.uid, gid: found.gid, home: found.home });
    else if (isNum(userArg)) u.uid = Number(userArg);
    else throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
  }
  if (groupArg !== undefined && groupArg !== '') {
    const g = groups.find((x) => x.name === groupArg) ?? (isNum(groupArg) ? groups.find((x) => x.gid === Number(groupArg)) : undefined);
    if (g) u.gid = g.gid;
    else if (isNum(groupArg)) u.gid = Number(groupArg);
    else throw invalidArgument(`unable to find group ${groupArg}: no matching entries in group file`);
  } else if (u.name !== '') {
    for (const g of groups) if (g.members.includes(u.name) && g.gid !== u.gid && !u.additionalGids.includes(g.gid)) u.additionalGids.push(g.gid);
  }
  for (const ga of groupAdd) {
    const g = groups.find((x) => x.name === ga) ?? (isNum(ga) ? { gid: Number(ga) } : undefined);
    if (!g) throw invalidArgument(`Unable to find group ${ga}: no matching entries in group file`);
    if (!u.additionalGids.includes(g.gid)) u.additionalGids.push(g.gid);
  }
  return { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids, home: u.home || '/' };
}

/**
 * The supplementary groups a container process gets from Docker: those of the user, then
 * --group-add, and the primary group as well (`id` in `docker run` lists it under groups).
 */
export function containerGroups(u: ExecUser): number[] {
  return u.additionalGids.includes(u.gid) ? u.additionalGids : [...u.additionalGids, u.gid];
}
