#!/usr/bin/env node
// Builds the project's native addons (src/archive/native, src/runtime/native) with node-gyp when
// one is missing or older than its source; a no-op otherwise, so `npm run build` stays fast.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const gyp = join(repo, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
for (const [sub, name] of [['archive', 'berth_archive'], ['runtime', 'berth_runtime']]) {
  const dir = join(repo, 'src', sub, 'native');
  const out = join(dir, 'build', 'Release', `${name}.node`);
  const src = [join(dir, `${name}.c`), join(dir, 'binding.gyp')];
  const fresh = existsSync(out) && src.every((f) => statSync(f).mtimeMs <= statSync(out).mtimeMs);
  if (fresh) continue;
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '-C', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
