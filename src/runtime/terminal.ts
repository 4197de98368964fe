/** The user's terminal while attached to a container's: raw, then restored exactly. */
import { runtimeNative } from './native.js';

/** Puts the terminal on fd in raw mode; returns the function that restores it. */
export function makeRaw(fd: number): () => void {
  const n = runtimeNative();
  const saved = n.termiosGet(fd);
  n.termiosRaw(fd);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    try {
      n.termiosSet(fd, saved);
    } catch {
      /* the terminal is gone */
    }
  };
}
