import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './errors.js';

export interface CommandSpec {
  /** Full command path as users type it, e.g. "image prune". */
  name: string;
  usage: string;
  description: string;
  /** Minimum and maximum positional arguments (max Infinity for any). */
  args?: { min: number; max: number };
  options?: (cmd: Command) => void;
}

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function argCountMessage(spec: CommandSpec, n: number): string | undefined {
  const a = spec.args ?? { min: 0, max: Infinity };
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  if (a.min === a.max && n !== a.min) return `"berth ${spec.name}" requires exactly ${a.min} ${plural(a.min)}.`;
  if (n < a.min) return `"berth ${spec.name}" requires at least ${a.min} ${plural(a.min)}.`;
  if (n > a.max) {
    return a.max === 0
      ? `"berth ${spec.name}" accepts no arguments.`
      : `"berth ${spec.name}" requires at most ${a.max} ${plural(a.max)}.`;
  }
  return undefined;
}

/** Parses argv the way Docker's CLI (pflag) does, with Docker's messages for usage errors. */
export function parseArgs<O extends Record<string, unknown>>(spec: CommandSpec, argv: string[]): { opts: O; args: string[] } {
  const cmd = new Command(spec.name);
  cmd
    .exitOverride()
    .allowExcessArguments(true)
    .configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) })
    .helpOption(false)
    .addOption(new Option('--help', 'Print usage'))
    .argument('[args...]');
  spec.options?.(cmd);
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(translate(err), spec.name);
    throw err;
  }
  const opts = cmd.opts() as O & { help?: boolean };
  if (opts.help) {
    process.stdout.write(helpText(spec, cmd));
    throw new HelpShown();
  }
  const args = (cmd.processedArgs[0] as string[] | undefined) ?? [];
  const msg = argCountMessage(spec, args.length);
  if (msg) {
    const text = `${msg}\nSee 'berth ${spec.name} --help'.\n\nUsage:  ${spec.usage}\n\n${spec.description}`;
    throw new UsageError(text, spec.name, 1, false);
  }
  return { opts, args };
}

export class HelpShown extends Error {}

function translate(err: CommanderError): string {
  const m = err.message.replace(/^error: /, '');
  let r: RegExpMatchArray | null;
  if ((r = m.match(/^unknown option '(-[^-])(.*)'/))) return `unknown shorthand flag: '${r[1]!.slice(1)}' in ${r[1]}${r[2]}`;
  if ((r = m.match(/^unknown option '([^']*)'/))) return `unknown flag: ${r[1]}`;
  if ((r = m.match(/^option '([^']*)' argument missing/))) {
    const flags = r[1]!.split(/[ ,]+/);
    const long = flags.find((f) => f.startsWith('--')) ?? flags[0]!;
    const short = flags.find((f) => /^-[^-]/.test(f));
    return short ? `flag needs an argument: '${short.slice(1)}' in ${short}` : `flag needs an argument: ${long.split(' ')[0]}`;
  }
  return m;
}

function helpText(spec: CommandSpec, cmd: Command): string {
  const lines = [``, `Usage:  ${spec.usage}`, ``, spec.description, ``];
  const opts = cmd.options.filter((o) => o.long !== '--help');
  if (opts.length) {
    lines.push('Options:');
    const rows = opts.map((o) => {
      const flags = (o.short ? `${o.short}, ` : '    ') + o.long + (o.required || o.optional ? ` ${o.flags.match(/<(\w+)/)?.[1] ?? 'string'}` : '');
      return [flags, o.description] as const;
    });
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [f, d] of rows) lines.push(`  ${f.padEnd(w)}   ${d}`);
    lines.push('');
  }
  return lines.join('\n') + '\n';
}
