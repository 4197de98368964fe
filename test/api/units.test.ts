// The API layer's small pieces: routing, parameters, framing, event filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type Handler } from '../../src/api/router.js';
import { Query, decodeRegistryAuth, parseFiltersParam, parseJsonBody } from '../../src/api/http.js';
import { compareVersions } from '../../src/api/version.js';
import { muxFrame } from '../../src/api/routes/containers.js';
import { eventJson, eventMatcher } from '../../src/api/events.js';
import { humanSize } from '../../src/api/jsonstream.js';
import { goJson } from '../../src/api/json.js';
import { repoTag } from '../../src/api/routes/images.js';
import type { StoredEvent } from '../../src/store/events.js';

test('routes match as gorilla/mux templates do: {name:.*} takes slashes, first registered wins', () => {
  const r = new Router();
  const hit = (name: string) => (() => name) as unknown as Handler;
  r.get('/images/json', hit('list')).get('/images/{name:.*}/json', hit('inspect')).delete('/images/{name:.*}', hit('delete')).get('/exec/{id}/json', hit('exec'));
  const m = (method: string, path: string) => {
    const x = r.match(method, path);
    return x ? [(x.handler as unknown as () => string)(), x.params] : undefined;
  };
  assert.deepEqual(m('GET', '/images/json'), ['list', {}]);
  assert.deepEqual(m('GET', '/images/127.0.0.1:5000/lab/small:1.0/json'), ['inspect', { name: '127.0.0.1:5000/lab/small:1.0' }]);
  assert.deepEqual(m('DELETE', '/images/lab/x@sha256:abc'), ['delete', { name: 'lab/x@sha256:abc' }]);
  assert.deepEqual(m('GET', '/exec/abc/json'), ['exec', { id: 'abc' }]);
  assert.equal(m('GET', '/exec/a/b/json'), undefined);
  assert.equal(m('POST', '/images/json'), undefined);
});

test('query values, filters, JSON bodies and registry auth as dockerd reads them', () => {
  const q = new Query(new URLSearchParams('a=1&b=false&c=&d=no&e=yes&n=12&bad=x&t=x&t=y'));
  assert.deepEqual([q.bool('a'), q.bool('b'), q.bool('c'), q.bool('d'), q.bool('e'), q.bool('missing')], [true, false, false, false, true, false]);
  assert.deepEqual([q.boolOr('missing', true), q.boolOr('c', true)], [true, false]);
  assert.deepEqual([q.int('n'), q.int('missing'), q.all('t')], [12, undefined, ['x', 'y']]);
  assert.throws(() => q.int('bad'), /invalid syntax/);
  assert.deepEqual([...parseFiltersParam('{"label":{"a=b":true,"c":true},"dangling":{"true":true}}')], [['label', ['a=b', 'c']], ['dangling', ['true']]]);
  assert.deepEqual([...parseFiltersParam('{"reference":["lab/*"]}')], [['reference', ['lab/*']]]);
  assert.deepEqual([...parseFiltersParam('')], []);
  assert.throws(() => parseFiltersParam('[1]'), /^Error: invalid filter$|invalid filter/);
  assert.throws(() => parseFiltersParam('{"a":1}'), /invalid filter/);
  assert.equal(parseJsonBody('application/json', Buffer.alloc(0)), undefined);
  assert.deepEqual(parseJsonBody('application/json; charset=utf-8', Buffer.from('{"a":1}')), { a: 1 });
  assert.throws(() => parseJsonBody('text/plain', Buffer.from('{}')), /unsupported Content-Type header \(text\/plain\): must be 'application\/json'/);
  const header = (o: unknown) => ({ 'x-registry-auth': Buffer.from(JSON.stringify(o)).toString('base64url') });
  assert.deepEqual(decodeRegistryAuth(header({ username: 'u', password: 'p', serveraddress: 'r:5000' })), { username: 'u', password: 'p', serverAddress: 'r:5000' });
  assert.deepEqual(decodeRegistryAuth(header({ auth: Buffer.from('u:p:q').toString('base64') })), { username: 'u', password: 'p:q' });
  assert.deepEqual(decodeRegistryAuth(header({ identitytoken: 'tok' })), { identityToken: 'tok' });
  assert.equal(decodeRegistryAuth(header({})), undefined);
  assert.equal(decodeRegistryAuth({ 'x-registry-auth': '!!!' }), undefined);
  assert.equal(decodeRegistryAuth({}), undefined);
});

test('versions, frames, sizes, JSON, tag targets', () => {
  assert.deepEqual([compareVersions('1.9', '1.41'), compareVersions('1.41', '1.41'), compareVersions('1.50', '1.41')], [-1, 0, 1]);
  assert.deepEqual([...muxFrame(2, 'hi')], [2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
  assert.deepEqual([humanSize(0), humanSize(999), humanSize(1000), humanSize(1985518), humanSize(2.5e9)], ['0B', '999B', '1kB', '1.99MB', '2.5GB']);
  assert.equal(goJson({ a: '<&>\u2028' }), '{"a":"<&>\\u2028"}\n');
  assert.deepEqual([repoTag('', 'x'), repoTag('lab/a', ''), repoTag('lab/a', 'v1'), repoTag('127.0.0.1:5000/x', 'y')], [undefined, 'docker.io/lab/a:latest', 'docker.io/lab/a:v1', '127.0.0.1:5000/x:y']);
});

test('event filters and messages as dockerd applies and writes them', () => {
  const ev = (o: Partial<StoredEvent>): StoredEvent => ({ seq: 1, timeUs: 1_700_000_000_123_456, type: 'image', action: 'tag', actor: 'sha256:aa', attributes: { name: 'lab/a:1', x: 'y' }, ...o });
  const f = (o: Record<string, string[]>) => eventMatcher(new Map(Object.entries(o)));
  const tag = ev({});
  const start = ev({ type: 'container', action: 'start', actor: 'c0ffee', attributes: { name: 'web', image: 'lab/a:1' } });
  const execStart = ev({ type: 'container', action: 'exec_start: sh', actor: 'c0ffee', attributes: { name: 'web' } });
  assert.deepEqual([f({})(tag), f({ type: ['container'] })(tag), f({ type: ['image'] })(tag)], [true, false, true]);
  assert.deepEqual([f({ event: ['tag'] })(tag), f({ event: ['untag'] })(tag), f({ event: ['exec_start'] })(execStart), f({ event: ['exec'] })(execStart)], [true, false, true, false]);
  assert.deepEqual([f({ image: ['lab/a:1'] })(tag), f({ image: ['lab/a'] })(tag), f({ image: ['lab/a'] })(start), f({ image: ['sha256:aa'] })(tag), f({ image: ['lab/b'] })(tag)], [true, true, true, true, false]);
  assert.deepEqual([f({ container: ['web'] })(start), f({ container: ['c0f'] })(start), f({ container: ['web'] })(tag)], [true, true, false]);
  assert.deepEqual([f({ label: ['x=y'] })(tag), f({ label: ['x'] })(tag), f({ label: ['x=z'] })(tag), f({ label: ['x'] })(start)], [true, true, false, false]);
  assert.equal(
    eventJson(start, true),
    '{"status":"start","id":"c0ffee","from":"lab/a:1","Type":"container","Action":"start","Actor":{"ID":"c0ffee","Attributes":{"image":"lab/a:1","name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000123456000}\n',
  );
  assert.equal(eventJson(tag, false), '{"Type":"image","Action":"tag","Actor":{"ID":"sha256:aa","Attributes":{"name":"lab/a:1","x":"y"}},"scope":"local","time":1700000000,"timeNano":1700000000123456000}\n');
});
