import { Output } from './output.js';
import { EngineCore } from '../engine/engine.js';

export interface CliContext {
  out: Output;
  /** The engine over the selected store, opened on first use. */
  engine(): EngineCore;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export type CommandFn = (argv: string[], ctx: CliContext) => Promise<number | void>;

export function createContext(root: string | undefined): CliContext & { dispose(): void } {
  let engine: EngineCore | undefined;
  return {
    out: new Output(),
    // process.stdin is a getter that sets up a stream: only commands that read it pay for it.
    get stdin() {
      return process.stdin;
    },
    engine() {
      engine ??= new EngineCore(root ? { root } : {});
      return engine;
    },
    dispose() {
      engine?.close();
    },
  };
}
