import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { PassThrough, Writable, type Duplex, type Readable } from 'node:stream';
import { Query, readAll, parseJsonBody } from './http.js';
import { goJson } from './json.js';
import { versionAtLeast, versionLess } from './version.js';

/** The two-way stream of a hijacked connection (attach, exec start). */
export interface Hijacked {
  /** What the client sends after the response head (stdin). */
  input: Readable;
  write(b: Buffer | string): void;
  /** Ends the output (half-close) and, shortly after, the connection. */
  end(): void;
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

/**
 * One API request and its response. A request arrives either as an ordinary HTTP request (`res`
 * set) or as an upgrade request (`upgrade` set: the raw socket, for the hijacked endpoints).
 * Nothing is sent until a handler answers, so an error raised before that becomes an HTTP error.
 */
export class Call {
  params: Record<string, string> = {};
  /** Set by handlers whose responses last (events, attach, wait, follow): ended on shutdown. */
  longLived = false;
  readonly abort = new AbortController();
  private started = false;
  private pendingBody: Buffer | undefined;

  constructor(
    readonly req: IncomingMessage,
    private readonly res: ServerResponse | undefined,
    private readonly upgrade: { socket: Duplex; head: Buffer } | undefined,
    readonly path: string,
    readonly query: Query,
    readonly version: string,
    private readonly commonHeaders: Record<string, string>,
  ) {
    const onClose = () => {
      if (!this.abort.signal.aborted) this.abort.abort();
    };
    if (res) res.once('close', onClose);
    else upgrade!.socket.once('close', onClose);
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get headersSent(): boolean {
    return this.started;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  atLeast(v: string): boolean {
    return versionAtLeast(this.version, v);
  }

  below(v: string): boolean {
    return versionLess(this.version, v);
  }

  header(name: string): string | undefined {
    const h = this.req.headers[name.toLowerCase()];
    return Array.isArray(h) ? h[0] : h;
  }

  /** The request body as a stream (the upload of load, import, build). */
  body(): Readable {
    if (this.res) return this.req;
    // An upgrade request's body is whatever follows its head on the socket.
    const out = new PassThrough();
    const { socket, head } = this.upgrade!;
    if (head.length) out.write(head);
    socket.pipe(out);
    return out;
  }

  /** A whole small body (JSON options). For an upgrade request, exactly Content-Length bytes. */
  async bodyBytes(): Promise<Buffer> {
    if (this.pendingBody) return this.pendingBody;
    if (this.res) return (this.pendingBody = await readAll(this.req));
    const length = Number(this.header('content-length') ?? 0) || 0;
    const { socket } = this.upgrade!;
    let buf = this.upgrade!.head;
    while (buf.length < length) {
      const chunk = await new Promise<Buffer | null>((resolve) => {
        const onData = (b: Buffer) => {
          cleanup();
          resolve(b);
        };
        const onEnd = () => {
          cleanup();
          resolve(null);
        };
        const cleanup = () => {
          socket.off('data', onData);
          socket.off('end', onEnd);
          socket.off('close', onEnd);
        };
        socket.on('data', onData);
        socket.once('end', onEnd);
        socket.once('close', onEnd);
      });
      if (!chunk) break;
      buf = Buffer.concat([buf, chunk]);
    }
    socket.pause();
    this.upgrade!.head = buf.subarray(Math.min(length, buf.length));
    return (this.pendingBody = buf.subarray(0, Math.min(length, buf.length)));
  }

  async json<T>(): Promise<T | undefined> {
    return parseJsonBody<T>(this.header('content-type'), await this.bodyBytes());
  }

  private head(status: number, headers: Record<string, string | number>): void {
    this.started = true;
    const all = { ...this.commonHeaders, ...headers };
    if (this.res) {
      this.res.writeHead(status, all);
      return;
    }
    let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    for (const [k, v] of Object.entries(all)) text += `${k}: ${v}\r\n`;
    this.upgrade!.socket.write(text + 'Connection: close\r\n\r\n');
  }

  private endWith(data?: string | Buffer): void {
    if (this.res) this.res.end(data);
    else {
      const s = this.upgrade!.socket;
      s.end(data ?? '');
    }
  }

  /** A JSON answer (Go's encoder output: compact, newline-terminated). */
  sendJson(status: number, value: unknown): void {
    const body = goJson(value);
    this.head(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    this.endWith(body);
  }

  sendEmpty(status: number, headers: Record<string, string | number> = {}): void {
    this.head(status, { ...headers, 'Content-Length': 0 });
    this.endWith();
  }

  sendText(status: number, body: string, contentType = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
    this.head(status, { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    this.endWith(body);
  }

  /**
   * A streamed answer (JSON messages, tar archives, logs): the status line and headers go out
   * with the first byte written, or at once with `flush`.
   */
  stream(contentType: string, opts: { flush?: boolean; status?: number; headers?: Record<string, string> } = {}): ResponseStream {
    return new ResponseStream(this, contentType, opts.status ?? 200, opts.flush ?? false, opts.headers ?? {});
  }

  /** @internal used by ResponseStream */
  _open(status: number, contentType: string, headers: Record<string, string> = {}): void {
    if (!this.started) this.head(status, { ...headers, 'Content-Type': contentType });
    this.res?.flushHeaders();
  }

  /** @internal */
  _write(b: Buffer | string, cb: (err?: Error | null) => void): void {
    const target = this.res ?? this.upgrade!.socket;
    if (target.destroyed) return cb(new Error('the client went away'));
    if (target.write(b)) cb();
    else {
      const done = () => {
        target.off('drain', done);
        target.off('close', done);
        cb(target.destroyed ? new Error('the client went away') : null);
      };
      target.once('drain', done);
      target.once('close', done);
    }
  }

  /** @internal */
  _end(): void {
    this.endWith();
  }

  /**
   * Takes the connection over, as dockerd's hijacked endpoints do: `101 UPGRADED` on an upgrade
   * request, else a `200 OK` raw-stream response whose body carries the output.
   */
  hijack(contentType: string): Hijacked {
    this.started = true;
    if (this.upgrade) {
      const { socket, head } = this.upgrade;
      let text = `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n`;
      for (const [k, v] of Object.entries(this.commonHeaders)) text += `${k}: ${v}\r\n`;
      socket.write(text + '\r\n');
      const input = new PassThrough();
      if (head.length) input.write(head);
      socket.pipe(input);
      socket.resume();
      let closed = false;
      socket.once('close', () => (closed = true));
      return {
        input,
        write: (b) => {
          if (!socket.destroyed && socket.writable) socket.write(b);
        },
        end: () => {
          if (socket.destroyed) return;
          socket.end();
          // The client may keep its side open (stdin): do not wait for it forever.
          setTimeout(() => socket.destroy(), 2000).unref();
        },
        get closed() {
          return closed || socket.destroyed;
        },
        onClose: (fn) => socket.once('close', fn),
      };
    }
    const res = this.res!;
    res.writeHead(200, { ...this.commonHeaders, 'Content-Type': 'application/vnd.docker.raw-stream' });
    res.flushHeaders();
    let closed = false;
    res.once('close', () => (closed = true));
    return {
      input: this.req,
      write: (b) => {
        if (!res.destroyed && !res.writableEnded) res.write(b);
      },
      end: () => {
        if (!res.writableEnded) res.end();
      },
      get closed() {
        return closed || res.destroyed;
      },
      onClose: (fn) => res.once('close', fn),
    };
  }

  /** Gives up on the response (an error after the stream began). */
  destroy(): void {
    if (this.res) this.res.destroy();
    else this.upgrade!.socket.destroy();
  }
}

/** A response body written as a stream, opened lazily. */
export class ResponseStream extends Writable {
  private opened = false;

  constructor(
    private readonly call: Call,
    private readonly contentType: string,
    private readonly status: number,
    flush: boolean,
    private readonly headers: Record<string, string> = {},
  ) {
    super();
    // A client that goes away fails the writes; the handler sees its call aborted.
    this.on('error', () => undefined);
    if (flush) this.open();
  }

  get started(): boolean {
    return this.opened;
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.call._open(this.status, this.contentType, this.headers);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.open();
    this.call._write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.open();
    this.call._end();
    cb();
  }

  /** Writes a string without waiting (small messages). */
  send(text: string): void {
    this.write(text);
  }
}
