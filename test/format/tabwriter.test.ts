import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  AlignRight,
  Debug,
  DiscardEmptyColumns,
  FilterHTML,
  StripEscape,
  TabIndent,
  TabWriter,
  dockerTableWriter,
  stringWidth,
  type TabWriterOptions,
} from '../../src/cli/format/index.js';

function tab(text: string, opts: Partial<TabWriterOptions> = {}): string {
  const w = new TabWriter({ minwidth: 0, tabwidth: 8, padding: 1, padchar: '.', ...opts });
  return w.write(text).flush();
}

describe('tabwriter: elastic tabstops', () => {
  it('aligns tab-terminated cells into columns', () => {
    assert.equal(tab('a\tb\tc\naaa\tbbbbb\tc\n'), 'a...b.....c\naaa.bbbbb.c\n');
    assert.equal(tab('a\tb\tc\naaa\tbbbbb\tc\n', { minwidth: 6 }), 'a.....b.....c\naaa...bbbbb.c\n');
  });

  it('ends a column block at a line without that column', () => {
    assert.equal(tab('a\tb\nc\nddd\te\n'), 'a.b\nc\nddd.e\n');
    // b and z are in different columns: the line between them has no such cell.
    assert.equal(tab('a\tb\tc\nxx\tyyy\nlong\tz\tw\n'), 'a....b.c\nxx...yyy\nlong.z.w\n');
  });

  it('keeps text after the last tab out of the columns and buffers an unterminated line', () => {
    assert.equal(tab('x\tlong trailing text\nxyz\tt\n'), 'x...long trailing text\nxyz.t\n');
    assert.equal(tab('a\tb'), 'a.b');
  });

  it('handles empty cells', () => {
    assert.equal(tab('\tb\na\t\n'), '..b\na.\n');
  });

  it('aligns right', () => {
    assert.equal(tab('a\tbbb\t\nccc\td\t\n', { padchar: ' ', flags: AlignRight }), '   a bbb\n ccc   d\n');
  });

  it('pads with tabs when padchar is a tab', () => {
    assert.equal(tab('a\tb\nccccccccc\td\n', { padchar: '\t' }), 'a\t\tb\nccccccccc\td\n');
  });

  it('supports Debug, DiscardEmptyColumns and TabIndent', () => {
    assert.equal(tab('a\tb\tc\n', { padchar: ' ', flags: Debug }), 'a |b |c\n');
    assert.equal(tab('a\v\vc\nx\v\vz\n', { flags: DiscardEmptyColumns }), 'a.c\nx.z\n');
    assert.equal(tab('a\v\vc\nx\v\vz\n'), 'a..c\nx..z\n');
    assert.equal(tab('\ta\n\tbb\n', { padchar: ' ', flags: TabIndent }), '\ta\n\tbb\n');
  });

  it('filters HTML and escaped segments when asked', () => {
    assert.equal(tab('<b>a</b>\tx\nbb\ty\n', { flags: FilterHTML }), '<b>a</b>..x\nbb.y\n');
    assert.equal(tab('&amp;\tx\nbbb\ty\n', { flags: FilterHTML }), '&amp;...x\nbbb.y\n');
    assert.equal(tab('#a\tb#\tx\nccccc\ty\n', { escape: '#', measure: 'runes' }), '#a\tb#...x\nccccc.y\n');
    assert.equal(tab('#a\tb#\tx\nccccc\ty\n', { escape: '#', measure: 'runes', flags: StripEscape }), 'a\tb...x\nccccc.y\n');
    // docker's fork measures display width, in which a tab takes no cell.
    assert.equal(tab('#a\tb#\tx\nccccc\ty\n', { escape: '#' }), '#a\tb#....x\nccccc.y\n');
  });

  it('flushes a formfeed as a section break', () => {
    assert.equal(tab('a\tb\n\fccc\td\n'), 'a.b\n\nccc.d\n');
  });

  it('gives the same result however the input is split', () => {
    const text = 'ID\tNAME\tSIZE\n1\tfirst\t10B\n22\tsecond row\t1.5kB\n';
    const whole = dockerTableWriter().write(text).flush();
    const w = dockerTableWriter();
    for (const ch of text) w.write(ch);
    assert.equal(w.flush(), whole);
  });

  it('streams to a sink', () => {
    const chunks: string[] = [];
    const w = new TabWriter({ minwidth: 0, tabwidth: 8, padding: 1, padchar: ' ' }, (s) => chunks.push(s));
    w.write('a\tb\n');
    assert.equal(w.flush(), '');
    assert.equal(chunks.join(''), 'a b\n');
  });
});

describe("tabwriter: docker's table writer", () => {
  it('uses minwidth 10, padding 3 and display widths', () => {
    const w = dockerTableWriter();
    w.write('A\tB\n日本語\tx\nabcdefghijkl\ty\n');
    assert.equal(w.flush(), 'A              B\n日本語         x\nabcdefghijkl   y\n');
    const runes = new TabWriter({ minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ', measure: 'runes' });
    assert.equal(runes.write('日本語\tx\n').flush(), '日本語       x\n');
  });

  it('measures like go-runewidth', () => {
    assert.equal(stringWidth('abc'), 3);
    assert.equal(stringWidth('…'), 1);
    assert.equal(stringWidth('日本'), 4);
    assert.equal(stringWidth('é'), 1);
    assert.equal(stringWidth('e\u0301'), 1);
    assert.equal(stringWidth('😀'), 2);
    assert.equal(stringWidth('a\u200bb'), 2);
    assert.equal(stringWidth('├─'), 2);
  });
});
