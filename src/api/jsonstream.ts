import type { ProgressEvent } from '../image/progress.js';
import { BerthError } from '../image/errors.js';
import type { Call, ResponseStream } from './call.js';
import { goJson } from './json.js';
import { messageOf } from './errors.js';

/** Docker's jsonmessage.JSONMessage, fields in Go's order. */
export interface JsonMessage {
  stream?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  id?: string;
  from?: string;
  errorDetail?: { code?: number; message: string };
  error?: string;
  aux?: unknown;
}

/** docker/go-units HumanSize: three significant digits, decimal units. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(3))}${units[i]}`;
}

/** The deprecated `progress` text of a JSON message: a bar and the byte counts. */
function progressBar(current: number, total: number | undefined): string {
  if (!total || total <= 0) return current > 0 ? humanSize(current) : '';
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 && filled < width ? '>' : filled >= width ? '=' : '') + ' '.repeat(width - filled);
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** What an engine `message` event becomes: plain status text unless the operation says otherwise. */
export type MessageMapper = (text: string) => JsonMessage | JsonMessage[];

export const statusMessage: MessageMapper = (text) => ({ status: text });

/**
 * A stream of newline-delimited JSON messages, as pull, push, load, import and build answer.
 * Before its first message an error can still be an HTTP error; after it, errors go in-band.
 */
export class JsonMessageStream {
  readonly out: ResponseStream;

  constructor(
    call: Call,
    private readonly mapMessage: MessageMapper = statusMessage,
  ) {
    this.out = call.stream('application/json');
  }

  get started(): boolean {
    return this.out.started;
  }

  send(m: JsonMessage): void {
    this.out.send(goJson(m));
  }

  status(status: string, id?: string): void {
    this.send(id ? { status, id } : { status });
  }

  text(stream: string): void {
    this.send({ stream });
  }

  aux(value: unknown): void {
    this.send({ aux: value });
  }

  /** streamformatter.FormatError: the message, and the exit code a build step failed with. */
  error(err: unknown, code?: number): void {
    const message = messageOf(err);
    this.send({ errorDetail: code ? { code, message } : { message }, error: message });
  }

  readonly progress = (e: ProgressEvent): void => {
    if (e.kind === 'message') {
      const m = this.mapMessage(e.text);
      for (const x of Array.isArray(m) ? m : [m]) this.send(x);
    }
    else if (e.kind === 'status') this.send(e.id ? { status: e.status, progressDetail: {}, id: e.id } : { status: e.status });
    else {
      const detail: { current: number; total?: number } = { current: e.current };
      if (e.total !== undefined) detail.total = e.total;
      const m: JsonMessage = { status: e.action, progressDetail: detail };
      const bar = progressBar(e.current, e.total);
      if (bar) m.progress = bar;
      if (e.id) m.id = e.id;
      this.send(m);
    }
  };

  end(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }

  /**
   * Runs an operation that writes messages: its error becomes the HTTP error while nothing was
   * sent, an in-band error message afterwards (`inband` forces the latter, as load does).
   */
  async run(op: () => Promise<void>, opts: { inband?: boolean; code?: (err: unknown) => number | undefined } = {}): Promise<void> {
    try {
      await op();
    } catch (err) {
      const code = opts.code?.(err);
      if (!this.started && !opts.inband) throw err;
      this.error(err, code);
    }
    await this.end();
  }
}

export function isBerthError(err: unknown): err is BerthError {
  return err instanceof BerthError;
}
