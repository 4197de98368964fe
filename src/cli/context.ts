import { writeSync } from 'node:fs';
import { Output } from './output.js';
import { EngineCore } from '../engine/engine.js';

export interface CliContext {
  out: Output;
  /**
   * Writes command output. While nothing has used `out`, this goes straight to fd 1: setting up
   * process.stdout (a pipe or a tty stream) costs a few milliseconds that a listing can do
   * without. Once `out` exists everything goes through it, so the order is kept.
   */
  write(data: string | Uint8Array): void;
  /** The engine over the selected store, opened on first use. */
  engine(): EngineCore;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export type CommandFn = (argv: string[], ctx: CliContext) => Promise<number | void>;

export function createContext(root: string | undefined): CliContext & { drain(): Promise<void>; dispose(): void } {
  let engine: EngineCore | undefined;
  let out: Output | undefined;
  return {
    get out() {
      return (out ??= new Output());
    },
    write(data) {
      if (out) out.write(data);
      else writeAll(1, typeof data === 'string' ? Buffer.from(data) : data);
    },
    // process.stdin is a getter that sets up a stream: only commands that read it pay for it.
    get stdin() {
      return process.stdin;
    },
    engine() {
      engine ??= new EngineCore(root ? { root } : {});
      return engine;
    },
    async drain() {
      await out?.drain();
    },
    dispose() {
      engine?.close();
    },
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A non-blocking pipe that is full: give the reader a moment.
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      // The reader is gone: stop quietly, as Output does.
      else if (code === 'EPIPE') return;
      else throw err;
    }
  }
}
