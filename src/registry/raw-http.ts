/**
 * A lean HTTP/1.1 GET for the requests that carry nearly all of a pull's bytes: layer blobs.
 * The socket reads straight into buffers the caller supplies (the `onread` option of net and
 * tls), so a body of any size costs no allocation and no copy per read; through undici the same
 * body costs a fresh 64 KiB buffer, a parser copy and a stream push per read, which on a fast
 * link is more CPU than hashing the bytes. Everything else (auth, manifests, uploads, proxies)
 * stays on undici. One connection per request (`Connection: close`); TLS sessions are resumed.
 */
import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';
import { trustRoots, type Endpoint } from './hosts.js';
import { TIMEOUTS, USER_AGENT, header, transportError, type HttpResponse, type ResponseBody } from './http.js';
import type { BatchBuffers } from './buffer-ring.js';

const SCRATCH = 64 << 10;
/** Bytes the iterator form of a body buffers before the socket is paused. */
const QUEUE_LIMIT = 1 << 20;
const CRLF2 = Buffer.from('\r\n\r\n');

function codedError(message: string, code: string): Error {
  const e = new Error(message) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

const closedEarly = () => codedError('other side closed', 'UND_ERR_SOCKET');

/** TLS sessions by host:port, so the next connection to a registry skips the full handshake. */
const sessions = new Map<string, Buffer>();

type Framing = { kind: 'length'; remaining: number } | { kind: 'close' } | { kind: 'chunked'; decoder: ChunkedDecoder };

/**
 * Transfer-Encoding: chunked, decoded incrementally. Only the iterator form of a body uses it;
 * registries send blobs with a Content-Length.
 */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private line = '';
  private left = 0;

  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds bytes; `out` gets the data parts (views of `bytes`). */
  push(bytes: Buffer, out: (data: Buffer) => void): void {
    let i = 0;
    while (i < bytes.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, bytes.length - i);
        out(bytes.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      const nl = bytes.indexOf(0x0a, i);
      const end = nl < 0 ? bytes.length : nl;
      this.line += bytes.toString('latin1', i, end);
      if (this.line.length > 4096) throw codedError('invalid chunked encoding: line too long', 'HPE_INVALID_CHUNK_SIZE');
      i = nl < 0 ? bytes.length : nl + 1;
      if (nl < 0) break;
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.state === 'size') {
        const m = /^([0-9a-fA-F]+)(?:\s*;.*)?$/.exec(line.trim());
        if (!m) throw codedError('invalid chunked encoding: bad chunk size', 'HPE_INVALID_CHUNK_SIZE');
        this.left = parseInt(m[1]!, 16);
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (this.state === 'data-end') {
        if (line !== '') throw codedError('invalid chunked encoding: missing CRLF after data', 'HPE_INVALID_CHUNK_SIZE');
        this.state = 'size';
      } else if (line === '') this.state = 'done';
    }
  }
}

function parseHead(text: string): { status: number; headers: IncomingHttpHeaders } {
  const lines = text.split(/\r?\n/);
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]!);
  if (!m) throw codedError(`malformed HTTP response ${JSON.stringify(lines[0]!.slice(0, 64))}`, 'HPE_INVALID_CONSTANT');
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw codedError(`malformed HTTP response header ${JSON.stringify(line.slice(0, 64))}`, 'HPE_INVALID_HEADER_TOKEN');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    if (prev === undefined) headers[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[name] = [prev, value];
  }
  return { status: Number(m[1]), headers: headers as IncomingHttpHeaders };
}

function framingOf(status: number, headers: IncomingHttpHeaders): Framing {
  if (status === 204 || status === 304) return { kind: 'length', remaining: 0 };
  const te = headers['transfer-encoding'];
  if (te !== undefined && /chunked/i.test(Array.isArray(te) ? te.join(',') : te)) return { kind: 'chunked', decoder: new ChunkedDecoder() };
  const cl = headers['content-length'];
  if (cl !== undefined) {
    const values = [...new Set(String(cl).split(/\s*,\s*/))];
    const n = Number(values[0]);
    if (values.length !== 1 || !/^\d+$/.test(values[0]!) || !Number.isSafeInteger(n)) {
      throw codedError(`invalid Content-Length ${JSON.stringify(String(cl))}`, 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH');
    }
    return { kind: 'length', remaining: n };
  }
  return { kind: 'close' };
}

/**
 * One GET exchange on its own connection: the response head, then the body either as batches
 * read straight into caller-owned buffers ({@link RawBody.batches}) or as an async iterable of
 * fresh buffers (any framing; error bodies, chunked answers).
 */
export class RawBody implements ResponseBody {
  status = 0;
  headers: IncomingHttpHeaders = {};
  /** Settles when the response head has arrived. */
  readonly headDone: Promise<void>;

  private readonly socket: Socket;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH);
  /** Where the socket's next read lands. */
  private target: Buffer;
  private phase: 'connect' | 'head' | 'idle' | 'queue' | 'batch' = 'connect';
  private headLen = 0;
  private framing: Framing = { kind: 'close' };
  /** Body bytes received before a consumer started (with the head, or stray TLS records). */
  private pending: Buffer[] = [];
  private complete = false;
  private failure: Error | undefined;
  private paused = false;
  private wake: (() => void) | undefined;
  private headSettle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  // iterator form
  private queue: Buffer[] = [];
  private queued = 0;
  // batch form
  private buffers: BatchBuffers | undefined;
  private cur: Buffer | undefined;
  private fill = 0;
  private ready: Buffer[] = [];
  private starved = false;

  constructor(url: URL, ep: Endpoint, headers: Record<string, string>, signal?: AbortSignal) {
    let request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
    for (const [k, v] of Object.entries(headers)) {
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new TypeError(`invalid header ${k}`);
      request += `${k}: ${v}\r\n`;
    }
    request += 'Connection: close\r\n\r\n';
    this.target = this.scratch;
    this.headDone = new Promise((resolve, reject) => (this.headSettle = { resolve, reject }));
    this.headDone.catch(() => undefined);
    const https = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (https ? 443 : 80));
    const onread: OnReadOpts = { buffer: () => this.target, callback: (n: number, buf: Uint8Array) => this.onBytes(n, buf as Buffer) };
    const key = `${host}:${port}`;
    if (https) {
      const s = tlsConnect({
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        ca: trustRoots(ep.tls),
        cert: ep.tls.cert,
        key: ep.tls.key,
        rejectUnauthorized: ep.tls.verify,
        ALPNProtocols: ['http/1.1'],
        session: sessions.get(key),
        // tls passes onread on to the socket it creates; its typings do not say so.
        onread,
      } as ConnectionOptions);
      s.on('session', (session: Buffer) => {
        if (sessions.size > 64) sessions.clear();
        sessions.set(key, session);
      });
      s.once('secureConnect', () => this.connected());
      this.socket = s;
    } else {
      this.socket = netConnect({ host, port, onread });
      this.socket.once('connect', () => this.connected());
    }
    this.socket.setNoDelay(true);
    this.socket.setTimeout(TIMEOUTS.connect);
    this.socket.on('timeout', () => {
      const [msg, code] =
        this.phase === 'connect'
          ? ['connect timeout', 'UND_ERR_CONNECT_TIMEOUT']
          : this.phase === 'head'
            ? ['headers timeout', 'UND_ERR_HEADERS_TIMEOUT']
            : ['body timeout', 'UND_ERR_BODY_TIMEOUT'];
      this.fail(codedError(msg, code));
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => {
      if (!this.complete) this.fail(closedEarly());
    });
    if (signal) {
      const onAbort = () => this.fail(signal.reason instanceof Error ? signal.reason : Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }));
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.socket.once('close', () => signal.removeEventListener('abort', onAbort));
      }
    }
    this.socket.write(request, 'latin1');
  }

  private connected(): void {
    if (this.phase === 'connect') this.phase = 'head';
    if (!this.paused) this.socket.setTimeout(TIMEOUTS.headers);
  }

  /** The announced body length, when the response has one. */
  get length(): number | undefined {
    return this.framing.kind === 'length' ? this.framing.remaining : undefined;
  }

  /** True when the body can be read into caller buffers (not chunked). */
  get batchable(): boolean {
    return this.framing.kind !== 'chunked';
  }

  private onBytes(n: number, buf: Buffer): boolean {
    if (this.complete || this.failure) return false;
    if (this.phase === 'connect' || this.phase === 'head') return this.onHeadBytes(n);
    if (buf === this.scratch) {
      const bytes = this.scratch.subarray(0, n);
      if (this.phase === 'queue') return this.onQueueBytes(bytes);
      if (this.phase === 'batch') return this.absorb(bytes);
      this.pending.push(Buffer.from(bytes));
      return false;
    }
    // A read straight into the batch buffer, limited to what the body still lacks.
    this.fill += n;
    if (this.framing.kind === 'length') this.framing.remaining -= n;
    return this.afterBatchData();
  }

  private onHeadBytes(n: number): boolean {
    this.phase = 'head';
    let from = Math.max(0, this.headLen - 3);
    this.headLen += n;
    for (;;) {
      const at = this.scratch.subarray(0, this.headLen).indexOf(CRLF2, from);
      if (at < 0) break;
      let head: { status: number; headers: IncomingHttpHeaders };
      try {
        head = parseHead(this.scratch.toString('latin1', 0, at));
      } catch (err) {
        this.fail(err as Error);
        return false;
      }
      const rest = this.scratch.subarray(at + 4, this.headLen);
      if (head.status >= 100 && head.status < 200 && head.status !== 101) {
        // An interim answer (100 Continue, 103 Early Hints): the real one follows.
        this.scratch.copyWithin(0, at + 4, this.headLen);
        this.headLen = rest.length;
        from = 0;
        continue;
      }
      this.status = head.status;
      this.headers = head.headers;
      try {
        this.framing = framingOf(head.status, head.headers);
      } catch (err) {
        this.fail(err as Error);
        return false;
      }
      if (rest.length > 0) this.pending.push(Buffer.from(rest));
      this.phase = 'idle';
      this.target = this.scratch;
      this.pause();
      if (this.framing.kind === 'length' && this.framing.remaining === 0) this.finish();
      this.headSettle?.resolve();
      return false;
    }
    if (this.headLen >= SCRATCH) {
      this.fail(codedError('response headers too large', 'UND_ERR_HEADERS_OVERFLOW'));
      return false;
    }
    this.target = this.scratch.subarray(this.headLen);
    return true;
  }

  private onEnd(): void {
    if (this.complete || this.failure) return;
    if (this.phase !== 'connect' && this.phase !== 'head' && this.framing.kind === 'close') {
      if (this.phase === 'batch' && this.fill > 0 && this.cur) {
        this.ready.push(this.cur.subarray(0, this.fill));
        this.cur = undefined;
        this.fill = 0;
      }
      this.finish();
    } else this.fail(closedEarly());
  }

  private finish(): void {
    this.complete = true;
    this.socket.destroy();
    this.wakeUp();
  }

  private fail(err: Error): void {
    if (this.failure || this.complete) return;
    this.failure = err;
    this.socket.destroy();
    this.headSettle?.reject(err);
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    // A consumer that stops reading is not an idle server.
    this.socket.setTimeout(0);
    this.socket.pause();
  }

  private resumeReading(): void {
    if (!this.paused || this.complete || this.failure) return;
    this.paused = false;
    this.socket.setTimeout(this.phase === 'connect' ? TIMEOUTS.connect : this.phase === 'head' ? TIMEOUTS.headers : TIMEOUTS.body);
    this.socket.resume();
  }

  private waitForWake(): Promise<void> {
    return new Promise((r) => (this.wake = r));
  }

  // ---------------------------------------------------------------------------------------
  // Iterator form: fresh buffers, any framing.

  private onQueueBytes(bytes: Buffer): boolean {
    const f = this.framing;
    try {
      if (f.kind === 'chunked') {
        f.decoder.push(bytes, (d) => this.enqueue(Buffer.from(d)));
        if (f.decoder.done) this.finish();
      } else if (f.kind === 'length') {
        const n = Math.min(f.remaining, bytes.length);
        if (n > 0) this.enqueue(Buffer.from(bytes.subarray(0, n)));
        f.remaining -= n;
        if (f.remaining === 0) this.finish();
      } else this.enqueue(Buffer.from(bytes));
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
    this.wakeUp();
    if (this.queued >= QUEUE_LIMIT) {
      this.pause();
      return false;
    }
    return true;
  }

  private enqueue(b: Buffer): void {
    if (b.length === 0) return;
    this.queue.push(b);
    this.queued += b.length;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.phase !== 'idle') throw new Error('response body already read');
    this.phase = 'queue';
    try {
      for (const p of this.pending.splice(0)) if (!this.complete && !this.failure) this.onQueueBytes(p);
      if (!this.complete && this.queued < QUEUE_LIMIT) this.resumeReading();
      for (;;) {
        const b = this.queue.shift();
        if (b) {
          this.queued -= b.length;
          if (this.queued < QUEUE_LIMIT) this.resumeReading();
          yield b;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.complete) return;
        await this.waitForWake();
      }
    } finally {
      this.destroy();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Batch form: the body read into buffers taken from `buffers`, each handed on when full.

  /**
   * The body as views of buffers taken from `buffers`, each nearly full (the last may be
   * shorter). The consumer gives each back with `buffers.release` when done with it; reading
   * pauses while none is free. On a failure, what arrived is yielded before the error.
   */
  async *batches(buffers: BatchBuffers): AsyncGenerator<Buffer> {
    if (this.phase !== 'idle') throw new Error('response body already read');
    if (!this.batchable) throw new Error('a chunked body cannot be read in batches');
    this.phase = 'batch';
    this.buffers = buffers;
    try {
      if (this.drainPending()) this.readOn();
      for (;;) {
        const b = this.ready.shift();
        if (b) {
          yield b;
          continue;
        }
        const failure = this.failure;
        if (failure || this.complete) {
          // What the current buffer holds goes out before the error or the end.
          const rest = this.takeFilled();
          if (rest) yield rest;
          if (failure) throw failure;
          return;
        }
        await this.waitForWake();
      }
    } finally {
      this.destroy();
      if (this.cur) buffers.release(this.cur);
      this.cur = undefined;
      for (const b of this.ready.splice(0)) buffers.release(b);
    }
  }

  /** The filled part of the current buffer, which is then no longer current; undefined if empty. */
  private takeFilled(): Buffer | undefined {
    if (!this.cur || this.fill === 0) return undefined;
    const filled = this.cur.subarray(0, this.fill);
    this.cur = undefined;
    this.fill = 0;
    return filled;
  }

  /** Reads on into the current buffer, or a free one; starves (paused) when none is free. */
  private readOn(): void {
    if (this.complete || this.failure || this.starved) return;
    if (!this.cur) {
      const b = this.buffers!.take();
      if (!b) {
        this.starve();
        return;
      }
      this.cur = b;
      this.fill = 0;
    }
    this.retarget();
    this.resumeReading();
  }

  /** No buffer is free: pause until the consumer gives one back. */
  private starve(): void {
    this.target = this.scratch;
    this.pause();
    if (this.starved) return;
    this.starved = true;
    this.buffers!.onFree(() => {
      this.starved = false;
      if (this.complete || this.failure) return;
      if (this.drainPending()) this.readOn();
    });
  }

  private retarget(): void {
    const room = this.cur!.length - this.fill;
    const want = this.framing.kind === 'length' ? Math.min(room, this.framing.remaining) : room;
    this.target = this.cur!.subarray(this.fill, this.fill + want);
  }

  /** Copies in what was kept aside, in order; false when that filled every buffer or ended the body. */
  private drainPending(): boolean {
    const kept = this.pending.splice(0);
    for (let i = 0; i < kept.length; i++) {
      if (!this.absorb(kept[i]!)) {
        if (this.starved) this.pending.push(...kept.slice(i + 1));
        return false;
      }
    }
    return true;
  }

  /** Bytes that did not land in a batch buffer (they came with the head, or while starved): copied in. */
  private absorb(bytes: Buffer): boolean {
    if (this.starved) {
      this.pending.push(Buffer.from(bytes));
      return false;
    }
    let rest = this.framing.kind === 'length' ? bytes.subarray(0, this.framing.remaining) : bytes;
    while (rest.length > 0) {
      if (!this.cur) {
        const b = this.buffers!.take();
        if (!b) {
          this.pending.push(Buffer.from(rest));
          this.starve();
          return false;
        }
        this.cur = b;
        this.fill = 0;
      }
      const n = Math.min(rest.length, this.cur.length - this.fill);
      rest.copy(this.cur, this.fill, 0, n);
      rest = rest.subarray(n);
      this.fill += n;
      if (this.framing.kind === 'length') this.framing.remaining -= n;
      if (!this.afterBatchData()) {
        if (this.starved && rest.length > 0) this.pending.push(Buffer.from(rest));
        return false;
      }
    }
    return !this.complete;
  }

  /** After bytes were added to the current batch: hands it on when full, sets the next target. */
  private afterBatchData(): boolean {
    const f = this.framing;
    const done = f.kind === 'length' && f.remaining <= 0;
    // Only full buffers go on (but the last), so every batch but the last is whole blocks at a
    // block-aligned offset: what lets the store write them with O_DIRECT.
    if (done || this.fill === this.cur!.length) {
      this.ready.push(this.cur!.subarray(0, this.fill));
      this.cur = undefined;
      this.fill = 0;
      this.wakeUp();
      if (done) {
        this.finish();
        return false;
      }
      const b = this.buffers!.take();
      if (!b) {
        this.starve();
        return false;
      }
      this.cur = b;
    }
    this.retarget();
    return true;
  }

  resume(): void {
    this.destroy();
  }

  destroy(err?: Error): void {
    if (err) this.fail(err);
    else if (!this.complete && !this.failure) {
      this.failure = codedError('response body discarded', 'UND_ERR_ABORTED');
      this.headSettle?.reject(this.failure);
      this.wakeUp();
    }
    this.socket.destroy();
  }
}

export interface RawRequest {
  url: string;
  headers: Record<string, string>;
  followRedirects?: boolean;
  signal?: AbortSignal;
}

/**
 * Sends a GET on a new connection with the endpoint's TLS settings and returns the answer once
 * its head arrived, following redirects as {@link send} does. Transport failures become
 * RegistryTransportErrors.
 */
export async function sendRaw(ep: Endpoint, req: RawRequest): Promise<HttpResponse & { body: RawBody }> {
  let url = req.url;
  let headers: Record<string, string> = { 'user-agent': USER_AGENT, ...req.headers };
  for (let hop = 0; ; hop++) {
    let body: RawBody;
    try {
      body = new RawBody(new URL(url), ep, headers, req.signal);
      await body.headDone;
    } catch (err) {
      throw transportError('GET', url, err);
    }
    const location = header(body.headers, 'location');
    if (req.followRedirects && body.status >= 300 && body.status < 400 && location && hop < 10) {
      body.destroy();
      const next = new URL(location, url).toString();
      if (new URL(next).origin !== new URL(url).origin) {
        const { authorization: _a, ...rest } = headers;
        headers = rest;
      }
      url = next;
      continue;
    }
    return { status: body.status, headers: body.headers, body, url };
  }
}
