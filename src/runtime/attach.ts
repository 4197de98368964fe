/**
 * The attach protocol between a container's monitor and the berth commands attached to it
 * (`run`, `start -a`), over the monitor's unix socket: frames of [type:u8][length:u32be][payload].
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const Frame = {
  /** client -> monitor: JSON {stdin, stdout, stderr} streams wanted; sent first. */
  Hello: 0,
  Stdin: 1,
  StdinClose: 2,
  /** JSON {rows, cols} */
  Resize: 3,
  /** monitor -> client */
  Stdout: 4,
  Stderr: 5,
  /** the container exited: JSON {code} (sent after all output) */
  Exit: 6,
  /** the container could not be started: JSON {message} */
  Error: 7,
  /** the container started: JSON {pid} */
  Started: 8,
} as const;

export function encodeFrame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { type: number; payload: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: { type: number; payload: Buffer }[] = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (this.buf.length < 5 + len) break;
      out.push({ type: this.buf[0]!, payload: this.buf.subarray(5, 5 + len) });
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }
}

/** Connects to a monitor's socket, waiting up to timeoutMs for it to appear. */
export async function connectAttach(path: string, timeoutMs: number, alive: () => boolean): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline || !alive()) throw err;
      await sleep(20);
    }
  }
}
