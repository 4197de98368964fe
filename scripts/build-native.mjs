#!/usr/bin/env node
// Builds the project's native addon (src/archive/native) with node-gyp when it is missing or
// older than its source; a no-op otherwise, so `npm run build` stays fast.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'archive', 'native');
const out = join(dir, 'build', 'Release', 'berth_archive.node');
const src = [join(dir, 'berth_archive.c'), join(dir, 'binding.gyp')];
const fresh = existsSync(out) && src.every((f) => statSync(f).mtimeMs <= statSync(out).mtimeMs);
if (!fresh) {
  const gyp = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '-C', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
