// The frontend in one call: parse, build checks, stages — the steps BuildKit takes before it
// starts dispatching instructions.

import type { Node } from './ast.js';
import { parseDirective, type Directive } from './directives.js';
import { toLower, toUpper } from './go-text.js';
import type { ArgInstruction, Instruction, Stage } from './instruction-types.js';
import { parseStages } from './instructions.js';
import { defaultLintConfig, lintMessages, lintRules, Linter, parseLintOptions, type LintConfig, type LintWarning } from './lint.js';
import { parse, type ParseWarning } from './parser.js';
import { ShellLex } from './shell-lexer.js';

export interface Dockerfile {
  ast: Node;
  escapeToken: string;
  directives: Directive[];
  /** The parser's own warnings (empty continuation lines). */
  parseWarnings: ParseWarning[];
  /** Build-check warnings found so far (see parseDockerfile). */
  lintWarnings: LintWarning[];
  /** The linter, configured by `# check=` (and options), for the builder's own checks. */
  linter: Linter;
  stages: Stage[];
  /** ARGs before the first FROM. */
  metaArgs: ArgInstruction[];
  /** A new word expander using the Dockerfile's escape token. */
  lexer(): ShellLex;
}

export interface ParseDockerfileOptions {
  /** Replaces the `# check=` directive's configuration (like a client-side lint config). */
  lintConfig?: LintConfig;
  /** Also called for each build-check warning as it is found. */
  onWarning?: (w: LintWarning) => void;
}

/**
 * Parses a Dockerfile into stages and reports the build checks BuildKit runs before dispatch:
 * NoEmptyContinuation, MaintainerDeprecated, StageNameCasing, FromAsCasing,
 * InvalidDefinitionDescription (experimental), ReservedStageName, DuplicateStageName,
 * ConsistentInstructionCasing. Throws DockerfileError.
 */
export function parseDockerfile(input: string | Uint8Array, options: ParseDockerfileOptions = {}): Dockerfile {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  let config = options.lintConfig;
  if (!config) {
    const check = parseDirective('check', text)?.value ?? null;
    try {
      config = check === null ? defaultLintConfig() : parseLintOptions(check);
    } catch (err) {
      throw new Error(`failed to parse check options: ${(err as Error).message}`, { cause: err });
    }
  }
  const lintWarnings: LintWarning[] = [];
  const linter = new Linter(config, (w) => {
    lintWarnings.push(w);
    options.onWarning?.(w);
  });

  const result = parse(text);
  for (const w of result.warnings) {
    linter.run(lintRules.noEmptyContinuation, w.location, lintMessages.noEmptyContinuation());
  }
  const { stages, metaArgs } = parseStages(result.ast, { linter });
  validateStageNames(stages, linter);
  validateCommandCasing(stages, linter);

  const escapeToken = result.escapeToken;
  return {
    ast: result.ast,
    escapeToken,
    directives: result.directives,
    parseWarnings: result.warnings,
    lintWarnings,
    linter,
    stages,
    metaArgs,
    lexer: () => new ShellLex(escapeToken),
  };
}

const reservedStageNames = new Set(['context', 'scratch']);

function validateStageNames(stages: readonly Stage[], linter: Linter): void {
  const seen = new Set<string>();
  for (const stage of stages) {
    if (stage.name === '') continue;
    if (reservedStageNames.has(stage.name)) {
      linter.run(lintRules.reservedStageName, stage.location, lintMessages.reservedStageName(stage.name));
    }
    if (seen.has(stage.name)) {
      linter.run(lintRules.duplicateStageName, stage.location, lintMessages.duplicateStageName(stage.name));
    }
    seen.add(stage.name);
  }
}

function isSelfConsistentCasing(s: string): boolean {
  return s === toLower(s) || s === toUpper(s);
}

function validateCommandCasing(stages: readonly Stage[], linter: Linter): void {
  let lower = 0;
  let upper = 0;
  const count = (name: string) => {
    if (!isSelfConsistentCasing(name)) return;
    if (toLower(name) === name) lower++;
    else upper++;
  };
  for (const stage of stages) {
    count(stage.origCmd);
    for (const cmd of stage.commands) count(cmd.name);
  }
  const majorityLower = lower > upper;
  const check = (name: string, location: Stage['location']) => {
    let casing = '';
    if (majorityLower && toLower(name) !== name) casing = 'lowercase';
    else if (!majorityLower && toUpper(name) !== name) casing = 'uppercase';
    if (casing) {
      linter.run(lintRules.consistentInstructionCasing, location, lintMessages.consistentInstructionCasing(name, casing));
    }
  };
  for (const stage of stages) {
    check(stage.origCmd, stage.location);
    for (const cmd of stage.commands) check(cmd.name, cmd.location);
  }
}

const secretTokens = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/iu;
const allowedTokens = /(?:_|^)(?:public|file|version)(?:_|$)/iu;

/** BuildKit's SecretsUsedInArgOrEnv test for an ARG or ENV name. */
export function looksLikeSecret(key: string): boolean {
  return secretTokens.test(key) && !allowedTokens.test(key);
}

/**
 * The checks BuildKit makes while dispatching a stage that need nothing but the instructions:
 * LegacyKeyValueFormat (ENV, LABEL), SecretsUsedInArgOrEnv (ARG, ENV),
 * MultipleInstructionsDisallowed (CMD, ENTRYPOINT, HEALTHCHECK). Pass instructions after
 * expansion to check ENV names as BuildKit does.
 */
export function lintStage(commands: readonly Instruction[], linter: Linter): void {
  const last = new Map<string, Instruction>();
  for (const cmd of commands) {
    const l = linter.withComments(cmd.comments);
    switch (cmd.kind) {
      case 'env':
        for (const e of cmd.env) {
          if (e.noDelim) l.run(lintRules.legacyKeyValueFormat, cmd.location, lintMessages.legacyKeyValueFormat(cmd.name));
          if (looksLikeSecret(e.key)) {
            l.run(lintRules.secretsUsedInArgOrEnv, cmd.location, lintMessages.secretsUsedInArgOrEnv('ENV', e.key));
          }
        }
        break;
      case 'label':
        for (const kv of cmd.labels) {
          if (kv.noDelim) l.run(lintRules.legacyKeyValueFormat, cmd.location, lintMessages.legacyKeyValueFormat(cmd.name));
        }
        break;
      case 'arg':
        for (const a of cmd.args) {
          if (looksLikeSecret(a.key)) {
            l.run(lintRules.secretsUsedInArgOrEnv, cmd.location, lintMessages.secretsUsedInArgOrEnv('ARG', a.key));
          }
        }
        break;
      case 'cmd':
      case 'entrypoint':
      case 'healthcheck': {
        const prev = last.get(cmd.kind);
        // The earlier instruction is the one that has no effect, so it is reported.
        if (prev) l.run(lintRules.multipleInstructionsDisallowed, prev.location, lintMessages.multipleInstructionsDisallowed(cmd.name));
        last.set(cmd.kind, cmd);
        break;
      }
      default:
        break;
    }
  }
}
