// Build-time variable expansion of instructions, with BuildKit's rules for what is expanded:
//   ENV, LABEL        keys and values
//   ADD               --chown, --chmod, --checksum, sources, destination; here-doc bodies*
//   COPY              --chown, --chmod, sources, destination; here-doc bodies*
//   WORKDIR, USER, VOLUME, STOPSIGNAL   their arguments
//   RUN               --mount option values (the command itself is left to the shell)
//   EXPOSE            each port, split into words after expansion
//   ARG               default values (not names), when no build argument overrides them
//   FROM              image and --platform, against the global (meta) ARGs: expandStage
//   CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER: nothing
// * only bodies whose delimiter was unquoted, with quotes left as they are.

import { DockerfileError } from './errors.js';
import type { ArgInstruction, CopyInstruction, Instruction, Stage } from './instruction-types.js';
import { parseMount } from './run-mount.js';
import { emptyEnv, ShellLex, toEnvGetter, type EnvGetter, type EnvSource } from './shell-lexer.js';

export interface Expansion<T> {
  /** A copy of the instruction with its words expanded. */
  instruction: T;
  /** Variables referenced and set. */
  matched: Set<string>;
  /** Variables referenced but not set (BuildKit's UndefinedVar check uses these). */
  unmatched: Set<string>;
}

function fail(err: unknown, instr: { location: { start: number; end: number } }): DockerfileError {
  return new DockerfileError(err instanceof Error ? err.message : String(err), instr.location, { cause: err });
}

/**
 * Expands the words of one instruction against env (the stage's environment: ENV and ARG
 * values in effect). `lex` must use the Dockerfile's escape token. Throws DockerfileError.
 */
export function expandInstruction<T extends Instruction>(instr: T, lex: ShellLex, env: EnvSource): Expansion<T> {
  const getter = toEnvGetter(env);
  const matched = new Set<string>();
  const unmatched = new Set<string>();
  const word = (w: string, lexer: ShellLex = lex): string => {
    const r = lexer.processWordWithMatches(w, getter);
    for (const k of r.matched) matched.add(k);
    for (const k of r.unmatched) unmatched.add(k);
    return r.result;
  };
  // Here-document bodies are expanded without quote processing and always with '\'.
  const rawLex = new ShellLex('\\');
  rawLex.skipProcessQuotes = true;

  const out = structuredClone(instr) as Instruction;
  try {
    switch (out.kind) {
      case 'env':
        for (const kv of out.env) {
          kv.key = word(kv.key);
          kv.value = word(kv.value);
        }
        break;
      case 'label':
        for (const kv of out.labels) {
          kv.key = word(kv.key);
          kv.value = word(kv.value);
        }
        break;
      case 'add':
      case 'copy':
        out.chown = word(out.chown);
        out.chmod = word(out.chmod);
        if (out.kind === 'add') out.checksum = word(out.checksum);
        out.sourcePaths = out.sourcePaths.map((p) => word(p));
        out.destPath = word(out.destPath);
        for (const c of out.sourceContents) if (c.expand) c.data = word(c.data, rawLex);
        break;
      case 'workdir':
        out.path = word(out.path);
        break;
      case 'user':
        out.user = word(out.user);
        break;
      case 'volume':
        out.volumes = out.volumes.map((v) => word(v));
        break;
      case 'stopsignal':
        out.signal = word(out.signal);
        break;
      case 'run':
        out.mounts = out.mountSpecs.map((spec) => parseMount(spec, (v) => word(v)));
        break;
      case 'expose':
        out.ports = out.ports.flatMap((p) => lex.processWords(p, getter));
        break;
      case 'arg':
        for (const a of out.args) if (a.value !== undefined) a.value = word(a.value);
        break;
      default:
        break;
    }
  } catch (err) {
    throw fail(err, instr);
  }
  return { instruction: out as T, matched, unmatched };
}

export interface ExpandedStageBase {
  baseName: string;
  /** '' when the stage has no --platform. */
  platform: string;
  matched: Set<string>;
  unmatched: Set<string>;
}

/** Expands a stage's FROM image and --platform against the global ARGs, with BuildKit's errors. */
export function expandStage(stage: Stage, lex: ShellLex, globalArgs: EnvSource): ExpandedStageBase {
  const getter = toEnvGetter(globalArgs);
  const matched = new Set<string>();
  const unmatched = new Set<string>();
  const collect = (m: Set<string>, u: Set<string>) => {
    for (const k of m) matched.add(k);
    for (const k of u) unmatched.add(k);
  };
  let baseName: string;
  try {
    const r = lex.processWordWithMatches(stage.baseName, getter);
    collect(r.matched, r.unmatched);
    baseName = r.result;
  } catch (err) {
    throw fail(err, stage);
  }
  if (baseName === '') throw new DockerfileError(`base name (${stage.baseName}) should not be blank`, stage.location);
  let platform = '';
  if (stage.platform !== '') {
    try {
      const r = lex.processWordWithMatches(stage.platform, getter);
      collect(r.matched, r.unmatched);
      platform = r.result;
    } catch (err) {
      throw new DockerfileError(
        `failed to process arguments for platform : ${(err as Error).message}`,
        stage.location,
        { cause: err },
      );
    }
    if (platform === '') throw new DockerfileError(`empty platform value from expression ${stage.platform}`, stage.location);
  }
  return { baseName, platform, matched, unmatched };
}

/** COPY --from takes no variables; throws BuildKit's error when it has any. */
export function checkCopyFrom(copy: CopyInstruction, lex: ShellLex): void {
  if (copy.from === '') return;
  let result: string;
  try {
    result = lex.processWord(copy.from, emptyEnv);
  } catch (err) {
    throw fail(err, copy);
  }
  if (result !== copy.from) {
    throw new DockerfileError(
      'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
      copy.location,
    );
  }
}

/**
 * The global ARG values: each meta ARG (before the first FROM) takes its build argument if
 * one is given, else its default expanded against the ARGs before it; `base` holds the
 * predefined ARGs (TARGETPLATFORM, BUILDPLATFORM, ...). Like BuildKit's buildMetaArgs.
 */
export function resolveMetaArgs(
  metaArgs: readonly ArgInstruction[],
  lex: ShellLex,
  base: ReadonlyMap<string, string> = new Map(),
  buildArgs: ReadonlyMap<string, string> = new Map(),
): Map<string, string> {
  const args = new Map(base);
  const getter: EnvGetter = { get: (k) => args.get(k), keys: () => [...args.keys()] };
  for (const cmd of metaArgs) {
    for (const kp of cmd.args) {
      let value = kp.value;
      const given = buildArgs.get(kp.key);
      if (given !== undefined) value = given;
      else if (value !== undefined) {
        try {
          value = lex.processWord(value, getter);
        } catch (err) {
          throw fail(err, cmd);
        }
      }
      if (value !== undefined) args.set(kp.key, value);
    }
  }
  return args;
}
