import type { Output } from './output.js';
import type { ProgressEvent } from '../image/progress.js';
import { humanSize } from './format/units.js';

/**
 * Renders progress events on a terminal the way Docker's jsonmessage does: one line per ID,
 * rewritten in place with a bar and byte counts.
 */
export class ProgressRenderer {
  private readonly order: string[] = [];
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  private last = 0;

  constructor(private readonly out: Output) {}

  readonly handler = (e: ProgressEvent): void => {
    if (e.kind === 'message') {
      this.redraw(true);
      this.out.line(e.text);
      this.drawn = 0;
      return;
    }
    const id = e.id ?? '';
    if (!this.lines.has(id)) this.order.push(id);
    this.lines.set(id, e.kind === 'status' ? `${id ? id + ': ' : ''}${e.status}` : `${id}: ${e.action} ${bar(e.current, e.total)}`);
    const now = Date.now();
    if (now - this.last > 100) {
      this.last = now;
      this.redraw(false);
    }
  };

  private redraw(_final: boolean): void {
    let s = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const id of this.order) s += `\x1b[2K\r${this.lines.get(id)}\n`;
    this.drawn = this.order.length;
    this.out.write(s);
  }

  finish(): void {
    if (this.order.length) this.redraw(true);
  }
}

export function bar(current: number, total?: number, width = process.stdout.columns ?? 80): string {
  const cur = humanSize(current);
  if (!total || total <= 0) return cur.padStart(8);
  let pct = Math.floor(Math.floor((current / total) * 100) / 2);
  if (pct > 50) pct = 50;
  const box = width > 110 ? `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] ` : '';
  const nums = current > total ? '' : `${cur.padStart(8)}/${humanSize(total)}`;
  return box + nums;
}
