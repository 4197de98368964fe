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

/**
 * Loading commander costs about 10 ms, a quarter of what a listing is allowed in all. The plain
 * command lines scripts run — known flags as separate words, an option's value as the next
 * word, positional words — are parsed here. Anything else (--flag=value, combined short flags,
 * --, --help, unknown flags, values starting with '-', a wrong number of arguments) gets
 * undefined, and the command hands argv to parseArgs, which has Docker's exact semantics and
 * messages.
 */
export interface QuickSpec {
  /** Flags without a value, e.g. { '-q': 'quiet' }; a `--no-x` flag sets its key to false. */
  flags: Readonly<Record<string, string>>;
  /** Flags that take the next word as their value; `repeat` collects every value in order. */
  values?: Readonly<Record<string, { key: string; repeat?: boolean }>>;
  args: { min: number; max: number };
}

export function quickArgs<O extends Record<string, unknown>>(argv: readonly string[], spec: QuickSpec): { opts: O; args: string[] } | undefined {
  const opts: Record<string, unknown> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) {
      args.push(a);
      continue;
    }
    const key = Object.hasOwn(spec.flags, a) ? spec.flags[a] : undefined;
    if (key !== undefined) {
      opts[key] = !a.startsWith('--no-');
      continue;
    }
    const v = spec.values && Object.hasOwn(spec.values, a) ? spec.values[a] : undefined;
    if (v === undefined) return undefined;
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('-')) return undefined;
    i++;
    if (v.repeat) ((opts[v.key] ??= []) as string[]).push(value);
    else opts[v.key] = value;
  }
  if (args.length < spec.args.min || args.length > spec.args.max) return undefined;
  return { opts: opts as O, args };
}
