import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { newStore, runBerth, tempDir } from '../helpers/berth.js';
import { makeRootfsTar } from '../helpers/rootfs.js';
import { externalIPv4, haveRegistry, htpasswdFile, makePki, startRegistry, startTokenIssuer } from '../helpers/registry.js';

const skip = !haveRegistry() && 'docker-registry is not installed';

let work: { dir: string; cleanup: () => void };
let store: ReturnType<typeof newStore>;

before(async () => {
  if (skip) return;
  work = tempDir('berth-auth-');
  store = newStore();
  const r = await store.berth('import', makeRootfsTar(work.dir), 'lab/base:1');
  assert.equal(r.code, 0, r.stderr);
});

after(() => {
  if (skip) return;
  store.cleanup();
  work.cleanup();
});

/** Runs berth on the shared store with its own Docker config directory and extra environment. */
function berthWith(env: NodeJS.ProcessEnv) {
  return (args: string[], input?: string) => runBerth(store.root, args, { env, input });
}

async function tagAs(ref: string): Promise<void> {
  const r = await store.berth('tag', 'lab/base:1', ref);
  assert.equal(r.code, 0, r.stderr);
}

test('basic auth: login, push, pull, logout with config.json as the Docker CLI writes it', { skip }, async (t) => {
  const dir = join(work.dir, 'basic');
  mkdirSync(dir);
  const reg = await startRegistry(join(dir, 'reg'), { htpasswd: htpasswdFile(dir, { alice: 's3cret' }) });
  t.after(() => reg.stop());
  const cfgDir = join(dir, 'docker');
  const berth = berthWith({ DOCKER_CONFIG: cfgDir });
  const ref = `${reg.addr}/lab/secret:1`;
  await tagAs(ref);

  let r = await berth(['push', ref]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`"http://${reg.addr}/v2/lab/secret/[^"]*": no basic auth credentials\\n$`));

  r = await berth(['login', '-u', 'alice', '--password-stdin', reg.addr], 'wrong\n');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error response from daemon: login attempt to http://${reg.addr}/v2/ failed with status: 401 Unauthorized\n`);
  assert.equal(existsSync(join(cfgDir, 'config.json')), false);

  r = await berth(['login', '-u', 'alice', '--password-stdin', reg.addr], 's3cret\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Login Succeeded\n');
  const cfgFile = join(cfgDir, 'config.json');
  assert.equal(
    r.stderr,
    `\nWARNING! Your credentials are stored unencrypted in '${cfgFile}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`,
  );
  assert.equal(statSync(cfgFile).mode & 0o777, 0o600);
  const auth = Buffer.from('alice:s3cret').toString('base64');
  assert.equal(readFileSync(cfgFile, 'utf8'), `{\n\t"auths": {\n\t\t"${reg.addr}": {\n\t\t\t"auth": "${auth}"\n\t\t}\n\t}\n}`);

  r = await berth(['push', ref]);
  assert.equal(r.code, 0, r.stderr);
  const s2 = newStore();
  t.after(s2.cleanup);
  r = await runBerth(s2.root, ['pull', ref], { env: { DOCKER_CONFIG: cfgDir } });
  assert.equal(r.code, 0, r.stderr);

  // Login again without a password reuses the stored credentials.
  r = await berth(['login', reg.addr]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Authenticating with existing credentials\.\.\. \[Username: alice\]\n/);
  assert.equal(r.stdout, 'Login Succeeded\n');

  r = await berth(['logout', `http://${reg.addr}/`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Removing login credentials for ${reg.addr}\n`);
  assert.deepEqual(JSON.parse(readFileSync(cfgFile, 'utf8')), { auths: {} });
  r = await runBerth(s2.root, ['pull', ref], { env: { DOCKER_CONFIG: cfgDir } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no basic auth credentials/);

  r = await berth(['login', reg.addr]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error: Cannot perform an interactive login from a non TTY device\n');
  r = await berth(['login', '-u', 'alice', '-p', 'x', '--password-stdin', reg.addr]);
  assert.equal(r.stderr, 'conflicting options: cannot specify both --password and --password-stdin\n');
  r = await berth(['login', '-u', 'alice', '-p', 's3cret', reg.addr]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^WARNING! Using --password via the CLI is insecure\. Use --password-stdin\.\n/);
});

test('config.json: other settings and the file mode are kept, the write is atomic', { skip }, async (t) => {
  const dir = join(work.dir, 'keep');
  mkdirSync(dir);
  const reg = await startRegistry(join(dir, 'reg'), { htpasswd: htpasswdFile(dir, { alice: 'pw' }) });
  t.after(() => reg.stop());
  const cfgDir = join(dir, 'docker');
  mkdirSync(cfgDir);
  const cfgFile = join(cfgDir, 'config.json');
  writeFileSync(cfgFile, JSON.stringify({ psFormat: 'table {{.ID}}', auths: { 'other.example:5000': { auth: 'dTpw' } }, proxies: { default: {} } }));
  chmodSync(cfgFile, 0o640);
  const r = await runBerth(store.root, ['login', '-u', 'alice', '--password-stdin', reg.addr], { env: { DOCKER_CONFIG: cfgDir }, input: 'pw' });
  assert.equal(r.code, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  assert.equal(cfg.psFormat, 'table {{.ID}}');
  assert.deepEqual(cfg.proxies, { default: {} });
  assert.equal(cfg.auths['other.example:5000'].auth, 'dTpw');
  assert.equal(cfg.auths[reg.addr].auth, Buffer.from('alice:pw').toString('base64'));
  assert.equal(statSync(cfgFile).mode & 0o777, 0o640);
});

test('credential helpers: credsStore and credHelpers programs store, get and erase', { skip }, async (t) => {
  const dir = join(work.dir, 'helper');
  const bin = join(dir, 'bin');
  const vault = join(dir, 'vault');
  mkdirSync(bin, { recursive: true });
  mkdirSync(vault);
  // A helper speaking docker-credential-helpers' protocol, keeping secrets as files.
  const helper = join(bin, 'docker-credential-berthtest');
  writeFileSync(
    helper,
    `#!${process.execPath}
const fs = require('fs'), path = require('path');
const vault = ${JSON.stringify(vault)};
const input = fs.readFileSync(0, 'utf8');
const file = (s) => path.join(vault, Buffer.from(s.trim()).toString('hex'));
fs.appendFileSync(path.join(vault, 'log'), process.argv[2] + ' ' + (process.argv[2] === 'store' ? JSON.parse(input).ServerURL : input.trim()) + '\\n');
switch (process.argv[2]) {
  case 'store': { const c = JSON.parse(input); fs.writeFileSync(file(c.ServerURL), JSON.stringify(c)); break; }
  case 'get': if (!fs.existsSync(file(input))) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
    process.stdout.write(fs.readFileSync(file(input))); break;
  case 'erase': if (fs.existsSync(file(input))) fs.unlinkSync(file(input)); break;
  default: process.exit(1);
}
`,
  );
  chmodSync(helper, 0o755);
  const reg = await startRegistry(join(dir, 'reg'), { htpasswd: htpasswdFile(dir, { carol: 'hunter2' }) });
  t.after(() => reg.stop());
  const env = { DOCKER_CONFIG: join(dir, 'docker'), PATH: `${bin}:${process.env.PATH}` };
  mkdirSync(env.DOCKER_CONFIG);
  const cfgFile = join(env.DOCKER_CONFIG, 'config.json');
  for (const [mode, cfg] of [
    ['credsStore', { credsStore: 'berthtest' }],
    ['credHelpers', { credHelpers: { [reg.addr]: 'berthtest' } }],
  ] as const) {
    writeFileSync(cfgFile, JSON.stringify(cfg));
    let r = await runBerth(store.root, ['login', '-u', 'carol', '--password-stdin', reg.addr], { env, input: 'hunter2\n' });
    assert.equal(r.code, 0, `${mode}: ${r.stderr}`);
    assert.equal(r.stderr, '', 'no plain-text warning with a helper');
    const saved = JSON.parse(readFileSync(cfgFile, 'utf8'));
    assert.deepEqual(saved.auths, { [reg.addr]: {} });
    assert.ok(!readFileSync(cfgFile, 'utf8').includes('hunter2'));
    const ref = `${reg.addr}/lab/helper-${mode.toLowerCase()}:1`;
    await tagAs(ref);
    r = await runBerth(store.root, ['push', ref], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await runBerth(store.root, ['logout', reg.addr], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await runBerth(store.root, ['push', ref], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no basic auth credentials/);
  }
  const log = readFileSync(join(vault, 'log'), 'utf8');
  assert.match(log, new RegExp(`^store ${reg.addr.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(log, /^get /m);
  assert.match(log, /^erase /m);
});

test('token auth: bearer tokens per scope, identity token from login, cross-repository mount scopes', { skip }, async (t) => {
  const dir = join(work.dir, 'token');
  mkdirSync(dir);
  const issuer = await startTokenIssuer(dir, { bob: 'pw' }, (account, repo, actions) => {
    if (account === 'bob') return actions;
    return repo.startsWith('lab/public') ? actions.filter((a) => a === 'pull') : [];
  });
  t.after(() => issuer.stop());
  const reg = await startRegistry(join(dir, 'reg'), { token: issuer });
  t.after(() => reg.stop());
  const cfgDir = join(dir, 'docker');
  const berth = berthWith({ DOCKER_CONFIG: cfgDir });
  const ref = `${reg.addr}/lab/private:1`;
  await tagAs(ref);

  let r = await berth(['push', ref]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`"http://${reg.addr}/v2/lab/private/[^"]*": unauthorized: authentication required`));

  r = await berth(['login', '-u', 'bob', '--password-stdin', reg.addr], 'nope');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error response from daemon: Get "http://${reg.addr}/v2/": unauthorized: incorrect username or password\n`);

  r = await berth(['login', '-u', 'bob', '--password-stdin', reg.addr], 'pw');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'an identity token is no password: no warning');
  const saved = JSON.parse(readFileSync(join(cfgDir, 'config.json'), 'utf8')).auths[reg.addr];
  assert.equal(saved.auth, Buffer.from('bob:').toString('base64'));
  assert.match(saved.identitytoken, /^[0-9a-f]{64}$/);

  issuer.requests.length = 0;
  r = await berth(['push', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(issuer.requests.length >= 1);
  for (const q of issuer.requests) {
    assert.equal(q.grant, 'refresh_token');
    assert.equal(q.account, 'bob');
  }
  assert.ok(issuer.requests.some((q) => q.scopes.includes('repository:lab/private:push,pull')));

  // A mount asks for pull on the source repository too.
  await tagAs(`${reg.addr}/lab/public:1`);
  issuer.requests.length = 0;
  r = await berth(['push', `${reg.addr}/lab/public:1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: Mounted from lab\/private\n/);
  assert.ok(issuer.requests.some((q) => q.scopes.includes('repository:lab/private:pull') && q.scopes.includes('repository:lab/public:push,pull')));

  // Anonymous pull of what the policy makes public; the private repository stays closed.
  const s2 = newStore();
  t.after(s2.cleanup);
  const anon = { DOCKER_CONFIG: join(dir, 'anon') };
  r = await runBerth(s2.root, ['pull', `${reg.addr}/lab/public:1`], { env: anon });
  assert.equal(r.code, 0, r.stderr);
  r = await runBerth(s2.root, ['pull', ref], { env: anon });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error response from daemon: .*unauthorized: authentication required\n$/);
});

test('TLS: verified against certs.d CAs, client certificates, loopback and configured registries insecure', { skip }, async (t) => {
  const ip = externalIPv4();
  if (!ip) {
    t.skip('no non-loopback address on this machine');
    return;
  }
  const dir = join(work.dir, 'tls');
  const pki = makePki(join(dir, 'pki'));
  const server = pki.issue('server', `IP:${ip},IP:127.0.0.1`);
  const client = pki.issue('client', 'DNS:berth-client', { client: true });
  const reg = await startRegistry(join(dir, 'reg'), { host: ip, tls: server });
  t.after(() => reg.stop());
  const certsD = join(dir, 'certs.d');
  const ref = `${reg.addr}/lab/tls:1`;
  await tagAs(ref);
  const env = { BERTH_CERTS_D: certsD, DOCKER_CONFIG: join(dir, 'docker') };

  let r = await runBerth(store.root, ['push', ref], { env });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Get "https://${reg.addr}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority\n`);

  mkdirSync(join(certsD, reg.addr), { recursive: true });
  copyFileSync(pki.caCert, join(certsD, reg.addr, 'ca.crt'));
  r = await runBerth(store.root, ['push', ref], { env });
  assert.equal(r.code, 0, r.stderr);
  const s2 = newStore();
  t.after(s2.cleanup);
  r = await runBerth(s2.root, ['pull', ref], { env });
  assert.equal(r.code, 0, r.stderr);

  // Listed as insecure: any certificate is accepted, as Docker's insecure-registries.
  r = await runBerth(s2.root, ['pull', ref], { env: { ...env, BERTH_CERTS_D: join(dir, 'none'), BERTH_INSECURE_REGISTRIES: reg.addr } });
  assert.equal(r.code, 0, r.stderr);

  // Mutual TLS: the registry wants a client certificate from certs.d.
  const mreg = await startRegistry(join(dir, 'mreg'), { host: ip, tls: { ...server, clientCA: pki.caCert } });
  t.after(() => mreg.stop());
  mkdirSync(join(certsD, mreg.addr), { recursive: true });
  copyFileSync(pki.caCert, join(certsD, mreg.addr, 'ca.crt'));
  await tagAs(`${mreg.addr}/lab/mtls:1`);
  r = await runBerth(store.root, ['push', `${mreg.addr}/lab/mtls:1`], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Get "https:\/\/[^"]+\/v2\/": remote error: tls: /);
  copyFileSync(client.cert, join(certsD, mreg.addr, 'client.cert'));
  copyFileSync(client.key, join(certsD, mreg.addr, 'client.key'));
  r = await runBerth(store.root, ['push', `${mreg.addr}/lab/mtls:1`], { env });
  assert.equal(r.code, 0, r.stderr);

  // A TLS registry on loopback needs no CA: loopback registries are insecure by default.
  const lreg = await startRegistry(join(dir, 'lreg'), { tls: server });
  t.after(() => lreg.stop());
  await tagAs(`${lreg.addr}/lab/loop:1`);
  r = await runBerth(store.root, ['push', `${lreg.addr}/lab/loop:1`], { env: { DOCKER_CONFIG: env.DOCKER_CONFIG } });
  assert.equal(r.code, 0, r.stderr);
});

test('IPv6 literal registry addresses', { skip }, async (t) => {
  const dir = join(work.dir, 'v6');
  let reg;
  try {
    reg = await startRegistry(join(dir, 'reg'), { host: '::1' });
  } catch {
    t.skip('no IPv6 loopback');
    return;
  }
  t.after(() => reg.stop());
  assert.match(reg.addr, /^\[::1\]:\d+$/);
  const ref = `${reg.addr}/lab/six:1`;
  await tagAs(ref);
  let r = await store.berth('push', ref);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], `The push refers to repository [${reg.addr}/lab/six]`);
  const s2 = newStore();
  t.after(s2.cleanup);
  r = await s2.berth('pull', ref);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.endsWith(`Status: Downloaded newer image for ${ref}\n${ref}\n`));
});
