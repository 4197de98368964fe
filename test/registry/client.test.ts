import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseChallenges } from '../../src/registry/challenge.js';
import { responseError, errcodeString, describeTransportFailure } from '../../src/registry/errors.js';
import { DockerConfigFile, CredentialStore } from '../../src/registry/docker-config.js';
import { isInsecureRegistry, readCertsDir, resetHostConfig, registryEndpoints } from '../../src/registry/hosts.js';
import { RegistryClient } from '../../src/registry/client.js';
import { newStore, tempDir } from '../helpers/berth.js';
import { fixturesDir } from '../helpers/paths.js';

test('WWW-Authenticate challenges: bearer with quoted params, several challenges, escapes', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="berth-test"'), [{ scheme: 'basic', params: { realm: 'berth-test' } }]);
  assert.deepEqual(parseChallenges(['Basic realm="a, b", Bearer realm="x",service=y', 'Negotiate']), [
    { scheme: 'basic', params: { realm: 'a, b' } },
    { scheme: 'bearer', params: { realm: 'x', service: 'y' } },
    { scheme: 'negotiate', params: {} },
  ]);
  assert.deepEqual(parseChallenges('Bearer realm="q\\"uote",error="insufficient_scope"'), [
    { scheme: 'bearer', params: { realm: 'q"uote', error: 'insufficient_scope' } },
  ]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('registry error bodies read as Docker prints them (the fixture 404 answers)', () => {
  const body = readFileSync(join(fixturesDir(), 'registry', 'missing-manifest.json'));
  let e = responseError(404, {}, body);
  assert.equal(e.message, 'manifest unknown: manifest unknown');
  assert.equal(e.kind, 'not-found');
  assert.equal(e.code, 'MANIFEST_UNKNOWN');
  e = responseError(404, {}, readFileSync(join(fixturesDir(), 'registry', 'missing-blob.json')));
  assert.equal(e.message, 'blob unknown: blob unknown to registry');
  e = responseError(401, {}, Buffer.from('{"details":"incorrect username or password"}'));
  assert.equal(e.message, 'unauthorized: incorrect username or password');
  assert.equal(e.kind, 'unauthorized');
  e = responseError(401, {}, Buffer.alloc(0));
  assert.equal(e.message, 'unauthorized: authentication required');
  e = responseError(503, { 'retry-after': '2' }, Buffer.alloc(0));
  assert.equal(e.message, 'received unexpected HTTP status: 503 Service Unavailable');
  assert.equal(e.retryAfterMs, 2000);
  e = responseError(500, {}, Buffer.from('oops'));
  assert.match(e.message, /^error parsing HTTP 500 response body: .*: "oops"$/);
  e = responseError(400, {}, Buffer.from('{"errors":[{"code":"A_B","message":"x"},{"code":"DENIED","message":""}]}'));
  assert.equal(e.message, 'errors:\na b: x\ndenied: requested access to the resource is denied\n');
  assert.equal(errcodeString({ code: 'NAME_UNKNOWN', message: '' }), 'name unknown: repository name not known to registry');
});

test('transport failures are worded as Go reports them', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 5999 });
  assert.equal(describeTransportFailure(refused, '127.0.0.1:5999').text, 'dial tcp 127.0.0.1:5999: connect: connection refused');
  assert.equal(describeTransportFailure(refused, 'x', true).text, 'proxyconnect tcp: dial tcp 127.0.0.1:5999: connect: connection refused');
  const v6 = Object.assign(new Error('x'), { code: 'ECONNREFUSED', address: '::1', port: 5000 });
  assert.equal(describeTransportFailure(v6, '[::1]:5000').text, 'dial tcp [::1]:5000: connect: connection refused');
  const dns = Object.assign(new Error('x'), { code: 'ENOTFOUND', hostname: 'nope.invalid' });
  assert.equal(describeTransportFailure(dns, 'nope.invalid').text, 'dial tcp: lookup nope.invalid: no such host');
  const ca = Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  assert.equal(describeTransportFailure(ca, 'h').text, 'tls: failed to verify certificate: x509: certificate signed by unknown authority');
  const plain = Object.assign(new Error('x'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
  assert.equal(describeTransportFailure(plain, 'h').text, 'http: server gave HTTP response to HTTPS client');
});

test('config.json: auth entries decoded and encoded as the Docker CLI does, legacy keys matched', (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const file = join(d.dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
        'http://legacy.example:5000/v1/': { auth: Buffer.from('old:pw').toString('base64') },
        'tok.example': { auth: Buffer.from('me:').toString('base64'), identitytoken: 'refresh' },
      },
      credHelpers: { 'helped.example': 'none' },
      credsStore: '',
    }),
  );
  const cfg = DockerConfigFile.load(file);
  assert.deepEqual(cfg.fileAuth('https://index.docker.io/v1/'), { serverAddress: 'https://index.docker.io/v1/', username: 'hub', password: 'pw:with:colons' });
  assert.equal(cfg.fileAuth('legacy.example:5000')?.username, 'old');
  assert.deepEqual(cfg.fileAuth('tok.example'), { serverAddress: 'tok.example', username: 'me', password: '', identityToken: 'refresh' });
  assert.equal(cfg.helperFor('helped.example'), 'none');
  assert.equal(cfg.helperFor('other.example'), undefined);
  cfg.setFileAuth('new.example', { username: 'u', password: 'p' });
  cfg.save();
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(saved.auths['new.example'], { auth: 'dTpw' });
  assert.deepEqual(saved.credHelpers, { 'helped.example': 'none' });
  // An existing file keeps its mode (as docker copies it); a new one gets 0600.
  assert.equal(statSync(file).mode & 0o777, 0o644);
  const fresh = DockerConfigFile.load(join(d.dir, 'sub', 'config.json'));
  fresh.setFileAuth('a', { username: 'u', password: 'p' });
  fresh.save();
  assert.equal(statSync(join(d.dir, 'sub', 'config.json')).mode & 0o777, 0o600);
  assert.equal(statSync(join(d.dir, 'sub')).mode & 0o777, 0o700);
  // No temporary file is left next to it.
  assert.deepEqual(readdirSync(d.dir).sort(), ['config.json', 'sub']);

  // A config.json that is a symlink: the target is replaced, the link kept.
  const real = join(d.dir, 'real.json');
  writeFileSync(real, '{}');
  const link = join(d.dir, 'link.json');
  symlinkSync(real, link);
  const c2 = DockerConfigFile.load(link);
  c2.setFileAuth('x', { username: 'a', password: 'b' });
  c2.save();
  assert.ok(JSON.parse(readFileSync(real, 'utf8')).auths.x);
  assert.throws(() => DockerConfigFile.load(join(fixturesDir(), 'registry', 'v2-ping.headers')), /parsing config file/);
});

test('a credential helper that is not installed gives the Docker CLI error', async (t) => {
  const d = tempDir();
  t.after(d.cleanup);
  const file = join(d.dir, 'config.json');
  writeFileSync(file, JSON.stringify({ credsStore: 'berth-missing-helper' }));
  await assert.rejects(
    new CredentialStore(DockerConfigFile.load(file)).get('x.example'),
    /^BerthError: error getting credentials - err: exec: "docker-credential-berth-missing-helper": executable file not found in \$PATH, out: ``$/,
  );
});

test('insecure registries: loopback by default, names and CIDRs from the environment, certs.d reading', async (t) => {
  resetHostConfig();
  assert.equal(await isInsecureRegistry('127.0.0.1:5000'), true);
  assert.equal(await isInsecureRegistry('[::1]:5000'), true);
  assert.equal(await isInsecureRegistry('localhost:5000'), true);
  assert.equal(await isInsecureRegistry('192.0.2.7:5000'), false);
  process.env.BERTH_INSECURE_REGISTRIES = 'myreg.example:5000,10.1.0.0/16';
  t.after(() => {
    delete process.env.BERTH_INSECURE_REGISTRIES;
    resetHostConfig();
  });
  resetHostConfig();
  assert.equal(await isInsecureRegistry('myreg.example:5000'), true);
  assert.equal(await isInsecureRegistry('myreg.example:5001'), false);
  assert.equal(await isInsecureRegistry('10.1.2.3'), true);
  assert.deepEqual((await registryEndpoints('10.1.2.3:5000')).map((e) => e.base), ['https://10.1.2.3:5000', 'http://10.1.2.3:5000']);
  assert.deepEqual((await registryEndpoints('192.0.2.7:5000')).map((e) => [e.base, e.tls.verify]), [['https://192.0.2.7:5000', true]]);

  const d = tempDir();
  t.after(d.cleanup);
  const host = join(d.dir, 'reg.example:443');
  mkdirSync(host);
  writeFileSync(join(host, 'ca.crt'), 'CA');
  writeFileSync(join(host, 'client.cert'), 'CERT');
  assert.throws(() => readCertsDir('reg.example:443', d.dir), /missing key client\.key for client certificate client\.cert/);
  writeFileSync(join(host, 'client.key'), 'KEY');
  assert.deepEqual(readCertsDir('reg.example:443', d.dir), { ca: ['CA'], cert: 'CERT', key: 'KEY' });
  assert.deepEqual(readCertsDir('absent.example', d.dir), { ca: [] });
});

/** A fake registry for answers the real one does not give (schema 1, odd statuses). */
async function fakeRegistry(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ addr: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { addr: `127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

test('schema 1 manifests are refused with Docker 28 words', async (t) => {
  const fake = await fakeRegistry((req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
    res.end(JSON.stringify({ schemaVersion: 1, name: 'lab/old', tag: '1', fsLayers: [], history: [] }));
  });
  t.after(fake.close);
  const s = newStore();
  t.after(s.cleanup);
  const r = await s.berth('pull', `${fake.addr}/lab/old:1`);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    'Error response from daemon: Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. ' +
      `Suggest the author of ${fake.addr}/lab/old:1 to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. ` +
      'More information at https://docs.docker.com/go/deprecated-image-specs/\n',
  );
  assert.equal(existsSync(join(s.root, 'blobs')) ? readdirSync(join(s.root, 'blobs', 'sha256')).length : 0, 0);
});

test('the client sends the manifest Accept list, follows redirects for blobs, verifies digests', async (t) => {
  const seen: { url: string; accept?: string; auth?: string }[] = [];
  const blob = Buffer.from('hello blob');
  const digest = 'sha256:' + execFileSync('sha256sum', { input: blob }).toString().split(' ')[0];
  const fake = await fakeRegistry((req, res) => {
    seen.push({ url: req.url!, accept: req.headers.accept, auth: req.headers.authorization });
    if (req.url === `/v2/lab/x/blobs/${digest}`) {
      res.writeHead(307, { location: `/storage/${digest}` });
      res.end();
    } else if (req.url === `/storage/${digest}`) {
      res.writeHead(200, { 'content-length': String(blob.length) });
      res.end(blob);
    } else if (req.url === '/v2/lab/x/manifests/bad') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': digest });
      res.end('{}');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  t.after(fake.close);
  const c = new RegistryClient({ domain: fake.addr });
  t.after(() => c.close());
  assert.deepEqual(await c.getBlobBytes('lab/x', digest, 1024), blob);
  await assert.rejects(c.getManifest('lab/x', 'bad'), /manifest verification failed/);
  const accept = seen.find((x) => x.url.includes('/manifests/'))!.accept!;
  assert.deepEqual(accept.split(', '), [
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
  ]);
  await assert.rejects(c.getBlobBytes('lab/x', 'sha256:' + '0'.repeat(64), 1024), /received unexpected HTTP status: 404 Not Found/);
});

test('a registry open at /v2/ that asks for auth on a repository gets it', async (t) => {
  const fake = await fakeRegistry((req, res) => {
    if (req.headers.authorization !== 'Basic ' + Buffer.from('u:p').toString('base64')) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"name":"lab/x","tags":["a","b"]}');
  });
  t.after(fake.close);
  const c = new RegistryClient({ domain: fake.addr, credentials: async () => ({ username: 'u', password: 'p' }) });
  t.after(() => c.close());
  assert.deepEqual(await c.listTags('lab/x'), ['a', 'b']);
  const anon = new RegistryClient({ domain: fake.addr });
  t.after(() => anon.close());
  await assert.rejects(anon.listTags('lab/x'), /^BerthError: Get "http:\/\/127\.0\.0\.1:\d+\/v2\/lab\/x\/tags\/list": no basic auth credentials$/);
});
