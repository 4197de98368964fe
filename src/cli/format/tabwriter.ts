// Go's text/tabwriter (elastic tabstops), in the variant docker/cli vendors: cell widths are
// display widths (East Asian wide characters count two) unless `measure: 'runes'` asks for
// the standard library's rune count.

import { runeCount, stringWidth } from './runewidth.js';

export const FilterHTML = 1 << 0;
export const StripEscape = 1 << 1;
export const AlignRight = 1 << 2;
export const DiscardEmptyColumns = 1 << 3;
export const TabIndent = 1 << 4;
export const Debug = 1 << 5;

export interface TabWriterOptions {
  /** Minimal cell width including any padding. */
  minwidth: number;
  /** Width of a tab character (used when padding with tabs). */
  tabwidth: number;
  /** Padding added to a cell before computing its width. */
  padding: number;
  /** Padding character; '\t' forces left alignment and tab padding. */
  padchar: string;
  /** Bitwise OR of FilterHTML, StripEscape, AlignRight, DiscardEmptyColumns, TabIndent, Debug. */
  flags?: number;
  /** 'cells' (docker/cli's fork, default) or 'runes' (Go's text/tabwriter). */
  measure?: 'cells' | 'runes';
  /**
   * The character that brackets escaped text. Go uses byte 0xff, which cannot occur in UTF-8;
   * JS strings have no such value, so escaping is off unless a character is chosen here.
   */
  escape?: string;
}

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

function newCell(): Cell {
  return { text: '', width: 0, htab: false };
}

/** docker/cli's table writer: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
export function dockerTableWriter(): TabWriter {
  return new TabWriter({ minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ', flags: 0 });
}

export class TabWriter {
  private readonly minwidth: number;
  private readonly tabwidth: number;
  private readonly padding: number;
  private readonly padchar: string;
  private readonly flags: number;
  private readonly measure: (s: string) => number;
  private readonly escape: string | undefined;

  private cell: Cell = newCell();
  /** Index in cell.text up to which cell.width has been computed. */
  private pos = 0;
  private endChar = '';
  private lines: Cell[][] = [[]];
  private widths: number[] = [];
  private output: string[] = [];

  constructor(
    opts: TabWriterOptions,
    private readonly sink?: (text: string) => void,
  ) {
    if (opts.minwidth < 0 || opts.tabwidth < 0 || opts.padding < 0) throw new Error('negative minwidth, tabwidth, or padding');
    this.minwidth = opts.minwidth;
    this.tabwidth = opts.tabwidth;
    this.padding = opts.padding;
    this.padchar = opts.padchar;
    let flags = opts.flags ?? 0;
    if (opts.padchar === '\t') flags &= ~AlignRight;
    this.flags = flags;
    this.measure = opts.measure === 'runes' ? runeCount : stringWidth;
    this.escape = opts.escape;
  }

  private out(s: string): void {
    if (s === '') return;
    if (this.sink) this.sink(s);
    else this.output.push(s);
  }

  private reset(): void {
    this.cell = newCell();
    this.pos = 0;
    this.endChar = '';
    this.lines = [[]];
    this.widths = [];
  }

  private append(text: string): void {
    this.cell.text += text;
  }

  private updateWidth(): void {
    this.cell.width += this.measure(this.cell.text.slice(this.pos));
    this.pos = this.cell.text.length;
  }

  private startEscape(ch: string): void {
    if (ch === this.escape) this.endChar = ch;
    else if (ch === '<') this.endChar = '>';
    else if (ch === '&') this.endChar = ';';
  }

  private endEscape(): void {
    if (this.endChar === this.escape) {
      this.updateWidth();
      if ((this.flags & StripEscape) === 0) this.cell.width -= 2;
    } else if (this.endChar === ';') {
      this.cell.width++;
    }
    this.pos = this.cell.text.length;
    this.endChar = '';
  }

  private terminateCell(htab: boolean): number {
    this.cell.htab = htab;
    const line = this.lines[this.lines.length - 1];
    line.push(this.cell);
    this.cell = newCell();
    this.pos = 0;
    return line.length;
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.padchar === '\t' || useTabs) {
      if (this.tabwidth === 0) return;
      cellw = Math.ceil(cellw / this.tabwidth) * this.tabwidth;
      const n = cellw - textw;
      if (n < 0) throw new Error('tabwriter: internal error');
      this.out('\t'.repeat(Math.ceil(n / this.tabwidth)));
      return;
    }
    this.out(this.padchar.repeat(Math.max(0, cellw - textw)));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i];
      let useTabs = (this.flags & TabIndent) !== 0;
      line.forEach((c, j) => {
        if (j > 0 && (this.flags & Debug) !== 0) this.out('|');
        if (c.text.length === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], useTabs);
        } else {
          useTabs = false;
          if ((this.flags & AlignRight) === 0) {
            this.out(c.text);
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false);
          } else {
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false);
            this.out(c.text);
          }
        }
      });
      if (i + 1 === this.lines.length) this.out(this.cell.text);
      else this.out('\n');
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.lines[cur].length - 1) continue;
      // A cell in this column starts a block: print the lines before it, then size the column.
      this.writeLines(line0, cur);
      line0 = cur;
      let width = this.minwidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        const line = this.lines[cur];
        if (column >= line.length - 1) break;
        const c = line[column];
        width = Math.max(width, c.width + this.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && (this.flags & DiscardEmptyColumns) !== 0) width = 0;
      this.widths.push(width);
      this.format(line0, cur);
      this.widths.pop();
      line0 = cur;
    }
    this.writeLines(line0, line1);
  }

  private flushInternal(): void {
    if (this.cell.text.length > 0) {
      if (this.endChar !== '') this.endEscape();
      this.terminateCell(false);
    }
    this.format(0, this.lines.length);
    this.reset();
  }

  /** Buffers text; complete blocks of lines may be formatted and emitted right away. */
  write(buf: string): this {
    let n = 0;
    for (let i = 0; i < buf.length; i++) {
      const ch = buf[i];
      if (this.endChar === '') {
        if (ch === '\t' || ch === '\v' || ch === '\n' || ch === '\f') {
          this.append(buf.slice(n, i));
          this.updateWidth();
          n = i + 1;
          const ncells = this.terminateCell(ch === '\t');
          if (ch === '\n' || ch === '\f') {
            this.lines.push([]);
            // A one-cell line cannot affect later columns, so everything so far can be emitted.
            if (ch === '\f' || ncells === 1) {
              this.flushInternal();
              if (ch === '\f' && (this.flags & Debug) !== 0) this.out('---\n');
            }
          }
        } else if (this.escape !== undefined && ch === this.escape) {
          this.append(buf.slice(n, i));
          this.updateWidth();
          n = (this.flags & StripEscape) !== 0 ? i + 1 : i;
          this.startEscape(ch);
        } else if ((ch === '<' || ch === '&') && (this.flags & FilterHTML) !== 0) {
          this.append(buf.slice(n, i));
          this.updateWidth();
          n = i;
          this.startEscape(ch);
        }
      } else if (ch === this.endChar) {
        const j = ch === this.escape && (this.flags & StripEscape) !== 0 ? i : i + 1;
        this.append(buf.slice(n, j));
        n = i + 1;
        this.endEscape();
      }
    }
    this.append(buf.slice(n));
    return this;
  }

  /** Formats everything buffered; returns all output not yet returned (none when a sink is used). */
  flush(): string {
    this.flushInternal();
    const s = this.output.join('');
    this.output = [];
    return s;
  }
}
