import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  ExecError,
  TemplateError,
  dockerHeaderFuncs,
  goFloat,
  goFunc,
  goFuncValue,
  goMap,
  goStruct,
  parseDockerFormat,
  parseTemplate,
} from '../../src/cli/format/index.js';

function data(): Record<string, unknown> {
  return goStruct(
    {
      Name: 'berth',
      Count: 3,
      Zero: 0,
      Empty: '',
      True: true,
      False: false,
      List: ['a', 'b', 'c'],
      EmptyList: [],
      Nil: null,
      Map: goMap({ z: 1, a: 2, m: 3 }),
      EmptyMap: goMap({}),
      Labels: goMap({ 'com.example': 'x', 'a.b': 'y' }),
      Nested: { Inner: { Value: 'deep' } },
      Float: goFloat(1.5),
      Big: 12345678901,
      Method: goFunc([], () => 'called'),
      WithArg: goFunc(['string'], (s: string) => 'got ' + s),
      Plain: (...args: unknown[]) => `plain(${args.join(',')})`,
    },
    '*main.Data',
  );
}

function run(text: string, dot: unknown = data()): string {
  return parseDockerFormat(text).execute(dot);
}

function execFails(text: string, message: string, dot: unknown = data()): void {
  assert.throws(() => run(text, dot), (e: unknown) => {
    assert.ok(e instanceof ExecError, `expected ExecError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

function parseFails(text: string, message: string): void {
  assert.throws(() => parseDockerFormat(text), (e: unknown) => {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

function table(cases: Array<[string, string]>): void {
  for (const [text, want] of cases) assert.equal(run(text), want, text);
}

describe('template: fields and printing', () => {
  it('evaluates fields, chains, $ and dot', () => {
    table([
      ['{{.Name}}', 'berth'],
      ['{{.Nested.Inner.Value}}', 'deep'],
      ['{{$.Name}}', 'berth'],
      ['{{with .Nested}}{{.Inner.Value}} {{$.Count}}{{end}}', 'deep 3'],
      ['{{(.Nested).Inner.Value}}', 'deep'],
      ['plain text', 'plain text'],
      ['', ''],
    ]);
  });

  it('prints values as fmt %v does', () => {
    table([
      ['{{.Count}} {{.Float}} {{.Big}} {{.True}}', '3 1.5 12345678901 true'],
      ['{{.List}}', '[a b c]'],
      ['{{.EmptyList}} {{.EmptyMap}}', '[] map[]'],
      ['{{.Map}}', 'map[a:2 m:3 z:1]'],
      ['{{.Labels}}', 'map[a.b:y com.example:x]'],
      ['{{.Nested}}', '{{deep}}'],
      ['{{.Nil}}', '<no value>'],
      ['{{print .Nil}}', '<nil>'],
    ]);
  });

  it('indexes maps by key, a missing key printing <no value>', () => {
    table([
      ['{{.Map.a}}', '2'],
      ['{{.Map.missing}}', '<no value>'],
      ['{{index .Labels "com.example"}}', 'x'],
      ['{{index .Labels "nope"}}|', '|'],
      ['{{index .Map "nope"}}', '0'],
    ]);
  });

  it('calls methods, with arguments and pipeline values', () => {
    table([
      ['{{.Method}}', 'called'],
      ['{{.WithArg "x"}}', 'got x'],
      ['{{"y" | .WithArg}}', 'got y'],
      ['{{.Plain 1 "a"}}', 'plain(1,a)'],
    ]);
  });

  it('keeps literals as Go parses them', () => {
    table([
      ['{{"a\\tb"}}', 'a\tb'],
      ['{{`raw\\n`}}', 'raw\\n'],
      ["{{'x'}}", '120'],
      ['{{0x1F}} {{0o17}} {{0b101}} {{1_000}}', '31 15 5 1000'],
      ['{{1e3}} {{1.0}} {{-2.5}} {{1e6}}', '1000 1 -2.5 1e+06'],
      ['{{true}} {{false}}', 'true false'],
      ['{{-3}} {{ -3 }}', '-3 -3'],
    ]);
  });
});

describe('template: control structures', () => {
  it('treats empty values as false in if', () => {
    const cases: Array<[string, boolean]> = [
      ['.Zero', false],
      ['.Empty', false],
      ['.EmptyList', false],
      ['.EmptyMap', false],
      ['.Nil', false],
      ['.False', false],
      ['.Count', true],
      ['.List', true],
      ['.Nested', true],
      ['.Float', true],
      ['.Map.missing', false],
    ];
    for (const [expr, want] of cases) assert.equal(run(`{{if ${expr}}}T{{else}}F{{end}}`), want ? 'T' : 'F', expr);
  });

  it('chains else if and else with', () => {
    table([
      ['{{if .Zero}}a{{else if .Empty}}b{{else if .Count}}c{{else}}d{{end}}', 'c'],
      ['{{if .Zero}}a{{else if .Empty}}b{{else}}d{{end}}', 'd'],
      ['{{with .Empty}}x{{else with .Name}}{{.}}{{end}}', 'berth'],
      ['{{with .Empty}}x{{else}}y{{end}}', 'y'],
      ['{{with $x := .Name}}{{$x}}{{.}}{{end}}', 'berthberth'],
    ]);
  });

  it('ranges over slices, maps (sorted keys), integers and nothing', () => {
    table([
      ['{{range .List}}[{{.}}]{{end}}', '[a][b][c]'],
      ['{{range $i, $e := .List}}{{$i}}{{$e}}{{end}}', '0a1b2c'],
      ['{{range $e := .List}}{{$e}}{{end}}', 'abc'],
      ['{{range .EmptyList}}x{{else}}empty{{end}}', 'empty'],
      ['{{range $k, $v := .Map}}{{$k}}={{$v}};{{end}}', 'a=2;m=3;z=1;'],
      ['{{range .Map}}{{.}}{{end}}', '231'],
      ['{{range .Nil}}x{{else}}none{{end}}', 'none'],
      ['{{range .Map.missing}}x{{else}}none{{end}}', 'none'],
      ['{{range 3}}{{.}}{{end}}', '012'],
      ['{{range $i := .Count}}{{$i}}{{end}}', '012'],
      ['{{range 0}}x{{else}}zero{{end}}', 'zero'],
      ['{{range .List}}{{$.Name}}{{end}}', 'berthberthberth'],
    ]);
  });

  it('supports break and continue', () => {
    const nums = { N: [1, 2, 3, 4, 5] };
    assert.equal(run('{{range .N}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}', nums), '13');
    assert.equal(run('{{range .N}}{{range $.N}}{{break}}{{end}}{{.}}{{end}}', nums), '12345');
    assert.equal(run('{{range .N}}{{break}}{{else}}never{{end}}done', nums), 'done');
  });

  it('scopes variables to their block and lets = assign outer ones', () => {
    table([
      ['{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}', '21'],
      ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
      ['{{$x := "none"}}{{range .List}}{{$x = .}}{{end}}{{$x}}', 'c'],
      ['{{$x := 1}}{{$y := $x}}{{$x = 5}}{{$y}}{{$x}}', '15'],
    ]);
    parseFails('{{with $x := .Name}}{{end}}{{$x}}', 'template: :1: undefined variable "$x"');
  });

  it('defines, invokes and overrides templates; blocks define and run', () => {
    table([
      ['{{define "a"}}A{{.}}{{end}}{{template "a" 1}}{{template "a"}}', 'A1A<no value>'],
      ['{{block "b" .Name}}[{{.}}]{{end}}', '[berth]'],
      ['{{define "x"}}({{template "y" .}}){{end}}{{define "y"}}{{len .}}{{end}}{{template "x" .List}}', '(3)'],
      ['{{define "e"}}{{end}}{{define "e"}}filled{{end}}{{template "e"}}', 'filled'],
    ]);
    const t = parseDockerFormat('{{define "t"}}T:{{.}}{{end}}top');
    assert.equal(t.executeTemplate('t', 'x'), 'T:x');
    assert.equal(t.execute(null), 'top');
    parseFails('{{$v := 1}}{{define "t"}}{{$v}}{{end}}', 'template: :1: undefined variable "$v"');
  });

  it('drops comments and trims around - markers', () => {
    table([
      ['a{{/* comment */}}b', 'ab'],
      ['a {{- /* c */ -}} b', 'ab'],
      ['{{/*\nmulti\nline */}}x', 'x'],
      ['a  {{- .Name -}}  b', 'aberthb'],
      ['a\n\t{{- .Count }}\n', 'a3\n'],
      ['{{range .List -}}\n  {{.}}\n{{- end}}', 'abc'],
      ['x {{- 3}}', 'x3'],
    ]);
  });
});

describe('template: pipelines and builtins', () => {
  it('passes the pipeline value as the last argument', () => {
    table([
      ['{{.Name | printf "%s!"}}', 'berth!'],
      ['{{"x" | printf "%s-%s" "y"}}', 'y-x'],
      ['{{printf "%d" (len .List)}}', '3'],
      ['{{.List | len | printf "%03d"}}', '003'],
      ['{{(index .List 0) | upper}}', 'A'],
    ]);
  });

  it('implements and, or, not with short-circuit', () => {
    table([
      ['{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 false}}', '0 2 x false'],
      ['{{not .Empty}} {{not .Count}}', 'true false'],
      ['{{or true .NoSuchField}}', 'true'],
      ['{{and false .NoSuchField}}', 'false'],
      ['{{if and .Count (not .Zero)}}yes{{end}}', 'yes'],
    ]);
  });

  it('compares like Go: eq with several arguments, ordered comparisons', () => {
    table([
      ['{{eq .Count 3}} {{eq .Name "a" "berth"}} {{eq .Name "a" "b"}}', 'true true false'],
      ['{{ne 1 2}} {{lt "a" "b"}} {{le 2 2}} {{gt 1.5 1.2}} {{ge 1 2}}', 'true true true true false'],
      ['{{eq .Nil nil}} {{eq .Map.missing .Nil}}', 'true true'],
      ['{{eq .Map.missing "x"}}', 'false'],
    ]);
    execFails('{{eq .Count "3"}}', 'template: :1:2: executing "" at <eq .Count "3">: error calling eq: incompatible types for comparison: int and string');
    execFails('{{eq .Count 3.0}}', 'template: :1:2: executing "" at <eq .Count 3.0>: error calling eq: incompatible types for comparison: int and float64');
    execFails('{{lt .List 1}}', 'template: :1:2: executing "" at <lt .List 1>: error calling lt: invalid type for comparison');
    execFails('{{eq .List .List}}', 'template: :1:2: executing "" at <eq .List .List>: error calling eq: non-comparable type [a b c]: []string');
  });

  it('implements len, index and slice with Go byte semantics for strings', () => {
    table([
      ['{{len .List}} {{len .Map}} {{len .Name}} {{len "héllo"}}', '3 3 5 6'],
      ['{{index .List 1}} {{index "abc" 1}}', 'b 98'],
      ['{{slice .Name 1 3}} {{slice .List 1}} {{slice .List}} {{slice .List 1 2}}', 'er [b c] [a b c] [b]'],
    ]);
    execFails('{{index .List 5}}', 'template: :1:2: executing "" at <index .List 5>: error calling index: index out of range: 5');
    execFails('{{index .List 3}}', 'template: :1:2: executing "" at <index .List 3>: error calling index: reflect: slice index out of range');
    execFails('{{index .Count 1}}', 'template: :1:2: executing "" at <index .Count 1>: error calling index: can\'t index item of type int');
    execFails('{{slice .List 2 1}}', 'template: :1:2: executing "" at <slice .List 2 1>: error calling slice: invalid slice index: 2 > 1');
    execFails('{{len .Count}}', 'template: :1:2: executing "" at <len .Count>: error calling len: len of type int');
  });

  it('prints with print, println, printf', () => {
    table([
      ['{{print "a" 1 2 "b" "c" 3}}', 'a1 2bc3'],
      ['{{println 1 "a"}}', '1 a\n'],
      ['{{printf "%v|%q|%5.1f|%-4s|%03d|%x|%X|%t|%c|%U" .List .Name 3.14159 "ab" 7 255 "hi" true 65 65}}', '[a b c]|"berth"|  3.1|ab  |007|ff|6869|true|A|U+0041'],
      ['{{printf "%d" "x"}}', '%!d(string=x)'],
      ['{{printf "%s"}}', '%!s(MISSING)'],
      ['{{printf "%s" 1 2}}', '%!s(int=1)%!(EXTRA int=2)'],
    ]);
  });

  it('escapes with html, js and urlquery', () => {
    table([
      [`{{html "<a href='x'>&\\"</a>"}}`, '&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;'],
      [`{{js "it's <b> & \\"q\\" = \\\\"}}`, "it\\'s \\u003Cb\\u003E \\u0026 \\\"q\\\" \\u003D \\\\"],
      ['{{urlquery "a b&c=d/é"}}', 'a+b%26c%3Dd%2F%C3%A9'],
      ['{{html 1 2}}', '1 2'],
      ['{{html .Nil}} {{print .Nil}} {{urlquery .Map.missing 1}}', '&lt;no value&gt; <nil> %3Cno+value%3E1'],
    ]);
  });

  it('calls function values with call', () => {
    const dot = { F: goFuncValue(['int', 'int'], (a: number, b: number) => a + b), S: 'x' };
    assert.equal(run('{{call .F 1 2}}', dot), '3');
    execFails('{{call .S 1}}', 'template: :1:2: executing "" at <call .S 1>: error calling call: non-function .S of type string', dot);
    execFails('{{call .F 1}}', 'template: :1:2: executing "" at <call .F 1>: error calling call: wrong number of args for .F: got 1 want 2', dot);
  });
});

describe("template: docker's functions", () => {
  it('json, split, join, title, lower, upper, pad, truncate', () => {
    table([
      ['{{json .Name}}', '"berth"'],
      ['{{json .Labels}}', '{"a.b":"y","com.example":"x"}'],
      ['{{json .List}}', '["a","b","c"]'],
      ['{{join (split "a:b:c" ":") ","}}', 'a,b,c'],
      ['{{split "abc" ""}}', '[a b c]'],
      ['{{join .Map ","}}', '1,2,3'],
      ['{{join .Nil ","}}|', '|'],
      ['{{title "hello world-foo_bar"}}', 'Hello World-Foo_bar'],
      ['{{upper .Name}} {{lower "ABC"}}', 'BERTH abc'],
      ['[{{pad .Name 2 1}}][{{pad "" 2 1}}]', '[  berth ][]'],
      ['{{truncate .Name 3}} {{truncate .Name 10}}', 'ber berth'],
    ]);
    assert.equal(run('{{json .}}', { A: '<none>&' }), '{"A":"<none>&"}');
  });

  it('header functions leave column titles alone (pad is kept)', () => {
    const t = parseDockerFormat('{{upper .ID}}|{{truncate .ID 2}}|{{json .ID}}|{{pad .ID 1 1}}').funcs(dockerHeaderFuncs);
    assert.equal(t.execute(goMap({ ID: 'IMAGE ID' })), 'IMAGE ID|IMAGE ID|IMAGE ID| IMAGE ID ');
  });

  it('checks argument types as Go does', () => {
    execFails('{{upper 5}}', 'template: :1:8: executing "" at <5>: expected string; found 5');
    execFails('{{upper .Count}}', 'template: :1:8: executing "" at <.Count>: wrong type for value; expected string; got int');
    execFails('{{truncate .Name "x"}}', 'template: :1:17: executing "" at <"x">: expected integer; found "x"');
    execFails('{{upper}}', 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 0');
    execFails('{{upper "a" "b"}}', 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 2');
  });
});

describe('template: parse errors carry Go text', () => {
  it('reports syntax errors with line numbers', () => {
    const cases: Array<[string, string]> = [
      ['{{.Name', 'template: :1: unclosed action'],
      ['{{if .Name}}', 'template: :1: unexpected EOF'],
      ['{{end}}', 'template: :1: unexpected {{end}}'],
      ['{{else}}', 'template: :1: unexpected {{else}}'],
      ['{{undefinedFn}}', 'template: :1: function "undefinedFn" not defined'],
      ['{{$u}}', 'template: :1: undefined variable "$u"'],
      ['{{range .List}}{{end}}{{break}}', 'template: :1: {{break}} outside {{range}}'],
      ['{{continue}}', 'template: :1: {{continue}} outside {{range}}'],
      ['{{.Name | 3}}', 'template: :1: non executable command in pipeline stage 2'],
      ['{{(1}}', 'template: :1: unclosed left paren'],
      ['{{1)}}', 'template: :1: unexpected right paren'],
      ['{{"abc}}', 'template: :1: unterminated quoted string'],
      ['{{/* x }}', 'template: :1: unclosed comment'],
      ['{{3x}}', 'template: :1: bad number syntax: "3x"'],
      ['{{.Name @}}', 'template: :1: unexpected "@" in operand'],
      ['{{template .Name}}', 'template: :1: unexpected ".Name" in template clause'],
      ['{{if}}{{end}}', 'template: :1: missing value for if'],
      ['\n\n{{if}}', 'template: :3: missing value for if'],
      ['{{range $i, $j, $k := .List}}{{end}}', 'template: :1: too many declarations in range'],
      ['{{$x, $y := 1}}', 'template: :1: too many declarations in command'],
      ['{{define "x"}}a{{end}}{{define "x"}}b{{end}}', 'template: :1: template: multiple definition of template "x"'],
      ['{{1.2.3}}', 'template: :1: unexpected ".3" in operand'],
      ['{{"x".Field}}', 'template: :1: unexpected . after term "\\"x\\""'],
      ['{{ifx}}', 'template: :1: function "ifx" not defined'],
      ['{{.Name}\n', "template: :1: bad character U+007D '}'"],
    ];
    for (const [text, want] of cases) parseFails(text, want);
  });
});

describe('template: execution errors carry Go text', () => {
  it('names the location, the template and the failing node', () => {
    execFails('{{.Missing}}', 'template: :1:2: executing "" at <.Missing>: can\'t evaluate field Missing in type *main.Data');
    execFails('{{.Name.Foo}}', 'template: :1:7: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type string');
    execFails('{{if .List.Foo}}{{end}}', 'template: :1:10: executing "" at <.List.Foo>: can\'t evaluate field Foo in type []string');
    execFails('{{.Nil.Foo}}', 'template: :1:6: executing "" at <.Nil.Foo>: nil pointer evaluating interface {}.Foo');
    execFails('{{.Name 1}}', 'template: :1:2: executing "" at <.Name>: Name has arguments but cannot be invoked as function');
    execFails('{{.Method 1}}', 'template: :1:2: executing "" at <.Method>: wrong number of args for Method: want 0 got 1');
    execFails('{{1 2}}', 'template: :1:2: executing "" at <1>: can\'t give argument to non-function 1');
    execFails('{{nil}}', 'template: :1:2: executing "" at <nil>: nil is not a command');
    execFails('{{template "nope"}}', 'template: :1:11: executing "" at <{{template "nope"}}>: template "nope" not defined');
    execFails('{{printf 1}}', 'template: :1:9: executing "" at <1>: expected string; found 1');
    execFails('{{range .Name}}{{end}}', 'template: :1:8: executing "" at <.Name>: range can\'t iterate over berth');
    execFails('{{range $i, $v := 3}}{{end}}', 'template: :1:18: executing "" at <3>: can\'t use 3 to iterate over more than one variable');
    execFails('line1\n  {{.Missing}}', 'template: :2:4: executing "" at <.Missing>: can\'t evaluate field Missing in type *main.Data');
  });

  it('keeps the text written before the error', () => {
    try {
      run('ab{{.Name}}{{.Missing}}cd');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof ExecError);
      assert.equal(e.output, 'abberth');
    }
  });

  it('honours missingkey options', () => {
    const m = goMap({ a: 'x' });
    assert.equal(parseTemplate('{{.b}}').execute(m), '<no value>');
    assert.equal(parseTemplate('{{.b}}|').option('missingkey=zero').execute(m), '|');
    assert.throws(
      () => parseTemplate('{{.b}}').option('missingkey=error').execute(m),
      /^ExecError: template: :1:2: executing "" at <.b>: map has no entry for key "b"$/,
    );
  });

  it('reports an empty template', () => {
    const t = parseTemplate('{{define "x"}}x{{end}}');
    assert.equal(t.execute(null), '');
  });
});

describe('template: plain Go builtins only', () => {
  it('does not know docker functions without docker funcs', () => {
    assert.throws(() => parseTemplate('{{json .}}'), /function "json" not defined/);
    assert.equal(parseTemplate('{{shout .}}', { shout: (s: string) => s.toUpperCase() + '!' }).execute('hi'), 'HI!');
  });
});
