import { setFlagsFromString } from 'node:v8';

/**
 * Keeps WebAssembly at V8's baseline tier in this process. undici parses HTTP/1 with a wasm build
 * of llhttp, which V8 also compiles with TurboFan on a background thread; a command that ends
 * soon after its first request waits for that compile at exit (about 130 ms here), and the few
 * small answers undici parses for berth (layer bodies do not go through it) gain nothing from it.
 */
export function baselineWasmOnly(): void {
  setFlagsFromString('--liftoff-only');
}
