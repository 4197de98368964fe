// Build checks (BuildKit's linter): rule definitions, the `# check=` configuration, and a
// Linter that filters and reports warnings.

import type { LineRange } from './errors.js';
import { parseBool } from './go-parse.js';
import { DirectiveParser } from './directives.js';
import { quote, trimSpace } from './go-text.js';

export interface LintRule {
  name: string;
  description: string;
  url: string;
  experimental?: boolean;
}

const docs = 'https://docs.docker.com/go/dockerfile/rule/';

function rule(name: string, slug: string, description: string, experimental = false): LintRule {
  return { name, description, url: slug ? docs + slug + '/' : '', ...(experimental ? { experimental } : {}) };
}

/** BuildKit's build check rules (those that berth's frontend and builder can report). */
export const lintRules = {
  stageNameCasing: rule('StageNameCasing', 'stage-name-casing', 'Stage names should be lowercase'),
  fromAsCasing: rule('FromAsCasing', 'from-as-casing', "The 'as' keyword should match the case of the 'from' keyword"),
  noEmptyContinuation: rule(
    'NoEmptyContinuation',
    'no-empty-continuation',
    'Empty continuation lines will become errors in a future release',
  ),
  consistentInstructionCasing: rule(
    'ConsistentInstructionCasing',
    'consistent-instruction-casing',
    'All commands within the Dockerfile should use the same casing (either upper or lower)',
  ),
  duplicateStageName: rule('DuplicateStageName', 'duplicate-stage-name', 'Stage names should be unique'),
  reservedStageName: rule('ReservedStageName', 'reserved-stage-name', 'Reserved words should not be used as stage names'),
  jsonArgsRecommended: rule(
    'JSONArgsRecommended',
    'json-args-recommended',
    'JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals',
  ),
  maintainerDeprecated: rule(
    'MaintainerDeprecated',
    'maintainer-deprecated',
    'The MAINTAINER instruction is deprecated, use a label instead to define an image author',
  ),
  undefinedArgInFrom: rule('UndefinedArgInFrom', 'undefined-arg-in-from', 'FROM command must use declared ARGs'),
  workdirRelativePath: rule(
    'WorkdirRelativePath',
    'workdir-relative-path',
    'Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes',
  ),
  undefinedVar: rule('UndefinedVar', 'undefined-var', 'Variables should be defined before their use'),
  multipleInstructionsDisallowed: rule(
    'MultipleInstructionsDisallowed',
    'multiple-instructions-disallowed',
    'Multiple instructions of the same type should not be used in the same stage',
  ),
  legacyKeyValueFormat: rule(
    'LegacyKeyValueFormat',
    'legacy-key-value-format',
    'Legacy key/value format with whitespace separator should not be used',
  ),
  invalidBaseImagePlatform: rule('InvalidBaseImagePlatform', '', 'Base image platform does not match expected target platform'),
  redundantTargetPlatform: rule(
    'RedundantTargetPlatform',
    'redundant-target-platform',
    'Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior',
  ),
  secretsUsedInArgOrEnv: rule(
    'SecretsUsedInArgOrEnv',
    'secrets-used-in-arg-or-env',
    'Sensitive data should not be used in the ARG or ENV commands',
  ),
  invalidDefaultArgInFrom: rule(
    'InvalidDefaultArgInFrom',
    'invalid-default-arg-in-from',
    'Default value for global ARG results in an empty or invalid base image name',
  ),
  fromPlatformFlagConstDisallowed: rule(
    'FromPlatformFlagConstDisallowed',
    'from-platform-flag-const-disallowed',
    'FROM --platform flag should not use a constant value',
  ),
  copyIgnoredFile: rule('CopyIgnoredFile', 'copy-ignored-file', 'Attempting to Copy file that is excluded by .dockerignore'),
  invalidDefinitionDescription: rule(
    'InvalidDefinitionDescription',
    'invalid-definition-description',
    'Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.',
    true,
  ),
  exposeProtoCasing: rule('ExposeProtoCasing', 'expose-proto-casing', 'Protocol in EXPOSE instruction should be lowercase'),
  exposeInvalidFormat: rule(
    'ExposeInvalidFormat',
    'expose-invalid-format',
    'IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release',
  ),
} as const;

/** The messages BuildKit formats for each rule. */
export const lintMessages = {
  stageNameCasing: (stage: string) => `Stage name '${stage}' should be lowercase`,
  fromAsCasing: (from: string, as: string) => `'${as}' and '${from}' keywords' casing do not match`,
  noEmptyContinuation: () => 'Empty continuation line',
  consistentInstructionCasing: (cmd: string, casing: string) =>
    `Command '${cmd}' should match the case of the command majority (${casing})`,
  duplicateStageName: (stage: string) => `Duplicate stage name ${quote(stage)}, stage names should be unique`,
  reservedStageName: (stage: string) => `Stage name should not use the same name as reserved stage ${quote(stage)}`,
  jsonArgsRecommended: (instruction: string) =>
    `JSON arguments recommended for ${instruction} to prevent unintended behavior related to OS signals`,
  maintainerDeprecated: () => 'Maintainer instruction is deprecated in favor of using label',
  undefinedArgInFrom: (arg: string, suggestion: string) =>
    `FROM argument '${arg}' is not declared` + (suggestion ? ` (did you mean ${suggestion}?)` : ''),
  workdirRelativePath: (workdir: string) => `Relative workdir ${quote(workdir)} can have unexpected results if the base image changes`,
  undefinedVar: (name: string, suggestion: string) =>
    `Usage of undefined variable '$${name}'` + (suggestion ? ` (did you mean $${suggestion}?)` : ''),
  multipleInstructionsDisallowed: (instruction: string) =>
    `Multiple ${instruction} instructions should not be used in the same stage because only the last one will be used`,
  legacyKeyValueFormat: (cmd: string) => `"${cmd} key=value" should be used instead of legacy "${cmd} key value" format`,
  secretsUsedInArgOrEnv: (instruction: string, key: string) =>
    `Do not use ARG or ENV instructions for sensitive data (${instruction} ${quote(key)})`,
  invalidDefaultArgInFrom: (baseName: string) => `Default value for ARG ${baseName} results in empty or invalid base image name`,
  fromPlatformFlagConstDisallowed: (platform: string) => `FROM --platform flag should not use constant value ${quote(platform)}`,
  copyIgnoredFile: (cmd: string, file: string) => `Attempting to ${cmd} file ${quote(file)} that is excluded by .dockerignore`,
  invalidDefinitionDescription: (instruction: string, name: string) =>
    `Comment for ${instruction} should follow the format: \`# ${name} <description>\``,
  exposeProtoCasing: (port: string) => `Defined protocol '${port}' in EXPOSE instruction should be lowercase`,
  exposeInvalidFormat: (port: string) =>
    `EXPOSE instruction should not define an IP address or host-port mapping, found '${port}'`,
} as const;

export interface LintWarning {
  rule: string;
  description: string;
  url: string;
  message: string;
  location: LineRange;
}

/** What `# check=skip=...;error=...;experimental=...` configures. */
export interface LintConfig {
  skipAll: boolean;
  skipRules: string[];
  experimentalAll: boolean;
  experimentalRules: string[];
  /** error=true: warnings fail the build. */
  returnAsError: boolean;
}

export function defaultLintConfig(): LintConfig {
  return { skipAll: false, skipRules: [], experimentalAll: false, experimentalRules: [], returnAsError: false };
}

/** Parses the value of a `# check=` directive. */
export function parseLintOptions(checkStr: string): LintConfig {
  const config = defaultLintConfig();
  checkStr = trimSpace(checkStr);
  if (checkStr === '') return config;
  const parts = checkStr.split(';');
  // strings.SplitN(s, ";", 3): the third part keeps any further ';'.
  const limited = parts.length > 3 ? [parts[0], parts[1], parts.slice(2).join(';')] : parts;
  for (const p of limited) {
    const eq = p.indexOf('=');
    if (eq < 0) throw new Error(`invalid check option ${quote(p)}`);
    const k = trimSpace(p.slice(0, eq));
    const v = trimSpace(p.slice(eq + 1));
    switch (k) {
      case 'skip':
        if (v === 'all') config.skipAll = true;
        else config.skipRules = v.split(',').map(trimSpace);
        break;
      case 'experimental':
        if (v === 'all') config.experimentalAll = true;
        else config.experimentalRules = v.split(',').map(trimSpace);
        break;
      case 'error':
        try {
          config.returnAsError = parseBool(v);
        } catch (err) {
          throw new Error(`failed to parse check option ${quote(p)}: ${(err as Error).message}`, { cause: err });
        }
        break;
      default:
        throw new Error(`invalid check option ${quote(k)}`);
    }
  }
  return config;
}

/** Reports warnings through `warn`, honoring skipped and experimental rules. */
export class Linter {
  private readonly called: string[];

  constructor(
    readonly config: LintConfig,
    private readonly warn: (w: LintWarning) => void,
    called?: string[],
  ) {
    this.called = called ?? [];
  }

  run(rule: LintRule, location: LineRange, message?: string): void {
    if (rule.experimental) {
      if (!this.config.experimentalAll && !this.config.experimentalRules.includes(rule.name)) return;
    } else if (this.config.skipAll || this.config.skipRules.includes(rule.name)) {
      return;
    }
    this.called.push(rule.name);
    this.warn({
      rule: rule.name,
      description: rule.description,
      url: rule.url,
      message: message ?? rule.description,
      location: { ...location },
    });
  }

  /** This linter with a `# check=` comment (among an instruction's comments) merged in. */
  withComments(comments: readonly string[]): Linter {
    for (const comment of comments) {
      let d;
      try {
        d = new DirectiveParser(0, '').parseLine(comment);
      } catch {
        continue;
      }
      if (!d || d.name !== 'check') continue;
      const sp = d.value.indexOf(' ');
      let extra: LintConfig;
      try {
        extra = parseLintOptions(sp < 0 ? d.value : d.value.slice(0, sp));
      } catch {
        return this;
      }
      const c = this.config;
      return new Linter(
        {
          skipAll: c.skipAll || extra.skipAll,
          skipRules: [...c.skipRules, ...extra.skipRules],
          experimentalAll: c.experimentalAll || extra.experimentalAll,
          experimentalRules: [...c.experimentalRules, ...extra.experimentalRules],
          returnAsError: c.returnAsError,
        },
        this.warn,
        this.called,
      );
    }
    return this;
  }

  /** With error=true, the error to fail the build with when any rule fired. */
  error(): Error | null {
    if (!this.config.returnAsError || this.called.length === 0) return null;
    return new Error(`lint violation found for rules: ${[...new Set(this.called)].join(', ')}`);
  }
}
