#!/usr/bin/env node
// Builds the project's native addons (src/archive/native, src/runtime/native) with node-gyp when
// one is missing or older than its sources; a no-op otherwise, so `npm run build` stays fast.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const gyp = join(repo, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const shared = join(repo, 'src', 'archive', 'native', 'napi_helpers.h');
// Build against the headers of the installed Node (Debian ships them) rather than downloading
// them, which an offline machine cannot; npm passes its own nodedir setting when it runs us.
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
for (const [sub, name] of [['archive', 'berth_archive'], ['runtime', 'berth_runtime']]) {
  const dir = join(repo, 'src', sub, 'native');
  const out = join(dir, 'build', 'Release', `${name}.node`);
  const src = [join(dir, `${name}.c`), join(dir, 'binding.gyp'), shared];
  const fresh = existsSync(out) && src.every((f) => statSync(f).mtimeMs <= statSync(out).mtimeMs);
  if (fresh) continue;
  const args = [gyp, 'rebuild', '-C', dir, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const warnings = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /warning:|error:/.test(l));
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    process.exit(r.status ?? 1);
  }
  if (warnings.length) process.stderr.write(warnings.join('\n') + '\n');
}
