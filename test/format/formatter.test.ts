import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  FormatError,
  UTC,
  historyHeaders as exportedHistoryHeaders,
  historyRow,
  imageHeaders as exportedImageHeaders,
  imageRow,
  newHistoryFormat,
  newImageFormat,
  ellipsis,
  formatRFC3339,
  formatterContext,
  humanSizeWithPrecision,
  preFormat,
  renderFormatted,
  resolveFormat,
  timeAgo,
  truncateID,
} from '../../src/cli/format/index.js';
import { CLI_DIRS, fixture, fixtureNames, golden, tableRows } from './fixture-tables.js';

// The formats and header maps of docker/cli 28.2.2 (cli/command/formatter/image.go and
// cli/command/image/formatter_history.go), written out as the commands will pass them.
const imageTableFormat = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const imageTableFormatWithDigest =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const imageHeaders = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};
const historyTableFormat = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const historyNonHumanFormat = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const historyHeaders = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

const imageColumns = {
  REPOSITORY: 'Repository',
  TAG: 'Tag',
  'IMAGE ID': 'ID',
  DIGEST: 'Digest',
  CREATED: 'CreatedSince',
  SIZE: 'Size',
};
const historyColumns = {
  IMAGE: 'ID',
  CREATED: 'CreatedSince',
  'CREATED AT': 'CreatedAt',
  'CREATED BY': 'CreatedBy',
  SIZE: 'Size',
  COMMENT: 'Comment',
};

const IMAGE_ROW = '*formatter.imageContext';
const HISTORY_ROW = '*image.historyContext';

describe('formatter: docker images tables, byte for byte', () => {
  for (const cli of CLI_DIRS) {
    for (const name of fixtureNames(cli, 'images')) {
      const out = fixture(cli, name);
      if (!out.startsWith('REPOSITORY')) continue;
      it(`${cli}/${name}`, () => {
        const cmd = fixture(cli, name, 'cmd');
        let defaultTableFormat = imageTableFormat;
        let format = '';
        if (cmd.includes('--digests')) defaultTableFormat = imageTableFormatWithDigest;
        // images-format-table was run with --format 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}'.
        if (cmd.includes('--format')) format = 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}';
        const rows = tableRows(out, imageColumns);
        const got = renderFormatted({ format, defaultTableFormat, headers: imageHeaders, rows, rowType: IMAGE_ROW });
        assert.equal(got, out);
      });
    }
  }

  it('images -q / -aq print one ID per line', () => {
    for (const cli of CLI_DIRS) {
      for (const name of ['images-q', 'images-aq']) {
        const out = fixture(cli, name);
        const rows = out.trimEnd().split('\n').map((ID) => ({ ID }));
        const got = renderFormatted({ defaultTableFormat: imageTableFormat, quiet: true, headers: imageHeaders, rows });
        assert.equal(got, out, `${cli}/${name}`);
      }
    }
  });
});

describe('formatter: docker history tables, byte for byte', () => {
  for (const cli of CLI_DIRS) {
    for (const name of fixtureNames(cli, 'history')) {
      const out = fixture(cli, name);
      if (!out.startsWith('IMAGE')) continue;
      it(`${cli}/${name}`, () => {
        const nonHuman = out.startsWith('IMAGE          CREATED AT');
        const rows = tableRows(out, historyColumns);
        // The classic builder records COPY steps with a trailing space ("... in /app/payload.txt "),
        // which the untruncated column width shows but parsing the table cannot recover.
        for (const row of rows) if (/^\/bin\/sh -c #\(nop\) COPY \S+ in \S+$/.test(row.CreatedBy)) row.CreatedBy += ' ';
        const got = renderFormatted({
          defaultTableFormat: nonHuman ? historyNonHumanFormat : historyTableFormat,
          headers: historyHeaders,
          rows,
          rowType: HISTORY_ROW,
        });
        assert.equal(got, out);
      });
    }
  }

  it('history -q prints the IDs', () => {
    for (const cli of CLI_DIRS) {
      const out = fixture(cli, 'history-q');
      const rows = out.trimEnd().split('\n').map((ID) => ({ ID }));
      assert.equal(renderFormatted({ defaultTableFormat: historyTableFormat, quiet: true, headers: historyHeaders, rows }), out);
    }
  });

  it('truncates CREATED BY to 45 cells with an ellipsis and IDs to 12 characters', () => {
    for (const cli of CLI_DIRS) {
      const full = tableRows(fixture(cli, 'history-no-trunc'), historyColumns);
      const short = tableRows(fixture(cli, 'history'), historyColumns);
      assert.equal(full.length, short.length);
      full.forEach((row, i) => {
        assert.equal(ellipsis(row.CreatedBy, 45), short[i].CreatedBy);
        assert.equal(truncateID(row.ID), short[i].ID);
      });
    }
  });

  it('human sizes and RFC3339 times agree with the -H=false output', () => {
    for (const cli of CLI_DIRS) {
      const human = tableRows(fixture(cli, 'history'), historyColumns);
      const raw = tableRows(fixture(cli, 'history-H-false'), historyColumns);
      raw.forEach((row, i) => {
        assert.equal(humanSizeWithPrecision(Number(row.Size), 3), human[i].Size);
        assert.equal(formatRFC3339(Date.parse(row.CreatedAt) / 1000, UTC), row.CreatedAt);
      });
    }
  });
});

// Field order of docker's contexts (method order does not matter: {{json .}} sorts keys).
const imageFields = ['ID', 'Repository', 'Tag', 'Digest', 'CreatedSince', 'CreatedAt', 'Size', 'Containers', 'VirtualSize', 'SharedSize', 'UniqueSize'];
const historyFields = ['ID', 'CreatedAt', 'CreatedSince', 'CreatedBy', 'Size', 'Comment'];

function reorder(obj: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = obj[f];
  return out;
}

describe('formatter: --format json and {{json .}}', () => {
  for (const cli of CLI_DIRS) {
    for (const [name, fields] of [
      ['images-format-json', imageFields],
      ['history-format-json', historyFields],
    ] as const) {
      it(`${cli}/${name}`, () => {
        const out = fixture(cli, name);
        const rows = out
          .trimEnd()
          .split('\n')
          .map((line) => reorder(JSON.parse(line) as Record<string, unknown>, [...fields]));
        for (const format of ['{{json .}}', 'json']) {
          assert.equal(renderFormatted({ format, defaultTableFormat: imageTableFormat, headers: imageHeaders, rows }), out);
        }
      });
    }
  }

  it('escapes HTML inside rows but not in {{json .Field}}', () => {
    const rows = [{ Repository: '<none>', Tag: 'a&b' }];
    const opts = { defaultTableFormat: imageTableFormat, headers: imageHeaders, rows };
    assert.equal(renderFormatted({ ...opts, format: '{{json .}}' }), '{"Repository":"\\u003cnone\\u003e","Tag":"a\\u0026b"}\n');
    assert.equal(renderFormatted({ ...opts, format: '{{json .Repository}}' }), '"<none>"\n');
  });

  it('calls no-argument methods of a row when marshalling it', () => {
    const row = { ID: 'abc', Size: () => '1B', Twice: (s: string) => s + s };
    assert.equal(renderFormatted({ format: '{{json .}}', defaultTableFormat: '', headers: {}, rows: [row] }), '{"ID":"abc","Size":"1B"}\n');
    assert.equal(renderFormatted({ format: '{{.Size}} {{.Twice .ID}}', defaultTableFormat: '', headers: {}, rows: [row] }), '1B abcabc\n');
  });
});

describe('formatter: docker-cli golden files', () => {
  const now = Date.now();
  const created = Math.floor(now / 1000);

  it('history simple and platform', () => {
    for (const [name, comment] of [
      ['history-command-success.simple', 'none'],
      ['history-command-success.platform', ''],
    ]) {
      const rows = [
        {
          ID: truncateID('1234567890123456789'),
          CreatedSince: timeAgo(created, now),
          CreatedBy: '',
          Size: humanSizeWithPrecision(0, 3),
          Comment: comment,
        },
      ];
      assert.equal(renderFormatted({ defaultTableFormat: historyTableFormat, headers: historyHeaders, rows }), golden(name));
    }
  });

  it('history non-human', () => {
    const rows = [
      { ID: 'abcdef', CreatedAt: formatRFC3339(Date.parse('2017-01-01T12:00:03Z') / 1000, UTC), CreatedBy: 'rose', Size: '0', Comment: 'new history item!' },
    ];
    assert.equal(
      renderFormatted({ defaultTableFormat: historyNonHumanFormat, headers: historyHeaders, rows }),
      golden('history-command-success.non-human'),
    );
  });

  it('history quiet, with and without truncation', () => {
    const q = (ID: string): string => renderFormatted({ defaultTableFormat: historyTableFormat, quiet: true, headers: historyHeaders, rows: [{ ID }] });
    assert.equal(q('tag'), golden('history-command-success.quiet'));
    assert.equal(q('1234567890123456789'), golden('history-command-success.quiet-no-trunc'));
  });
});

describe('formatter: Context semantics', () => {
  const base = { defaultTableFormat: imageTableFormat, headers: imageHeaders, rowType: IMAGE_ROW };
  const rows = [{ ID: 'abc', Repository: 'r', Tag: 't', CreatedSince: '', Size: '1B' }];

  it('chooses the format like NewImageFormat', () => {
    assert.equal(resolveFormat({ defaultTableFormat: 'D' }), 'D');
    assert.equal(resolveFormat({ format: 'table', defaultTableFormat: 'D' }), 'D');
    assert.equal(resolveFormat({ format: 'table', quiet: true, defaultTableFormat: 'D' }), '{{.ID}}');
    assert.equal(resolveFormat({ format: '{{.Tag}}', quiet: true, defaultTableFormat: 'D' }), '{{.Tag}}');
    assert.equal(resolveFormat({ format: 'raw', defaultTableFormat: 'D', rawFormat: 'R', rawQuietFormat: 'Q' }), 'R');
    assert.equal(resolveFormat({ format: 'raw', quiet: true, defaultTableFormat: 'D', rawFormat: 'R', rawQuietFormat: 'Q' }), 'Q');
    assert.equal(resolveFormat({ format: 'raw', defaultTableFormat: 'D' }), 'raw');
  });

  it('pre-processes formats like Context.preFormat', () => {
    assert.equal(preFormat('table {{.ID}}\\t{{.Tag}}'), '{{.ID}}\t{{.Tag}}');
    assert.equal(preFormat('json'), '{{json .}}');
    assert.equal(preFormat('  {{.ID}}\\n  '), '{{.ID}}\n');
    assert.equal(preFormat('table'), '');
    assert.equal(preFormat('tablefoo'), 'foo');
  });

  it('prints a header even without rows, <no value> for unknown columns', () => {
    assert.equal(renderFormatted({ ...base, rows: [] }), 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');
    assert.equal(renderFormatted({ ...base, format: 'table {{.ID}}\t{{.Foo}}', rows: [] }), 'IMAGE ID   <no value>\n');
  });

  it('uses N/A for an empty CreatedSince in the default image table', () => {
    assert.equal(renderFormatted({ ...base, rows }), 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\nr            t         abc        N/A       1B\n');
  });

  it('renders custom and raw formats one line per row, with no header', () => {
    assert.equal(renderFormatted({ ...base, format: '{{.ID}}: {{.Repository}}\\t{{.Tag}}', rows }), 'abc: r\tt\n');
    const raw = 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
    const row = { ...rows[0], CreatedAt: '2026-11-25 20:47:59 +0000 UTC' };
    assert.equal(
      renderFormatted({ ...base, format: 'raw', rawFormat: raw, rows: [row, row] }),
      'repository: r\ntag: t\nimage_id: abc\ncreated_at: 2026-11-25 20:47:59 +0000 UTC\nvirtual_size: 1B\n\n'.repeat(2),
    );
  });

  it('runs the header through the header functions', () => {
    assert.equal(
      renderFormatted({ ...base, format: 'table {{upper .Repository}}\t{{truncate .ID 2}}\t{{pad .Tag 1 1}}', rows }),
      'REPOSITORY   IMAGE ID    TAG \nR            ab          t \n',
    );
  });

  it('keeps the partial header when it fails, as docker ignores that error', () => {
    assert.equal(renderFormatted({ ...base, format: 'table {{.ID}} {{json .}}', rows: [{ ID: 'a' }] }), 'IMAGE ID \na {"ID":"a"}\n');
  });

  it('reports template errors as docker does, printing nothing', () => {
    assert.throws(
      () => renderFormatted({ ...base, format: '{{.Foo}}', rows }),
      (e: unknown) =>
        e instanceof FormatError &&
        e.message === 'template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.imageContext',
    );
    assert.throws(
      () => renderFormatted({ ...base, format: 'table {{.ID', rows }),
      (e: unknown) => e instanceof FormatError && e.message === 'template parsing error: template: :1: unclosed action',
    );
    assert.throws(
      () => renderFormatted({ ...base, format: '{{nosuch .ID}}', rows }),
      (e: unknown) => e instanceof FormatError && e.message === 'template parsing error: template: :1: function "nosuch" not defined',
    );
  });

  it('wraps rows as formatter contexts', () => {
    const ctx = formatterContext({ A: 1 }, '*x.ctx');
    assert.equal(renderFormatted({ format: '{{.A}}', defaultTableFormat: '', headers: {}, rows: [ctx] }), '1\n');
  });
});

describe('formatter: docker images/history definitions', () => {
  it('newImageFormat and newHistoryFormat choose formats as docker does', () => {
    assert.equal(newImageFormat('', false, false), imageTableFormat);
    assert.equal(newImageFormat('table', true, true), '{{.ID}}');
    assert.equal(newImageFormat('table', false, true), imageTableFormatWithDigest);
    assert.equal(newImageFormat('table {{.ID}}', false, true), 'table {{.ID}}\t{{.Digest}}');
    assert.equal(newImageFormat('table {{.ID}} {{.Digest}}', false, true), 'table {{.ID}} {{.Digest}}');
    assert.equal(newImageFormat('{{.ID}}', true, true), '{{.ID}}');
    assert.equal(newImageFormat('raw', true, false), 'image_id: {{.ID}}');
    assert.equal(newHistoryFormat('table', false, false), historyNonHumanFormat);
    assert.equal(newHistoryFormat('table', false, true), historyTableFormat);
    assert.deepEqual(exportedImageHeaders, imageHeaders);
    assert.deepEqual(exportedHistoryHeaders, historyHeaders);
    assert.equal(newHistoryFormat('', true, true), '{{.ID}}');
    assert.equal(newHistoryFormat('json', true, true), 'json');
  });

  it('imageRow computes the fields of the images-format-json fixture', () => {
    const inspect = (JSON.parse(fixture('cli-28.2.2', 'inspect')) as Array<Record<string, unknown>>)[0];
    const created = Math.floor(Date.parse(inspect.Created as string) / 1000);
    const row = imageRow(
      { ID: inspect.Id as string, Created: created, Size: inspect.Size as number, SharedSize: -1, Containers: -1 },
      { repo: '127.0.0.1:5000/lab/small', tag: '1.0', digest: '<none>' },
      { trunc: true, nowMs: (created + 4.5) * 1000, location: UTC },
    );
    const line = fixture('cli-28.2.2', 'images-format-json').split('\n').find((l) => l.includes('"Tag":"1.0"') && l.includes('127.0.0.1'));
    assert.equal(renderFormatted({ format: 'json', headers: imageHeaders, rows: [row] }), line + '\n');
  });

  it('historyRow computes the fields of the history fixtures', () => {
    const full = tableRows(fixture('cli-28.2.2', 'history-no-trunc'), historyColumns);
    const raw = tableRows(fixture('cli-28.2.2', 'history-H-false'), historyColumns);
    const nowMs = Date.parse('2026-11-25T20:48:00.5Z');
    const items = full.map((r, i) => ({ ID: r.ID, Created: Date.parse(raw[i].CreatedAt) / 1000, CreatedBy: r.CreatedBy, Size: Number(raw[i].Size), Comment: r.Comment }));
    const json = items.map((it) => historyRow(it, { trunc: true, human: true, nowMs, location: UTC }));
    assert.equal(renderFormatted({ format: 'json', headers: historyHeaders, rows: json }), fixture('cli-28.2.2', 'history-format-json'));
    const nonHuman = items.map((it) => historyRow(it, { trunc: true, human: false, location: UTC }));
    assert.equal(renderFormatted({ format: newHistoryFormat('', false, false), headers: historyHeaders, rows: nonHuman }), fixture('cli-28.2.2', 'history-H-false'));
    const old = historyRow({ ID: 'sha256:abc', Created: 900000000, CreatedBy: 'a\tb', Size: 0, Comment: '' }, { trunc: true, human: true });
    assert.deepEqual([old.CreatedSince, old.CreatedBy, old.ID], ['N/A', 'a b', 'abc']);
  });
});

describe('formatter: rows as class instances', () => {
  it('sees getters and methods defined on the class', () => {
    class Row {
      constructor(private readonly id: string) {}
      get ID(): string {
        return this.id.slice(0, 3);
      }
      Size(): string {
        return '1B';
      }
    }
    const rows = [new Row('abcdef')];
    assert.equal(renderFormatted({ format: '{{.ID}} {{.Size}}', headers: {}, rows }), 'abc 1B\n');
    assert.equal(renderFormatted({ format: '{{json .}}', headers: {}, rows }), '{"ID":"abc","Size":"1B"}\n');
  });
});
