// The HTTP side of berth serve: versions, headers, errors, the socket, TLS, shutdown, events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { archive, haveDockerCli, run, startServe } from './helpers.js';
import { berthBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/berth.js';
import { freePort, makePki } from '../helpers/registry.js';

test('_ping, /version and version negotiation', async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  let r = await s.request('GET', '/_ping');
  assert.equal(r.status, 200);
  assert.equal(r.text, 'OK');
  for (const [h, v] of Object.entries({
    'api-version': '1.50',
    'docker-experimental': 'false',
    ostype: 'linux',
    'builder-version': '1',
    'cache-control': 'no-cache, no-store, must-revalidate',
    pragma: 'no-cache',
  })) {
    assert.equal(r.headers[h], v, h);
  }
  r = await s.request('HEAD', '/_ping');
  assert.deepEqual([r.status, r.headers['content-length'], r.headers['api-version']], [200, '0', '1.50']);
  r = await s.request('GET', '/v1.41/version');
  const v = JSON.parse(r.text);
  assert.deepEqual([v.ApiVersion, v.MinAPIVersion, v.Os, v.Components[0].Name], ['1.50', '1.24', 'linux', 'Engine']);
  r = await s.request('GET', '/v1.99/version');
  assert.deepEqual([r.status, JSON.parse(r.text)], [400, { message: 'client version 1.99 is too new. Maximum supported API version is 1.50' }]);
  r = await s.request('GET', '/v1.12/images/json');
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.text).message, /^client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
  // unversioned paths are the current version; every version from 1.24 answers
  assert.equal((await s.request('GET', '/images/json')).text, '[]\n');
  assert.equal((await s.request('GET', '/v1.24/images/json')).text, '[]\n');
  const info = JSON.parse((await s.request('GET', '/v1.41/info')).text);
  assert.deepEqual([info.OSType, info.Images, info.Containers, info.DockerRootDir, info.BridgeNfIptables], ['linux', 0, 0, s.root, false]);
  assert.equal('BridgeNfIptables' in JSON.parse((await s.request('GET', '/info')).text), false);
});

test('errors: unknown endpoints, bad requests, missing objects, as JSON messages', async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  const expect = async (method: string, path: string, status: number, message: string | RegExp, opts: { body?: string; headers?: Record<string, string> } = {}) => {
    const r = await s.request(method, path, opts);
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    assert.equal(r.headers['content-type'], 'application/json');
    const m = JSON.parse(r.text).message;
    if (typeof message === 'string') assert.equal(m, message);
    else assert.match(m, message);
  };
  await expect('GET', '/nope', 404, 'page not found');
  await expect('GET', '/v1.41/nope/at/all', 404, 'page not found');
  await expect('PUT', '/images/json', 404, 'page not found');
  await expect('GET', '/images/json?filters=notjson', 400, 'invalid filter');
  await expect('GET', '/images/json?filters=%7B%22bogus%22%3A%7B%22x%22%3Atrue%7D%7D', 400, "Invalid filter 'bogus'");
  await expect('GET', '/images/nope:1/json', 404, 'no such image: nope:1: No such image: nope:1');
  await expect('GET', '/images/nope:1/history', 404, 'No such image: nope:1');
  await expect('DELETE', '/images/nope:1', 404, 'No such image: nope:1');
  await expect('POST', '/images/nope:1/tag?repo=x&tag=y', 404, 'No such image: nope:1');
  await expect('POST', '/images/create?fromImage=Bad%2FUPPER', 400, /invalid reference format/);
  await expect('POST', '/images/create', 400, 'fromImage or fromSrc is required');
  await expect('POST', '/containers/create', 400, /invalid JSON: /, { body: '{nope', headers: { 'Content-Type': 'application/json' } });
  await expect('POST', '/containers/create', 400, "unsupported Content-Type header (text/plain): must be 'application/json'", { body: '{}', headers: { 'Content-Type': 'text/plain' } });
  await expect('POST', '/containers/create', 404, /^No such image: /, { body: '{"Image":"nope:1"}', headers: { 'Content-Type': 'application/json' } });
  await expect('GET', '/containers/nope/json', 404, /No such container: nope/);
  await expect('POST', '/containers/nope/wait?condition=sometime', 400, 'invalid condition: "sometime"');
  await expect('POST', '/exec/nope/start', 404, 'No such exec instance: nope', { body: '{}', headers: { 'Content-Type': 'application/json' } });
  await expect('POST', '/containers/x/resize?h=a&w=1', 400, /invalid resize height "a"/);
  await expect('GET', '/events?since=20&until=10', 400, '`since` time (20) cannot be after `until` time (10)');
  await expect('POST', '/build?version=2', 400, /BuildKit/);
  // dockerode-style legacy filter lists are accepted
  const r = await s.request('GET', '/images/json?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D');
  assert.deepEqual([r.status, r.text], [200, '[]\n']);
});

test('the socket: mode 0660, the group asked for, a stale socket replaced, a live one refused', async (t) => {
  const s = await startServe({ args: ['--group', '50'] });
  t.after(s.cleanup);
  const st = statSync(s.sock);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o660);
  assert.equal(st.gid, 50);
  const again = spawn(process.execPath, [berthBin, '--root', s.root, 'serve', '--host', `unix://${s.sock}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  again.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number>((resolve) => again.once('exit', (c) => resolve(c ?? 1)));
  assert.equal(code, 1);
  assert.match(err, /address already in use/);
  // a socket left by a killed server is replaced
  assert.equal(await s.stop('SIGKILL'), 128);
  assert.ok(existsSync(s.sock));
  const t2 = await startServe({ root: s.root });
  t.after(t2.cleanup);
  const other = spawn(process.execPath, [berthBin, '--root', s.root, 'serve', '--host', `unix://${s.sock}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  other.stderr.on('data', (b: Buffer) => (log += b.toString()));
  for (let i = 0; i < 200 && !log.includes('API listen on'); i++) await sleep(25);
  assert.match(log, /API listen on/);
  other.kill('SIGTERM');
  await new Promise((r) => other.once('exit', r));
  assert.equal(existsSync(s.sock), false);
});

test('TCP only with TLS client verification', async (t) => {
  const d = tempDir('berth-tls-');
  t.after(d.cleanup);
  const port = await freePort();
  const refused = await run(process.execPath, [berthBin, '--root', join(d.dir, 'store'), 'serve', '--host', `tcp://127.0.0.1:${port}`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /listening on TCP needs --tlsverify with --tlscacert, --tlscert and --tlskey/);
  const pki = makePki(join(d.dir, 'pki'));
  const server = pki.issue('server', 'IP:127.0.0.1,DNS:localhost');
  const client = pki.issue('client', 'DNS:client', { client: true });
  const s = await startServe({
    root: join(d.dir, 'store'),
    args: ['--host', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', pki.caCert, '--tlscert', server.cert, '--tlskey', server.key],
  });
  t.after(s.cleanup);
  const get = (withCert: boolean) =>
    new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/_ping',
          ca: readFileSync(pki.caCert),
          ...(withCert ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
        },
        (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${b}`));
        },
      );
      req.on('error', reject);
      req.end();
    });
  assert.equal(await get(true), '200 OK');
  await assert.rejects(get(false));
  if (haveDockerCli()) {
    const certs = join(d.dir, 'pki');
    const { copyFileSync } = await import('node:fs');
    copyFileSync(pki.caCert, join(certs, 'ca.pem'));
    copyFileSync(client.cert, join(certs, 'cert.pem'));
    copyFileSync(client.key, join(certs, 'key.pem'));
    const r = await run('/usr/local/bin/docker', ['version', '--format', '{{.Server.APIVersion}}'], {
      env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs, DOCKER_CONFIG: join(d.dir, 'cfg') },
    });
    assert.deepEqual([r.code, r.stdout], [0, '1.50\n'], r.stderr);
  }
});

test('graceful shutdown: a load in flight finishes, streams end, the socket goes', async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  // an events stream that would never end by itself
  const events = new Promise<number>((resolve) => {
    const req = httpRequest({ socketPath: s.sock, path: '/events', method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('error', () => resolve(-2));
    req.end();
  });
  // a load whose body arrives slowly
  const data = readFileSync(archive('two-images.tar'));
  const loaded = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({ socketPath: s.sock, path: '/images/load?quiet=1', method: 'POST', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    void (async () => {
      const step = 64 << 10;
      for (let i = 0; i < data.length; i += step) {
        req.write(data.subarray(i, i + step));
        await sleep(40);
      }
      req.end();
    })();
  });
  await sleep(300);
  s.child.kill('SIGTERM');
  const res = await loaded;
  assert.equal(res.status, 200);
  assert.equal(res.body, '{"stream":"Loaded image: 127.0.0.1:5000/lab/small:1.0\\n"}\n{"stream":"Loaded image: lab/other:1\\n"}\n');
  assert.equal(await events, 200);
  assert.equal(await s.exited, 0);
  assert.equal(existsSync(s.sock), false);
  assert.match(s.log(), /SIGTERM: finishing the requests in flight/);
  // what the load recorded is whole, and nothing of it is leased any more
  const b = await s.berth('images', '--format', '{{.Repository}}:{{.Tag}}');
  assert.equal(b.stdout, 'lab/other:1\n127.0.0.1:5000/lab/small:1.0\n');
  assert.equal((await s.berth('system', 'check')).code, 0);
});

test('events: image and container events from the server and the CLI, since/until and filters', async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  const collected: string[] = [];
  const live = new Promise<void>((resolve) => {
    const req = httpRequest({ socketPath: s.sock, path: '/events?filters=' + encodeURIComponent('{"type":{"image":true}}'), method: 'GET' }, (res) => {
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (c: string) => {
        buf += c;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          collected.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
      res.on('end', () => resolve());
    });
    req.end();
    t.after(() => req.destroy());
  });
  void live;
  await sleep(200);
  const start = Date.now() / 1000;
  assert.equal((await s.request('POST', '/images/load', { body: readFileSync(archive('two-images.tar')) })).status, 200);
  // the berth CLI's changes on the same store show in the server's stream
  assert.equal((await s.berth('tag', 'lab/other:1', 'lab/other:cli')).code, 0);
  assert.equal((await s.berth('rmi', 'lab/other:cli')).code, 0);
  for (let i = 0; i < 100 && collected.length < 4; i++) await sleep(50);
  const evs = collected.map((l) => JSON.parse(l) as { status: string; id: string; Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; scope: string; time: number; timeNano: number });
  assert.deepEqual(
    evs.map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes.name}`),
    ['image load sha256:41b461136cf1c5a12421c69cab6a75f58619f9ab0bef039b95a3183f7465f10a', 'image load sha256:27b9b19224119532042b3e705019069449ad71e45b43d3876df8e0a0cedb9a16', 'image tag lab/other:cli', 'image untag lab/other:cli'],
  );
  const e0 = evs[0]!;
  assert.deepEqual(Object.keys(e0), ['status', 'id', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  assert.equal(e0.Actor.Attributes['com.example.fixture'], 'small');
  assert.ok(e0.time >= Math.floor(start) && e0.time <= Date.now() / 1000 + 1);
  const raw = collected[0]!;
  assert.match(raw, /"timeNano":\d{19}\}$/);

  // past events: since and until bound them, filters pick them
  const until = Math.ceil(Date.now() / 1000) + 1;
  const past = async (q: string) =>
    (await s.request('GET', `/events?since=${Math.floor(start)}&until=${until}${q}`)).text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const e = JSON.parse(l);
        return `${e.Action} ${e.Actor.Attributes.name}`;
      });
  assert.deepEqual(await past('&filters=' + encodeURIComponent('{"event":{"tag":true}}')), ['tag lab/other:cli']);
  assert.deepEqual(await past('&filters=' + encodeURIComponent('{"image":{"lab/other:cli":true}}')), ['tag lab/other:cli', 'untag lab/other:cli']);
  assert.deepEqual(await past('&filters=' + encodeURIComponent('{"label":{"com.example.fixture=small":true}}')), ['load sha256:41b461136cf1c5a12421c69cab6a75f58619f9ab0bef039b95a3183f7465f10a']);
  assert.deepEqual(await past('&filters=' + encodeURIComponent('{"type":{"container":true}}')), []);
  assert.equal((await past('')).length, 4);
  if (haveDockerCli()) {
    const r = await s.docker(['events', '--since', String(Math.floor(start)), '--until', String(until), '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}', '--filter', 'event=untag']);
    assert.deepEqual([r.code, r.stdout], [0, 'image untag lab/other:cli\n']);
  }
});

test('shapes by API version: images/json (shared-size, <none>, VirtualSize), image inspect, system df', async (t) => {
  const s = await startServe();
  t.after(s.cleanup);
  assert.equal((await s.request('POST', '/images/load', { body: readFileSync(archive('two-images.tar')) })).status, 200);
  const { makeRootfsTar } = await import('../helpers/rootfs.js');
  const imported = await s.request('POST', '/images/create?fromSrc=-', { body: readFileSync(makeRootfsTar(s.dir)) });
  const untaggedId = /"status":"(sha256:[0-9a-f]{64})"/.exec(imported.text)![1]!;
  const list = async (v: string, q = '') => JSON.parse((await s.request('GET', `/v${v}/images/json${q}`)).text) as Record<string, unknown>[];
  const v41 = await list('1.41');
  assert.deepEqual(Object.keys(v41[0]!), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size', 'VirtualSize']);
  assert.deepEqual(v41.map((i) => [i.SharedSize, i.Containers]), v41.map(() => [-1, -1]));
  const v50 = await list('1.50', '?shared-size=1');
  assert.ok(!('VirtualSize' in v50[0]!));
  // the two images of the archive share their base layer
  const small = v50.find((i) => (i.RepoTags as string[]).includes('127.0.0.1:5000/lab/small:1.0'))!;
  assert.ok((small.SharedSize as number) > 1_000_000, JSON.stringify(small));
  assert.equal((await list('1.41', '?shared-size=1'))[0]!.SharedSize, -1);
  // an untagged image: <none> placeholders before API 1.43, empty lists from it on
  const untagged42 = (await list('1.42')).find((i) => i.Id === untaggedId)!;
  assert.deepEqual([untagged42.RepoTags, untagged42.RepoDigests], [['<none>:<none>'], ['<none>@<none>']]);
  const untagged43 = (await list('1.43')).find((i) => i.Id === untaggedId)!;
  assert.deepEqual([untagged43.RepoTags, untagged43.RepoDigests], [[], []]);
  const inspect = async (v: string) => JSON.parse((await s.request('GET', `/v${v}/images/lab/other:1/json`)).text) as Record<string, unknown>;
  const i41 = await inspect('1.41');
  assert.ok('VirtualSize' in i41 && 'ContainerConfig' in i41 && 'Hostname' in (i41.Config as object));
  const i44 = await inspect('1.44');
  assert.ok(!('VirtualSize' in i44) && 'ContainerConfig' in i44);
  const i45 = await inspect('1.45');
  assert.ok(!('ContainerConfig' in i45) && !('Container' in i45) && 'Hostname' in (i45.Config as object));
  const i50 = await inspect('1.50');
  assert.deepEqual(i50.Config, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['cat', '/other.txt'] });
  const df41 = JSON.parse((await s.request('GET', '/v1.41/system/df')).text);
  assert.deepEqual(Object.keys(df41), ['LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache', 'BuilderSize']);
  assert.ok('VirtualSize' in df41.Images[0]);
  const dfImages = JSON.parse((await s.request('GET', '/v1.50/system/df?type=image')).text);
  assert.deepEqual([dfImages.Containers, dfImages.Images.length, 'VirtualSize' in dfImages.Images[0]], [null, 3, false]);
  assert.equal((await s.request('GET', '/v1.50/system/df?type=bogus')).status, 400);
});
