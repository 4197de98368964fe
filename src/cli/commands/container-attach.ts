/** The CLI side of an attached terminal: raw mode while attached, and window size changes. */
import { makeRaw } from '../../engine/containers.js';

export interface TerminalSession {
  size: () => { rows: number; cols: number } | undefined;
  onResize: (fn: () => void) => void;
  restore: () => void;
}

export function attachTerminal(tty: boolean, stdin: boolean): TerminalSession {
  const out = process.stdout as NodeJS.WriteStream;
  const inp = process.stdin as NodeJS.ReadStream;
  let restoreRaw: (() => void) | undefined;
  if (tty && stdin && inp.isTTY) restoreRaw = makeRaw(0);
  const listeners: (() => void)[] = [];
  return {
    size: () => (tty && out.isTTY && out.rows ? { rows: out.rows, cols: out.columns } : undefined),
    onResize: (fn) => {
      if (!tty || !out.isTTY) return;
      out.on('resize', fn);
      listeners.push(fn);
    },
    restore: () => {
      restoreRaw?.();
      for (const fn of listeners) out.removeListener('resize', fn);
    },
  };
}
