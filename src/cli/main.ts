#!/usr/bin/env node
import type { CommandFn } from './context.js';

/** A command's module; in the CLI bundle, its file, which runs it with the runner it carries. */
type CommandModule = { default: CommandFn } | { runBundled(args: string[], root: string | undefined): Promise<number> };
type Loader = () => Promise<CommandModule>;

/** One module per command, loaded only when that command runs. */
const COMMANDS: Record<string, Loader> = {
  images: () => import('./commands/images.js'),
  rmi: () => import('./commands/rmi.js'),
  tag: () => import('./commands/tag.js'),
  inspect: () => import('./commands/inspect.js'),
  'image inspect': () => import('./commands/image-inspect.js'),
  history: () => import('./commands/history.js'),
  import: () => import('./commands/import.js'),
  load: () => import('./commands/load.js'),
  save: () => import('./commands/save.js'),
  'image prune': () => import('./commands/image-prune.js'),
  'system df': () => import('./commands/system-df.js'),
  'system prune': () => import('./commands/system-prune.js'),
  'system check': () => import('./commands/system-check.js'),
  'system gc': () => import('./commands/system-gc.js'),
  copy: () => import('./commands/copy.js'),
  pull: () => import('./commands/pull.js'),
  push: () => import('./commands/push.js'),
  login: () => import('./commands/login.js'),
  logout: () => import('./commands/logout.js'),
  version: () => import('./commands/version.js'),
  serve: () => import('./commands/serve.js'),
  run: () => import('./commands/run.js'),
  create: () => import('./commands/create.js'),
  start: () => import('./commands/start.js'),
  stop: () => import('./commands/stop.js'),
  restart: () => import('./commands/restart.js'),
  rename: () => import('./commands/rename.js'),
  cp: () => import('./commands/cp.js'),
  top: () => import('./commands/top.js'),
  events: () => import('./commands/events.js'),
  port: () => import('./commands/port.js'),
  pause: () => import('./commands/pause.js'),
  unpause: () => import('./commands/unpause.js'),
  kill: () => import('./commands/kill.js'),
  wait: () => import('./commands/wait.js'),
  logs: () => import('./commands/logs.js'),
  exec: () => import('./commands/exec.js'),
  rm: () => import('./commands/rm.js'),
  ps: () => import('./commands/ps.js'),
  diff: () => import('./commands/diff.js'),
  commit: () => import('./commands/commit.js'),
  export: () => import('./commands/export.js'),
  info: () => import('./commands/info.js'),
  'container ls': () => import('./commands/container-ls.js'),
  'container rm': () => import('./commands/container-rm.js'),
  'container prune': () => import('./commands/container-prune.js'),
  'container inspect': () => import('./commands/container-inspect.js'),
  'system info': () => import('./commands/info.js'),
  build: () => import('./commands/build.js'),
  'image build': () => import('./commands/build.js'),
  'builder build': () => import('./commands/build.js'),
  'builder prune': () => import('./commands/builder-prune.js'),
  'buildx build': () => import('./commands/buildx-build.js'),
  'buildx b': () => import('./commands/buildx-build.js'),
  'buildx create': () => import('./commands/buildx-create.js'),
  'buildx ls': () => import('./commands/buildx-ls.js'),
  'buildx use': () => import('./commands/buildx-use.js'),
  'buildx prune': () => import('./commands/builder-prune.js'),
  'buildx version': () => import('./commands/buildx-version.js'),
};

const ALIASES: Record<string, string> = {
  'image ls': 'images',
  'image list': 'images',
  'image rm': 'rmi',
  'image remove': 'rmi',
  'image history': 'history',
  'image tag': 'tag',
  'image import': 'import',
  'image load': 'load',
  'image save': 'save',
  'image pull': 'pull',
  'image push': 'push',
  'container run': 'run',
  'container create': 'create',
  'container start': 'start',
  'container stop': 'stop',
  'container restart': 'restart',
  'container rename': 'rename',
  'container cp': 'cp',
  'container top': 'top',
  'system events': 'events',
  'container port': 'port',
  'container pause': 'pause',
  'container unpause': 'unpause',
  'container kill': 'kill',
  'container wait': 'wait',
  'container logs': 'logs',
  'container exec': 'exec',
  'container remove': 'container rm',
  'container list': 'container ls',
  'container ps': 'container ls',
  'container diff': 'diff',
  'container commit': 'commit',
  'container export': 'export',
};

/** Management commands: their description and subcommands, as `berth GROUP` lists them. */
const GROUPS: Record<string, { description: string; commands: [string, string][] }> = {
  image: {
    description: 'Manage images',
    commands: [
      ['build', 'Build an image from a Dockerfile'],
      ['history', 'Show the history of an image'],
      ['import', 'Import the contents from a tarball to create a filesystem image'],
      ['inspect', 'Display detailed information on one or more images'],
      ['load', 'Load an image from a tar archive or STDIN'],
      ['ls', 'List images'],
      ['prune', 'Remove unused images'],
      ['pull', 'Download an image from a registry'],
      ['push', 'Upload an image to a registry'],
      ['rm', 'Remove one or more images'],
      ['save', 'Save one or more images to a tar archive (streamed to STDOUT by default)'],
      ['tag', 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE'],
    ],
  },
  container: {
    description: 'Manage containers',
    commands: [
      ['commit', "Create a new image from a container's changes"],
      ['cp', 'Copy files/folders between a container and the local filesystem'],
      ['create', 'Create a new container'],
      ['diff', "Inspect changes to files or directories on a container's filesystem"],
      ['exec', 'Execute a command in a running container'],
      ['export', "Export a container's filesystem as a tar archive"],
      ['inspect', 'Display detailed information on one or more containers'],
      ['kill', 'Kill one or more running containers'],
      ['logs', 'Fetch the logs of a container'],
      ['ls', 'List containers'],
      ['pause', 'Pause all processes within one or more containers'],
      ['port', 'List port mappings or a specific mapping for the container'],
      ['prune', 'Remove all stopped containers'],
      ['rename', 'Rename a container'],
      ['restart', 'Restart one or more containers'],
      ['rm', 'Remove one or more containers'],
      ['run', 'Create and run a new container from an image'],
      ['start', 'Start one or more stopped containers'],
      ['stop', 'Stop one or more running containers'],
      ['top', 'Display the running processes of a container'],
      ['unpause', 'Unpause all processes within one or more containers'],
      ['wait', 'Block until one or more containers stop, then print their exit codes'],
    ],
  },
  system: {
    description: 'Manage berth',
    commands: [
      ['check', 'Verify the store (every blob digest and reference)'],
      ['df', 'Show berth disk usage'],
      ['events', 'Get real time events from the server'],
      ['gc', 'Reclaim what interrupted work left behind'],
      ['info', 'Display system-wide information'],
      ['prune', 'Remove unused data'],
    ],
  },
  builder: {
    description: 'Manage builds',
    commands: [
      ['build', 'Build an image from a Dockerfile'],
      ['prune', 'Remove build cache'],
    ],
  },
  buildx: {
    description: 'Docker Buildx compatible commands',
    commands: [
      ['build', 'Start a build'],
      ['create', 'Create a new builder instance'],
      ['ls', 'List builder instances'],
      ['prune', 'Remove build cache'],
      ['use', 'Set the current builder instance'],
      ['version', 'Show buildx version information'],
    ],
  },
};

function groupUsage(group: string): string {
  const g = GROUPS[group]!;
  const rows = g.commands.map(([n, d]) => `  ${n.padEnd(11)} ${d}`);
  return `Usage:  berth ${group} COMMAND\n\n${g.description}\n\nCommands:\n${rows.join('\n')}\n\nRun 'berth ${group} COMMAND --help' for more information on a command.\n`;
}

function usage(): string {
  return [
    '',
    'Usage:  berth [OPTIONS] COMMAND',
    '',
    'A daemonless, Docker-compatible container image engine',
    '',
    'Options:',
    '      --root string   Store root (default /var/lib/berth as root, else $XDG_DATA_HOME/berth; env BERTH_ROOT)',
    '  -v, --version       Print version information and quit',
    '',
    'Common Commands:',
    '  run         Create and run a new container from an image',
    '  exec        Execute a command in a running container',
    '  ps          List containers',
    '  info        Display system-wide information',
    '',
    'Commands:',
    '  build       Build an image from a Dockerfile',
    '  commit      Create a new image from a container\'s changes',
    '  cp          Copy files/folders between a container and the local filesystem',
    '  create      Create a new container',
    '  diff        Inspect changes to files or directories on a container\'s filesystem',
    '  events      Get real time events from the server',
    '  export      Export a container\'s filesystem as a tar archive',
    '  kill        Kill one or more running containers',
    '  logs        Fetch the logs of a container',
    '  pause       Pause all processes within one or more containers',
    '  port        List port mappings or a specific mapping for the container',
    '  rename      Rename a container',
    '  restart     Restart one or more containers',
    '  rm          Remove one or more containers',
    '  start       Start one or more stopped containers',
    '  stop        Stop one or more running containers',
    '  top         Display the running processes of a container',
    '  unpause     Unpause all processes within one or more containers',
    '  wait        Block until one or more containers stop, then print their exit codes',
    '  copy        Copy an image between transports (berth:, docker://, docker-archive:, oci-archive:, oci:)',
    '  history     Show the history of an image',
    '  images      List images',
    '  import      Import the contents from a tarball to create a filesystem image',
    '  inspect     Return low-level information on images and containers',
    '  load        Load an image from a tar archive or STDIN',
    '  login       Authenticate to a registry',
    '  logout      Log out from a registry',
    '  pull        Download an image from a registry',
    '  push        Upload an image to a registry',
    '  rmi         Remove one or more images',
    '  save        Save one or more images to a tar archive (streamed to STDOUT by default)',
    '  serve       Serve the Docker Engine API (docker CLI, SDKs) on a unix socket',
    '  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    '  version     Show the berth version information',
    '',
    'Management Commands:',
    '  container   Manage containers',
    '  builder     Manage builds (build, prune)',
    '  buildx      Docker Buildx compatible commands (build, create, ls, use, prune, version)',
    '  image       Manage images',
    '  system      Manage berth (check, df, gc, prune)',
    '',
    "Run 'berth COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let root: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--root') root = argv[++i];
    else if (a.startsWith('--root=')) root = a.slice(7);
    else if (a === '-v' || a === '--version') {
      argv.splice(i, 1, 'version', '--short');
      i--;
    }
    else if (a === '-h' || a === '--help') {
      process.stdout.write(usage());
      return 0;
    } else if (a.startsWith('-')) {
      const flag = a.startsWith('--') ? `unknown flag: ${a.split('=')[0]}` : `unknown shorthand flag: '${a[1]}' in ${a}`;
      process.stderr.write(`${flag}\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information\n`);
      return 125;
    } else break;
  }
  if (root === undefined && argv.includes('--root')) {
    process.stderr.write(`flag needs an argument: --root\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information\n`);
    return 125;
  }
  const rest = argv.slice(i);
  if (rest.length === 0) {
    process.stderr.write(usage());
    return 0;
  }
  let name = rest[0]!;
  let args = rest.slice(1);
  if (Object.hasOwn(GROUPS, name)) {
    const sub = args[0];
    // Without a subcommand the usage goes to stderr, as docker/cli does; asked for, to stdout.
    if (sub === undefined) {
      process.stderr.write(groupUsage(name));
      return 0;
    }
    if (sub === '--help' || sub === '-h') {
      if (sub === '-h') process.stderr.write('Flag shorthand -h has been deprecated, use --help\n');
      process.stdout.write(groupUsage(name));
      return 0;
    }
    if (sub.startsWith('-')) {
      const flag = sub.startsWith('--') ? `unknown flag: ${sub.split('=')[0]}` : `unknown shorthand flag: '${sub[1]}' in ${sub}`;
      process.stderr.write(`${flag}\n\nUsage:  berth ${name}\n\nRun 'berth ${name} --help' for more information\n`);
      return 125;
    }
    if (!COMMANDS[`${name} ${sub}`] && !ALIASES[`${name} ${sub}`]) {
      process.stderr.write(`berth: unknown command: berth ${name} ${sub}\n\nUsage:  berth ${name}\n\nRun 'berth ${name} --help' for more information\n`);
      return 1;
    }
    name = `${name} ${sub}`;
    args = args.slice(1);
  }
  // args.ts names the command as typed (an alias such as "image ls") in usage lines.
  (globalThis as { berthInvokedAs?: string }).berthInvokedAs = name;
  name = ALIASES[name] ?? name;
  const loader = COMMANDS[name];
  if (!loader) {
    process.stderr.write(`berth: unknown command: berth ${name}\n\nRun 'berth --help' for more information\n`);
    return 1;
  }
  const mod = await loader();
  if ('runBundled' in mod) return mod.runBundled(args, root);
  const { runCommand } = await import('./run-command.js');
  return runCommand(mod.default, args, root);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
