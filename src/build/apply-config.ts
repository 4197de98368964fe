import { posix } from 'node:path';
import type { ContainerConfig } from '../image/types.js';
import { invalidArgument } from '../image/errors.js';
import { ShellLex, envFromList, expandInstruction, parse, parseInstruction, type Instruction, type FromInstruction } from './dockerfile/index.js';

const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Instructions `import --change` and `commit --change` accept (Docker's validCommitCommands). */
export const CHANGE_INSTRUCTIONS = new Set(['cmd', 'entrypoint', 'healthcheck', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR',
  'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
]);

/** Docker's signal.ParseSignal check: a number, a name with or without SIG, or RTMIN+n. */
export function validSignal(s: string): boolean {
  if (/^\d+$/.test(s)) return Number(s) > 0 && Number(s) <= 64;
  const name = s.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.has(name)) return true;
  const rt = name.match(/^RTMIN(?:\+(\d+))?$|^RTMAX(?:-(\d+))?$/);
  return rt !== null && Number(rt[1] ?? rt[2] ?? 0) <= 15;
}

/** nat.ParsePortSpecs for EXPOSE: "80", "80/udp", "8000-8002/tcp" → port keys. */
export function exposedPorts(specs: string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const m = spec.match(/^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i);
    if (!m) throw invalidArgument(`invalid containerPort: ${spec.split('/')[0]}`);
    const start = Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : start;
    const proto = (m[3] ?? 'tcp').toLowerCase();
    if (start > 65535 || end > 65535 || end < start) throw invalidArgument(`invalid range specified for container port: ${spec}`);
    for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

function setEnv(cfg: ContainerConfig, key: string, value: string): void {
  const env = [...(cfg.Env ?? [])];
  const i = env.findIndex((e) => e.split('=', 1)[0] === key);
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
  cfg.Env = env;
}

export interface ApplyState {
  /** Whether CMD was set by these instructions (an ENTRYPOINT after it keeps it). */
  cmdSet: boolean;
}

/**
 * Applies one metadata instruction (already parsed) to a container config, as Docker's builder
 * dispatchers do: ENV/LABEL/WORKDIR/USER/... with word expansion against the config's own ENV.
 */
export function applyInstruction(
  cfg: ContainerConfig,
  raw: Instruction,
  state: ApplyState,
  lex = new ShellLex('\\'),
  opts: { expanded?: boolean } = {},
): void {
  const env = envFromList(cfg.Env ?? []);
  const verbatim = opts.expanded || raw.kind === 'onbuild' || raw.kind === 'cmd' || raw.kind === 'entrypoint';
  const instr = verbatim ? raw : expandInstruction(raw, lex, env).instruction;
  switch (instr.kind) {
    case 'env':
      for (const kv of instr.env) setEnv(cfg, kv.key, kv.value);
      return;
    case 'label':
      cfg.Labels = { ...(cfg.Labels ?? {}) };
      for (const kv of instr.labels) cfg.Labels[kv.key] = kv.value;
      return;
    case 'maintainer':
      return;
    case 'workdir': {
      const p = instr.path;
      cfg.WorkingDir = p.startsWith('/') ? posix.normalize(p) : posix.join('/', cfg.WorkingDir ?? '', p);
      return;
    }
    case 'user':
      cfg.User = instr.user;
      return;
    case 'volume':
      cfg.Volumes = { ...(cfg.Volumes ?? {}) };
      for (const v of instr.volumes) {
        if (v.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
        cfg.Volumes[v] = {};
      }
      return;
    case 'stopsignal':
      if (!validSignal(instr.signal)) throw invalidArgument(`Invalid signal: ${instr.signal}`);
      cfg.StopSignal = instr.signal;
      return;
    case 'expose':
      cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of exposedPorts(instr.ports)) cfg.ExposedPorts[p] = {};
      return;
    case 'onbuild':
      cfg.OnBuild = [...(cfg.OnBuild ?? []), instr.expression];
      return;
    case 'cmd':
      cfg.Cmd = instr.prependShell ? [...(cfg.Shell?.length ? cfg.Shell : DEFAULT_SHELL), ...instr.cmdLine] : instr.cmdLine;
      state.cmdSet = true;
      return;
    case 'entrypoint':
      if (instr.cmdLine === null) cfg.Entrypoint = null;
      else cfg.Entrypoint = instr.prependShell ? [...(cfg.Shell?.length ? cfg.Shell : DEFAULT_SHELL), ...instr.cmdLine] : instr.cmdLine;
      if (!state.cmdSet) cfg.Cmd = null;
      return;
    case 'shell':
      cfg.Shell = instr.shell;
      return;
    case 'healthcheck': {
      const h = instr.health;
      if (h.test[0] === 'NONE') {
        cfg.Healthcheck = { Test: ['NONE'] };
        return;
      }
      const hc: ContainerConfig['Healthcheck'] = { Test: h.test };
      if (h.interval) hc.Interval = h.interval;
      if (h.timeout) hc.Timeout = h.timeout;
      if (h.startPeriod) hc.StartPeriod = h.startPeriod;
      if (h.startInterval) hc.StartInterval = h.startInterval;
      if (h.retries) hc.Retries = h.retries;
      cfg.Healthcheck = hc;
      return;
    }
    default:
      throw invalidArgument(`${instr.name.toUpperCase()} is not a metadata instruction`);
  }
}

/**
 * Docker's BuildFromConfig for `--change`: each change is a Dockerfile line; only the commit
 * instructions are accepted. Returns a new config.
 */
export function applyChanges(base: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const cfg: ContainerConfig = structuredClone(base);
  if (changes.length === 0) return cfg;
  let ast;
  try {
    ast = parse(changes.join('\n')).ast;
  } catch (err) {
    throw invalidArgument((err as Error).message, err);
  }
  const instrs: (Instruction | FromInstruction)[] = [];
  for (const node of ast.children) {
    if (!CHANGE_INSTRUCTIONS.has(node.value.toLowerCase())) {
      throw invalidArgument(`${node.value} is not a valid change command`);
    }
    try {
      instrs.push(parseInstruction(node));
    } catch (err) {
      throw invalidArgument((err as Error).message, err);
    }
  }
  const state: ApplyState = { cmdSet: false };
  for (const i of instrs) applyInstruction(cfg, i as Instruction, state);
  return cfg;
}
