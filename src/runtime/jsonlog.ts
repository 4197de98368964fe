/**
 * Docker's json-file log: one JSON object per line of output, {"log","stream","time"}, with
 * partial lines kept until their newline (or the end of the stream).
 */
import { closeSync, openSync, writeSync, createReadStream, statSync, constants as fsc } from 'node:fs';
import { createInterface } from 'node:readline';
import { goMarshal } from '../image/gojson.js';
import { nowNs, rfc3339Nano } from './time.js';

export type StreamName = 'stdout' | 'stderr';

const MAX_LINE = 16 * 1024;

export class JsonLogWriter {
  private fd: number;
  private readonly partial: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };

  constructor(path: string) {
    this.fd = openSync(path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o640);
  }

  private emit(stream: StreamName, data: Buffer): void {
    if (this.fd < 0 || data.length === 0) return;
    const line = goMarshal({ log: data.toString('utf8'), stream, time: rfc3339Nano(nowNs()) }) + '\n';
    try {
      writeSync(this.fd, line);
    } catch {
      /* a full disk must not stop the container's output */
    }
  }

  write(stream: StreamName, chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const pending = this.partial[stream];
      const piece = chunk.subarray(start, nl + 1);
      this.emit(stream, pending.length ? Buffer.concat([...pending, piece]) : piece);
      this.partial[stream] = [];
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      const pending = this.partial[stream];
      pending.push(Buffer.from(rest));
      const total = pending.reduce((n, b) => n + b.length, 0);
      if (total >= MAX_LINE) {
        this.emit(stream, Buffer.concat(pending));
        this.partial[stream] = [];
      }
    }
  }

  close(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s].length) this.emit(s, Buffer.concat(this.partial[s]));
      this.partial[s] = [];
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export interface LogRecord {
  log: string;
  stream: StreamName;
  time: string;
}

/** Reads records from byte offset `from`; returns them and the offset after the last full line. */
export async function readLog(path: string, from = 0): Promise<{ records: LogRecord[]; end: number }> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { records: [], end: from };
  }
  if (size <= from) return { records: [], end: from };
  const records: LogRecord[] = [];
  let end = from;
  const rl = createInterface({ input: createReadStream(path, { start: from, end: size - 1 }), crlfDelay: Infinity });
  let pos = from;
  for await (const line of rl) {
    const len = Buffer.byteLength(line) + 1;
    if (pos + len > size) break; // no newline yet: a line still being written
    pos += len;
    end = pos;
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch {
      /* a torn line after a crash */
    }
  }
  return { records, end };
}
