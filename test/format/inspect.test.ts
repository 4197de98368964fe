import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { InspectFormatError, goStruct, jsonCompact, renderInspect } from '../../src/cli/format/index.js';
import { CLI_DIRS, fixture, golden } from './fixture-tables.js';

function inspected(cli: string, name: string): { text: string; value: unknown; raw: string } {
  const text = fixture(cli, name);
  const [value] = JSON.parse(text) as unknown[];
  return { text, value, raw: jsonCompact(text.trim().slice(1, -1)) };
}

describe('inspect: default output is the indented JSON', () => {
  for (const cli of CLI_DIRS) {
    for (const name of ['inspect', 'inspect-base', 'inspect-arm64']) {
      it(`${cli}/${name}: from the raw JSON (json.Indent)`, () => {
        const { text, value, raw } = inspected(cli, name);
        assert.equal(renderInspect(undefined, [{ value, raw }]).output, text);
        assert.equal(renderInspect('', [{ value, raw }]).output, text);
      });
      it(`${cli}/${name}: from the typed value (json.MarshalIndent)`, () => {
        const { text, value } = inspected(cli, name);
        assert.equal(renderInspect('', [{ value }]).output, text);
      });
    }
  }

  it('json prints compact JSON, an empty list as []', () => {
    const { value, raw } = inspected('cli-28.2.2', 'inspect');
    assert.equal(renderInspect('json', [{ value, raw }]).output, '[' + raw + ']\n');
    assert.equal(renderInspect('json', []).output, '[]\n');
    assert.equal(renderInspect('', []).output, '[]\n');
  });
});

describe('inspect: templates', () => {
  for (const cli of CLI_DIRS) {
    it(`${cli}/inspect-format`, () => {
      const { value, raw } = inspected(cli, 'inspect');
      const format = '{{.Id}} {{.RepoTags}} {{len .RootFS.Layers}}';
      assert.equal(renderInspect(format, [{ value, raw }]).output, fixture(cli, 'inspect-format'));
      // A typed value lacking the fields falls back to the raw JSON.
      const typed = goStruct({}, 'image.InspectResponse');
      assert.deepEqual(renderInspect(format, [{ value: typed, raw }]), { output: fixture(cli, 'inspect-format'), errors: [] });
    });
  }

  it('reports errors per element and exits 64 on a bad template', () => {
    const { value, raw } = inspected('cli-28.2.2', 'inspect');
    const typed = goStruct({}, 'image.InspectResponse');
    assert.deepEqual(renderInspect('{{.Nope}}', [{ value: typed, raw }]), {
      output: '\n',
      errors: ['template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"'],
    });
    assert.deepEqual(renderInspect('{{.Nope}}', [{ value: typed }]), {
      output: '\n',
      errors: ['template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type image.InspectResponse'],
    });
    assert.deepEqual(renderInspect('{{.Os}}', [{ value }, { value: typed }]), {
      output: 'linux\n',
      errors: ['template parsing error: template: :1:2: executing "" at <.Os>: can\'t evaluate field Os in type image.InspectResponse'],
    });
    assert.throws(
      () => renderInspect('{{.Os', [{ value }]),
      (e: unknown) => e instanceof InspectFormatError && e.exitCode === 64 && e.message === 'template parsing error: template: :1: unclosed action',
    );
  });

  it('ranges over raw JSON maps with sorted keys and keeps numbers as written', () => {
    const raw = '{"Config":{"Labels":{"z":"1","a":"2"}},"Size":1.50}';
    const { output } = renderInspect('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}{{.Size}} {{json .Config}}', [
      { value: goStruct({}, 'image.InspectResponse'), raw },
    ]);
    assert.equal(output, 'a=2 z=1 1.50 {"Labels":{"a":"2","z":"1"}}\n');
  });
});

describe('inspect: docker-cli golden files', () => {
  const zeroImage = (): Record<string, unknown> => ({
    Id: '',
    RepoTags: null,
    RepoDigests: null,
    Config: null,
    Architecture: '',
    Os: '',
    Size: 0,
    RootFS: {},
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  });

  it('simple and simple-many', () => {
    assert.equal(renderInspect('', [{ value: zeroImage() }]).output, golden('inspect-command-success.simple'));
    assert.equal(renderInspect('', [{ value: zeroImage() }, { value: zeroImage() }]).output, golden('inspect-command-success.simple-many'));
  });

  it('format', () => {
    // Templates see Go field names (ID), JSON shows the json tags (Id).
    const value = goStruct({ ID: 'image' }, 'image.InspectResponse');
    assert.equal(renderInspect("'{{.ID}}'", [{ value }]).output, golden('inspect-command-success.format'));
  });
});
