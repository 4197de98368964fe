/**
 * The options `run` and `create` share (Docker's containerOptions), their parsing into engine
 * options, and the image-missing path (pull, as Docker's CLI does).
 */
import { readFileSync } from 'node:fs';
import type { CliContext } from '../context.js';
import { collect, flagError, parseArgs, type CommandSpec, type FlagSet } from '../args.js';
import { CliError } from '../errors.js';
import { Output } from '../output.js';
import type { ContainerCreateOptions, MountOption } from '../../engine/container-create.js';
import { createContainer } from '../../engine/container-create.js';
import { BerthError, isKind } from '../../image/errors.js';
import { parseUserReference } from '../../engine/refs.js';
import { BadFlagValue, BadValue, limitOptions, parseLimitFlags, type LimitFlags } from './container-limit-flags.js';

export interface ContainerFlags extends LimitFlags {
  attach?: string[];
  detach?: boolean;
  entrypoint?: string;
  env?: string[];
  envFile?: string[];
  groupAdd?: string[];
  hostname?: string;
  domainname?: string;
  interactive?: boolean;
  label?: string[];
  labelFile?: string[];
  mount?: string[];
  name?: string;
  network?: string;
  net?: string;
  publish?: string[];
  readOnly?: boolean;
  rm?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
  tty?: boolean;
  tmpfs?: string[];
  user?: string;
  volume?: string[];
  workdir?: string;
  platform?: string;
  pull?: string;
  quiet?: boolean;
  sigProxy?: boolean;
  init?: boolean;
  restart?: string;
  detachKeys?: string;
  cidfile?: string;
  logDriver?: string;
}

export function containerOptions(c: FlagSet, run: boolean): void {
  c.option('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', collect)
    .option('--cidfile <string>', 'Write the container ID to the file')
    .option('--domainname <string>', 'Container NIS domain name')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-e, --env <list>', 'Set environment variables', collect)
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('--group-add <list>', 'Add additional groups to join', collect)
    .option('-h, --hostname <string>', 'Container host name')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-l, --label <list>', 'Set meta data on a container', collect)
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect)
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collect)
    .option('--name <string>', 'Assign a name to the container')
    .option('--network <network>', 'Connect a container to a network (host or none)')
    .option('--net <network>', 'Connect a container to a network (host or none)')
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect)
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container')
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect)
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('-v, --volume <list>', 'Bind mount a volume', collect)
    .option('-w, --workdir <string>', 'Working directory inside the container');
  limitOptions(c);
  if (run) {
    c.option('-d, --detach', 'Run container in background and print container ID')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .option('--sig-proxy', 'Proxy received signals to the process', true);
  }
}

/** Docker's parseKeyValueFile (env files and label files). */
export function readKeyValueFile(file: string, envLookup: boolean): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`, 125);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') throw new CliError(`no variable name on line '${line}'`, 125);
    if (/\s/.test(key)) throw new CliError(`variable '${key}' contains whitespaces`, 125);
    if (eq >= 0) out.push(line);
    else if (envLookup && process.env[key] !== undefined) out.push(`${key}=${process.env[key]}`);
    else out.push(key);
    void i;
  });
  return out;
}

/** `--mount type=bind,source=...,target=...[,readonly][,bind-propagation=...]`. */
export function parseMountFlag(spec: string): MountOption {
  const m: Partial<MountOption> & { type?: string } = { readonly: false };
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    switch (key) {
      case 'type':
        m.type = val;
        break;
      case 'source':
      case 'src':
        m.source = val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = val;
        break;
      case 'readonly':
      case 'ro':
        m.readonly = val === undefined || /^(1|true)$/i.test(val);
        if (val !== undefined && !/^(0|1|true|false)$/i.test(val)) throw new CliError(`invalid value for ${key}: ${val}`, 125);
        break;
      case 'bind-propagation':
        m.propagation = val;
        break;
      case 'bind-recursive':
      case 'consistency':
      case 'tmpfs-size':
      case 'tmpfs-mode':
        break;
      default:
        throw new CliError(`invalid argument "${spec}" for "--mount" flag: unexpected key '${key}' in '${field}'`, 125);
    }
  }
  m.type ??= 'volume';
  if (!m.target) throw new CliError(`invalid argument "${spec}" for "--mount" flag: target is required`, 125);
  if (m.type === 'bind' && !m.source) throw new CliError(`invalid mount config for type "bind": field Source must not be empty`, 125);
  return { type: m.type, source: m.source ?? '', target: m.target, readonly: Boolean(m.readonly), propagation: m.propagation };
}

export interface ParsedContainerArgs {
  flags: ContainerFlags;
  image: string;
  cmd: string[];
}

export function parseContainerArgs(argv: string[], run: boolean): ParsedContainerArgs {
  const name = run ? 'run' : 'create';
  const spec: CommandSpec = {
    name,
    usage: `berth ${name} [OPTIONS] IMAGE [COMMAND] [ARG...]`,
    description: run ? 'Create and run a new container from an image' : 'Create a new container',
    args: { min: 1, max: Infinity },
    interspersed: false,
    options: (c) => containerOptions(c, run),
  };
  const { opts, args } = parseArgs<ContainerFlags & Record<string, unknown>>(spec, argv);
  // pflag checks these values as it reads them: a bad one is a flag error.
  for (const e of opts.env ?? []) {
    if (e === '' || e.startsWith('=')) throw flagError(spec, `invalid argument "${e}" for "-e, --env" flag: invalid environment variable: ${e}`);
  }
  for (const m of opts.mount ?? []) {
    try {
      parseMountFlag(m);
    } catch (err) {
      if (err instanceof CliError && err.message.startsWith('invalid argument')) throw flagError(spec, err.message);
      throw err;
    }
  }
  try {
    parseLimitFlags(opts);
  } catch (err) {
    if (err instanceof BadFlagValue) throw flagError(spec, err.message);
    if (err instanceof BadValue) throw runStatusError(err, name);
    throw err;
  }
  return { flags: opts, image: args[0]!, cmd: args.slice(1) };
}

/** Builds the engine's create options from the flags (Docker's parse()). */
export function createOptionsFrom(p: ParsedContainerArgs, ctx: CliContext, run: boolean): ContainerCreateOptions {
  const f = p.flags;
  const env: string[] = [];
  for (const file of f.envFile ?? []) env.push(...readKeyValueFile(file, true));
  for (const e of f.env ?? []) {
    if (e.includes('=')) env.push(e);
    else env.push(process.env[e] !== undefined ? `${e}=${process.env[e]}` : e);
  }
  const labels: Record<string, string> = {};
  for (const file of f.labelFile ?? []) for (const l of readKeyValueFile(file, false)) addLabel(labels, l);
  for (const l of f.label ?? []) addLabel(labels, l);
  const attach = (f.attach ?? []).map((a) => a.toLowerCase());
  for (const a of attach) {
    if (a !== 'stdin' && a !== 'stdout' && a !== 'stderr') throw new CliError(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`, 125);
  }
  if (f.detach && attach.length) throw new CliError('conflicting options: cannot specify both --attach and --detach', 1);
  const detached = run ? Boolean(f.detach) : attach.length === 0;
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (!detached && attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
    if (f.interactive) attachStdin = true;
  }
  if (!run && attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
    attachStdin = Boolean(f.interactive);
  }
  if (run && f.detach) attachStdin = attachStdout = attachStderr = false;
  let stopTimeout: number | undefined;
  if (f.stopTimeout !== undefined) {
    stopTimeout = Number(f.stopTimeout);
    if (!Number.isInteger(stopTimeout)) throw new CliError(`invalid argument "${f.stopTimeout}" for "--stop-timeout" flag: strconv.ParseInt: parsing "${f.stopTimeout}": invalid syntax`, 125);
  }
  if (f.restart && f.restart !== 'no' && f.rm) throw runStatusError(new Error('conflicting options: cannot specify both --restart and --rm'), run ? 'run' : 'create');
  for (const opt of f.securityOpt ?? []) {
    const o = opt.trim();
    if (o !== 'no-new-privileges' && !o.includes('=') && !o.includes(':')) throw runStatusError(new Error(`Invalid --security-opt: "${o}"`), run ? 'run' : 'create');
  }
  const network = f.network ?? f.net;
  if ((f.publish ?? []).length) ctx.out.error('WARNING: Published ports are discarded when using host network mode');
  let size: [number, number] | undefined;
  const stdout = process.stdout as NodeJS.WriteStream;
  if (f.tty && stdout.isTTY && stdout.rows) size = [stdout.rows, stdout.columns];
  return {
    image: p.image,
    name: f.name,
    cmd: p.cmd,
    entrypoint: f.entrypoint,
    env,
    workdir: f.workdir,
    user: f.user,
    hostname: f.hostname,
    domainname: f.domainname,
    labels,
    volumes: f.volume,
    mounts: (f.mount ?? []).map(parseMountFlag),
    tty: Boolean(f.tty),
    openStdin: Boolean(f.interactive),
    stdinOnce: Boolean(f.interactive) && attachStdin,
    attachStdin,
    attachStdout,
    attachStderr,
    autoRemove: Boolean(f.rm),
    network,
    readOnly: Boolean(f.readOnly),
    groupAdd: f.groupAdd,
    consoleSize: size,
    stopSignal: f.stopSignal,
    stopTimeout,
    tmpfs: f.tmpfs,
    ...parseLimitFlags(f),
  };
}

function addLabel(labels: Record<string, string>, l: string): void {
  const eq = l.indexOf('=');
  if (eq < 0) labels[l] = '';
  else labels[l.slice(0, eq)] = l.slice(eq + 1);
}

/**
 * Creates the container, pulling the image first when it is missing (as Docker's CLI does,
 * with its messages on stderr). Returns the new container's ID.
 */
export async function createWithPull(ctx: CliContext, opts: ContainerCreateOptions, flags: ContainerFlags): Promise<string> {
  const engine = ctx.engine();
  const policy = flags.pull ?? 'missing';
  if (policy !== 'always' && policy !== 'missing' && policy !== 'never') {
    throw new CliError(`invalid pull option: '${policy}': must be one of "always", "missing" or "never"`, 125);
  }
  const pull = async () => {
    const { pullImage } = await import('../../engine/pull.js');
    const { JsonStreamPrinter } = await import('./pull.js');
    const err = new Output(process.stderr, process.stderr);
    const printer = new JsonStreamPrinter(err, Boolean((process.stderr as NodeJS.WriteStream).isTTY), Boolean(flags.quiet));
    const ref = parseUserReference(opts.image);
    await pullImage(engine, ref.kind === 'named' ? ref.canonical : opts.image, { progress: printer.handler });
    await err.drain();
  };
  if (policy === 'always') await pull();
  try {
    return (await createContainer(engine, opts)).id;
  } catch (err) {
    if (!(err instanceof BerthError) || !isKind(err, 'not-found') || !/^No such image/.test(err.message) || policy !== 'missing') throw err;
    const ref = parseUserReference(opts.image);
    process.stderr.write(`Unable to find image '${ref.kind === 'named' ? ref.familiar : opts.image}' locally\n`);
    await pull();
    return (await createContainer(engine, opts)).id;
  }
}

/** Docker's toStatusError: exit 127 for a missing command, 126 for one that cannot run, else 125. */
export function runStatusError(err: unknown, command: string): CliError {
  const msg = err instanceof BerthError ? `Error response from daemon: ${err.message}` : (err as Error).message;
  let code = 125;
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(msg)) code = 127;
  else if (/permission denied|is a directory/.test(msg)) code = 126;
  return new CliError(`berth: ${msg}\n\nRun 'berth ${command} --help' for more information`, code);
}
