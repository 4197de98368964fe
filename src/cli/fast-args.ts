/**
 * Loading commander costs about 10 ms, a quarter of what a listing is allowed in all. The plain
 * command lines scripts run — known flags as separate words, an option's value as the next
 * word, positional words — are parsed here. Anything else (--flag=value, combined short flags,
 * --, --help, unknown flags, values starting with '-', a wrong number of arguments) gets
 * undefined, and the command hands argv to parseArgs, which has Docker's exact semantics and
 * messages.
 */
export interface QuickSpec {
  /** Flags without a value, e.g. { '-q': 'quiet' }; a `--no-x` flag sets its key to false. */
  flags: Readonly<Record<string, string>>;
  /** Flags that take the next word as their value; `repeat` collects every value in order. */
  values?: Readonly<Record<string, { key: string; repeat?: boolean }>>;
  args: { min: number; max: number };
}

export function quickArgs<O extends Record<string, unknown>>(argv: readonly string[], spec: QuickSpec): { opts: O; args: string[] } | undefined {
  const opts: Record<string, unknown> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) {
      args.push(a);
      continue;
    }
    const key = Object.hasOwn(spec.flags, a) ? spec.flags[a] : undefined;
    if (key !== undefined) {
      opts[key] = !a.startsWith('--no-');
      continue;
    }
    const v = spec.values && Object.hasOwn(spec.values, a) ? spec.values[a] : undefined;
    if (v === undefined) return undefined;
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('-')) return undefined;
    i++;
    if (v.repeat) ((opts[v.key] ??= []) as string[]).push(value);
    else opts[v.key] = value;
  }
  if (args.length < spec.args.min || args.length > spec.args.max) return undefined;
  return { opts: opts as O, args };
}
