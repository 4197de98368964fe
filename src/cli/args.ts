import { CliError, UsageError } from './errors.js';

export interface CommandSpec {
  /** Full command path as users type it, e.g. "image prune". */
  name: string;
  usage: string;
  description: string;
  /** Minimum and maximum positional arguments (max Infinity for any). */
  args?: { min: number; max: number };
  options?: (cmd: FlagSet) => void;
  /** false: flags end at the first positional argument (run, create, exec). */
  interspersed?: boolean;
}

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

type Accumulate = (value: string, previous: never) => unknown;

interface FlagDef {
  name: string;
  short?: string;
  /** Key in the parsed options: camelCase of the name, without `no-` for negated booleans. */
  key: string;
  bool: boolean;
  negated: boolean;
  valueName: string;
  description: string;
  accumulate?: Accumulate;
  defaultValue?: unknown;
  /** Accepted but left out of --help (deprecated flags, as docker/cli marks them). */
  hidden?: boolean;
}

/**
 * The flags of one command, declared commander-style (`-f, --filter <filter>`, `--no-trunc`,
 * `-H, --human [bool]`) and parsed as pflag does.
 */
export class FlagSet {
  readonly flags: FlagDef[] = [];

  option(spec: string, description: string, accumulateOrDefault?: unknown, defaultValue?: unknown): this {
    const m = /^(?:-(\w), )?--([\w-]+)(?: <(\w+)>| \[(\w+)\])?$/.exec(spec);
    if (!m) throw new Error(`bad flag spec: ${spec}`);
    const [, short, name, valueName, optional] = m;
    const bool = valueName === undefined;
    const negated = bool && name!.startsWith('no-') && optional === undefined;
    const key = camel(negated ? name!.slice(3) : name!);
    const def: FlagDef = { name: name!, short, key, bool, negated, valueName: valueName ?? '', description };
    if (typeof accumulateOrDefault === 'function') {
      def.accumulate = accumulateOrDefault as Accumulate;
      def.defaultValue = defaultValue;
    } else def.defaultValue = accumulateOrDefault;
    if (bool && typeof def.defaultValue === 'string') def.defaultValue = def.defaultValue === 'true';
    if (negated) def.defaultValue = true;
    this.flags.push(def);
    return this;
  }

  /** Leaves the named flag out of --help. */
  hide(name: string): this {
    const f = this.flags.find((x) => x.name === name);
    if (f) f.hidden = true;
    return this;
  }
}

function camel(s: string): string {
  return s.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** The command path and usage line as the user invoked the command (maybe an alias: "image ls"). */
function invocation(spec: Pick<CommandSpec, 'name' | 'usage'>): { path: string; usage: string } {
  const invokedAs = (globalThis as { berthInvokedAs?: string }).berthInvokedAs;
  const name = invokedAs && invokedAs !== spec.name && ALIASES[spec.name]?.includes(invokedAs) ? invokedAs : spec.name;
  const usage = spec.usage.startsWith(`berth ${spec.name}`) ? `berth ${name}${spec.usage.slice(6 + spec.name.length)}` : spec.usage;
  return { path: `berth ${name}`, usage };
}

/** cobra's FlagErrorFunc: the message, the usage line and a hint; exit status 125. */
export function flagError(spec: Pick<CommandSpec, 'name' | 'usage'>, message: string): UsageError {
  const { path, usage } = invocation(spec);
  return new UsageError(`${message}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`, spec.name);
}

/**
 * The flag error for a bad -f/--filter value: pflag checks each value as it reads it, so the
 * first bad one is named (a filter without '=' is the only kind parseFilters refuses).
 */
export function filterFlagError(spec: Pick<CommandSpec, 'name' | 'usage'>, items: readonly string[], label: string, err: unknown): UsageError {
  const bad = items.find((i) => !i.includes('=')) ?? items.at(-1);
  return flagError(spec, `invalid argument "${bad}" for "${label}" flag: ${(err as Error).message}`);
}

/** docker/cli's positional-argument validators (cli/required.go), word for word. */
function argCountError(spec: CommandSpec, n: number): CliError | undefined {
  const a = spec.args ?? { min: 0, max: Infinity };
  if (n >= a.min && n <= a.max) return undefined;
  const { path, usage } = invocation(spec);
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  let text: string;
  if (a.max === 0) text = `berth: '${path}' accepts no arguments\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`;
  else if (a.min === a.max) text = `berth: '${path}' requires ${a.min} ${plural(a.min)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`;
  else if (a.max === Infinity) text = `berth: '${path}' requires at least ${a.min} ${plural(a.min)}\n\nUsage:  ${usage}\n\nSee '${path} --help' for more information`;
  // "SRun" is docker/cli's own typo, kept so that scripts matching its output keep working.
  else if (a.min === 0) text = `berth: '${path}' requires at most ${a.max} ${plural(a.max)}\n\nUsage:  ${usage}\n\nSRun '${path} --help' for more information`;
  else text = `berth: '${path}' requires at least ${a.min} and at most ${a.max} ${plural(a.max)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`;
  return new CliError(text, 1);
}

/** Parses argv the way Docker's CLI (cobra and pflag) does, with Docker's messages for usage errors. */
export function parseArgs<O extends Record<string, unknown>>(spec: CommandSpec, argv: string[]): { opts: O; args: string[] } {
  const set = new FlagSet();
  spec.options?.(set);
  const byName = new Map(set.flags.map((f) => [f.name, f]));
  const byShort = new Map(set.flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const opts: Record<string, unknown> = {};
  for (const f of set.flags) if (f.defaultValue !== undefined) opts[f.key] = f.defaultValue;
  let help = false;
  const args: string[] = [];
  const setValue = (f: FlagDef, value: string, shown: string) => {
    if (f.bool) {
      const b = parseBool(value);
      if (b === undefined) {
        throw flagError(spec, `invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax`);
      }
      opts[f.key] = f.negated ? !b : b;
    } else if (f.accumulate) opts[f.key] = f.accumulate(value, opts[f.key] as never);
    else opts[f.key] = value;
  };
  const flagLabel = (f: FlagDef) => (f.short ? `-${f.short}, --${f.name}` : `--${f.name}`);

  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    if (s.length < 2 || s[0] !== '-') {
      if (spec.interspersed === false) {
        args.push(...argv.slice(i));
        break;
      }
      args.push(s);
      continue;
    }
    if (s === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (s[1] === '-') {
      const body = s.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw flagError(spec, `bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const f = byName.get(name);
      if (!f) {
        if (name === 'help') {
          help = true;
          continue;
        }
        throw flagError(spec, `unknown flag: --${name}`);
      }
      if (eq >= 0) setValue(f, body.slice(eq + 1), flagLabel(f));
      else if (f.bool) setValue(f, 'true', flagLabel(f));
      else if (i + 1 < argv.length) setValue(f, argv[++i]!, flagLabel(f));
      else throw flagError(spec, `flag needs an argument: ${s}`);
      continue;
    }
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0]!;
      const f = byShort.get(c);
      if (!f) {
        if (c === 'h') {
          // docker/cli marks -h deprecated; pflag says so on stderr and the help is shown.
          process.stderr.write('Flag shorthand -h has been deprecated, use --help\n');
          help = true;
          shorts = shorts.slice(1);
          continue;
        }
        throw flagError(spec, `unknown shorthand flag: '${c}' in -${shorts}`);
      }
      if (shorts.length > 2 && shorts[1] === '=') {
        setValue(f, shorts.slice(2), flagLabel(f));
        shorts = '';
      } else if (f.bool) {
        setValue(f, 'true', flagLabel(f));
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        setValue(f, shorts.slice(1), flagLabel(f));
        shorts = '';
      } else if (i + 1 < argv.length) {
        setValue(f, argv[++i]!, flagLabel(f));
        shorts = '';
      } else throw flagError(spec, `flag needs an argument: '${c}' in -${c}`);
    }
  }
  if (help) {
    process.stdout.write(helpText(spec, set));
    throw new HelpShown();
  }
  const err = argCountError(spec, args.length);
  if (err) throw err;
  return { opts: opts as O, args };
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

export class HelpShown extends Error {
  override name = 'HelpShown';
}

/** Other names of a command (docker/cli's "aliases" annotation), listed by --help. */
const ALIASES: Record<string, string[]> = {
  images: ['image ls', 'image list', 'images'],
  rmi: ['image rm', 'image remove', 'rmi'],
  tag: ['image tag', 'tag'],
  history: ['image history', 'history'],
  import: ['image import', 'import'],
  load: ['image load', 'load'],
  save: ['image save', 'save'],
  pull: ['image pull', 'pull'],
  push: ['image push', 'push'],
  run: ['container run', 'run'],
  create: ['container create', 'create'],
  start: ['container start', 'start'],
  stop: ['container stop', 'stop'],
  restart: ['container restart', 'restart'],
  rename: ['container rename', 'rename'],
  cp: ['container cp', 'cp'],
  top: ['container top', 'top'],
  events: ['system events', 'events'],
  port: ['container port', 'port'],
  pause: ['container pause', 'pause'],
  unpause: ['container unpause', 'unpause'],
  kill: ['container kill', 'kill'],
  wait: ['container wait', 'wait'],
  logs: ['container logs', 'logs'],
  exec: ['container exec', 'exec'],
  rm: ['container rm', 'container remove', 'rm'],
  'container rm': ['container rm', 'container remove', 'rm'],
  ps: ['container ls', 'container list', 'container ps', 'ps'],
  'container ls': ['container ls', 'container list', 'container ps', 'ps'],
  diff: ['container diff', 'diff'],
  commit: ['container commit', 'commit'],
  export: ['container export', 'export'],
  build: ['image build', 'build', 'builder build'],
  info: ['system info', 'info'],
};

/** cobra's usage template as docker/cli sets it, with pflag's wrapped flag usages. */
function helpText(spec: CommandSpec, set: FlagSet): string {
  const { usage } = invocation(spec);
  let out = `Usage:  ${usage}\n\n${spec.description.trim()}`;
  const aliases = ALIASES[spec.name];
  if (aliases) out += `\n\nAliases:\n  ${aliases.map((a) => `berth ${a}`).join(', ')}`;
  if (set.flags.length) out += `\n\nOptions:\n${flagUsages(set.flags, 79).trimEnd()}`;
  return out + '\n';
}

function flagUsages(flags: FlagDef[], cols: number): string {
  const sorted = flags.filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = sorted.map((f) => {
    let line = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    if (f.valueName) line += ` ${f.valueName}`;
    let usage = f.description;
    const d = f.defaultValue;
    if (!f.negated && d !== undefined && d !== false && d !== '' && !(Array.isArray(d) && d.length === 0)) {
      usage += typeof d === 'string' && f.valueName !== 'int' ? ` (default ${goQuote(d)})` : ` (default ${String(d)})`;
    }
    return { line, usage };
  });
  // pflag measures each line with the NUL it puts between flag and usage, hence the + 1.
  const maxlen = Math.max(...lines.map((l) => l.line.length + 1));
  return lines.map((l) => `${l.line} ${' '.repeat(maxlen - l.line.length)} ${wrap(maxlen + 2, cols, l.usage)}\n`).join('');
}

/** pflag's wrapN: the head of s up to i characters at a space, and the rest. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: s wrapped to width w, continuation lines indented by i. */
function wrap(i: number, w: number, s: string): string {
  let width = w - i;
  let r = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    r += '\n' + ' '.repeat(i);
  }
  const indent = (t: string) => t.replaceAll('\n', '\n' + ' '.repeat(i));
  if (width < 24) return s.replaceAll('\n', r);
  const slop = 5;
  width -= slop;
  let [l, rest] = wrapN(width, slop, s);
  r += indent(l);
  while (rest !== '') {
    [l, rest] = wrapN(width, slop, rest);
    r += '\n' + ' '.repeat(i) + indent(l);
  }
  return r;
}

/** docker/cli's flags.FormatHelp: the --format description of list commands. */
export const FORMAT_HELP = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

/** docker/cli's flags.InspectFormatHelp: the --format description of inspect commands. */
export const INSPECT_FORMAT_HELP = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;
