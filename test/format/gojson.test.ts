import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  GO_MARSHAL_JSON,
  GoJsonError,
  GoJsonNumber,
  GoNil,
  goFloat,
  goJson,
  goMap,
  jsonCompact,
  jsonIndent,
  marshal,
  marshalIndent,
} from '../../src/cli/format/index.js';

describe('gojson: strings', () => {
  it('escapes as encoding/json does', () => {
    assert.equal(marshal('<a>&b'), '"\\u003ca\\u003e\\u0026b"');
    assert.equal(marshal('<a>&b', { escapeHTML: false }), '"<a>&b"');
    assert.equal(marshal('q"b\\'), '"q\\"b\\\\"');
    assert.equal(marshal('\b\f\n\r\t'), '"\\b\\f\\n\\r\\t"');
    assert.equal(marshal('\x00\x01\x1f\x7f'), '"\\u0000\\u0001\\u001f\x7f"');
    assert.equal(marshal('\u2028\u2029'), '"\\u2028\\u2029"');
    assert.equal(marshal('\u2028', { escapeHTML: false }), '"\\u2028"');
    assert.equal(marshal('é…😀'), '"é…😀"');
    assert.equal(marshal('a\ud800b\udc00'), '"a\\ufffdb\\ufffd"');
  });
});

describe('gojson: numbers', () => {
  it('writes ints and floats as Go does', () => {
    assert.equal(marshal(1985512), '1985512');
    assert.equal(marshal(-3), '-3');
    assert.equal(marshal(9223372036854775807n), '9223372036854775807');
    assert.equal(marshal(1.5), '1.5');
    assert.equal(marshal(goFloat(1)), '1');
    assert.equal(marshal(goFloat(1e21)), '1e+21');
    assert.equal(marshal(goFloat(1e20)), '100000000000000000000');
    assert.equal(marshal(1e-7), '1e-7');
    assert.equal(marshal(0.000001), '0.000001');
    assert.equal(marshal(goFloat(-0)), '-0');
    assert.equal(marshal(new GoJsonNumber('1.50')), '1.50');
    assert.throws(() => marshal(NaN), (e: unknown) => e instanceof GoJsonError && e.message === 'json: unsupported value: NaN');
    assert.throws(() => marshal(goFloat(-Infinity)), /json: unsupported value: -Inf/);
  });
});

describe('gojson: structs and maps', () => {
  it('keeps struct field order and sorts map keys', () => {
    assert.equal(marshal({ Z: 1, A: 'x', M: [1, 2] }), '{"Z":1,"A":"x","M":[1,2]}');
    assert.equal(marshal(goMap({ Z: 1, A: 'x', é: 2, b: true })), '{"A":"x","Z":1,"b":true,"é":2}');
    assert.equal(marshal(new Map<unknown, unknown>([[10, 'a'], [9, 'b']])), '{"10":"a","9":"b"}');
    assert.equal(marshal({ A: undefined, B: null, C: [], D: {}, E: goMap({}) }), '{"B":null,"C":[],"D":{},"E":{}}');
    assert.equal(marshal([new GoNil('slice', '[]string'), new GoNil('map', 'map[string]string'), new GoNil('pointer', '*T')]), '[null,null,null]');
    assert.equal(marshal(Buffer.from('hi')), '"aGk="');
    assert.equal(marshal({ Method: () => 1, Field: 2 }), '{"Field":2}');
  });

  it('uses a GO_MARSHAL_JSON method, compacting (and escaping) its output', () => {
    const v = { [GO_MARSHAL_JSON]: () => '{ "a" : "<x>" }' };
    assert.equal(marshal({ V: v }), '{"V":{"a":"\\u003cx\\u003e"}}');
    assert.equal(marshal({ V: v }, { escapeHTML: false }), '{"V":{"a":"<x>"}}');
  });

  it('refuses cycles and functions', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    assert.throws(() => marshal(a), GoJsonError);
    assert.throws(() => marshal(() => 1), /json: unsupported type/);
  });
});

describe('gojson: indent and compact', () => {
  it('MarshalIndent keeps empty containers on one line and prefixes every new line', () => {
    const got = marshalIndent({ a: [1, 2], b: {}, c: [], d: { e: null } }, '>', '  ');
    assert.equal(got, '{\n>  "a": [\n>    1,\n>    2\n>  ],\n>  "b": {},\n>  "c": [],\n>  "d": {\n>    "e": null\n>  }\n>}');
    assert.equal(marshalIndent([], '', '    '), '[]');
    assert.equal(marshalIndent('x', '', '    '), '"x"');
  });

  it('Indent drops leading space, keeps trailing space and never touches string contents', () => {
    assert.equal(jsonIndent('  {"a" : 1, "s": "x, {y}: \\"z\\""}\n ', '', '\t'), '{\n\t"a": 1,\n\t"s": "x, {y}: \\"z\\""\n}\n ');
    assert.throws(() => jsonIndent('{"a":1', '', ' '), GoJsonError);
  });

  it('Compact removes insignificant space', () => {
    assert.equal(jsonCompact('{ "a" : [ 1 , 2 ] , "b c" : " x " }'), '{"a":[1,2],"b c":" x "}');
    assert.equal(jsonCompact('["<&>"]', true), '["\\u003c\\u0026\\u003e"]');
  });

  it('decodes with UseNumber into Go maps', () => {
    const v = goJson.decodeUseNumber('{"b": [1, 2.50], "a": {"x": null}}');
    assert.equal(marshal(v), '{"a":{"x":null},"b":[1,2.50]}');
  });
});
