#!/usr/bin/env node
// Bundles the compiled CLI into dist/src/bin/ (the package's bin): berth.js, the dispatcher
// (src/cli/main.ts); one self-contained file per command, cmd-NAME.js, holding the command, the
// runner (src/cli/run-command.ts) and everything they import, better-sqlite3's JavaScript
// included; and the pull's layer-analysis worker. A command thus loads two files. Node's ES
// module loader resolves, reads, compiles and links each module on its own, builds a facade
// over every built-in module imported and runs a lexer over every CommonJS package imported;
// for `berth images` that cost more than listing 1,000 images. The bundles are CommonJS, which
// Node loads with less work; undici and zstd-napi stay packages, required by the code that
// uses them.
//
// The files sit two directories below the package root, like every compiled module, so paths
// the code makes relative to its own module (package.json, the native addons, the container
// monitor script, which stay unbundled in dist/) resolve the same from either place.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'dist', 'src', 'cli');
const main = join(cli, 'main.js');
const outdir = join(repo, 'dist', 'src', 'bin');

const commands = [...new Set([...readFileSync(main, 'utf8').matchAll(/import\('\.\/commands\/([\w-]+)\.js'\)/g)].map((m) => m[1]))];
if (commands.length === 0) throw new Error(`bundle-cli: no command modules found in ${main}`);

/** main.js loads cmd-NAME.js, with a code cache (src/cli/code-cache.ts), where it imported commands/NAME.js. */
const commandsAsBundles = {
  name: 'commands-as-bundles',
  setup(b) {
    b.onResolve({ filter: /^\.\/(commands\/[\w-]+|run-command)\.js$/ }, (a) => {
      if (a.importer !== main) return undefined;
      const m = /^\.\/commands\/([\w-]+)\.js$/.exec(a.path);
      // run-command.js is needed only by command modules that are not bundles: never here.
      if (!m) return { path: a.path, external: true };
      return { path: m[1], namespace: 'berth-command-file' };
    });
    b.onLoad({ filter: /.*/, namespace: 'berth-command-file' }, (a) => ({
      contents: `module.exports = require('./code-cache.js').requireCached(require('node:path').join(__dirname, 'cmd-${a.path}.js'));\n`,
      resolveDir: cli,
      loader: 'js',
    }));
    b.onResolve({ filter: /^berth-command:/ }, (a) => ({ path: a.path.slice('berth-command:'.length), namespace: 'berth-command' }));
    b.onLoad({ filter: /.*/, namespace: 'berth-command' }, (a) => ({
      contents: [
        `import command from './commands/${a.path}.js';`,
        `import { runCommand } from './run-command.js';`,
        'export const runBundled = (args, root) => runCommand(command, args, root);',
      ].join('\n'),
      resolveDir: cli,
      loader: 'js',
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
await build({
  entryPoints: {
    berth: main,
    ...Object.fromEntries(commands.map((c) => [`cmd-${c}`, `berth-command:${c}`])),
    'registry-layer-worker': join(repo, 'dist', 'src', 'transport', 'registry-layer-worker.js'),
  },
  outdir,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['zstd-napi', 'bindings'],
  // import() becomes require(), which loads CommonJS without the ES module loader.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__berthModuleUrl', __BERTH_BUNDLE__: 'true' },
  // The directive first: esbuild's own "use strict" comes after the banner, where it does nothing.
  banner: { js: '"use strict";\nvar __berthModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [commandsAsBundles],
  logLevel: 'warning',
});
chmodSync(join(outdir, 'berth.js'), 0o755);
