// berth's Dockerfile frontend: parser, shell lexer, instruction model, expansion, build checks —
// behaving like BuildKit's (moby/buildkit frontend/dockerfile).

export { dumpNode, nodeArgs, type Heredoc, type Node } from './ast.js';
export { detectSyntax, parseDirective, DirectiveParser, type Directive, type DirectiveValue } from './directives.js';
export { DockerfileError, type LineRange } from './errors.js';
export {
  checkCopyFrom,
  expandInstruction,
  expandStage,
  resolveMetaArgs,
  type ExpandedStageBase,
  type Expansion,
} from './expand.js';
export { lintStage, looksLikeSecret, parseDockerfile, type Dockerfile, type ParseDockerfileOptions } from './frontend.js';
export { chompHeredocContent, heredocsFromLine, parseHeredoc } from './heredoc.js';
export {
  instructionNames,
  type AddInstruction,
  type ArgInstruction,
  type CmdInstruction,
  type CopyInstruction,
  type EntrypointInstruction,
  type EnvInstruction,
  type ExposeInstruction,
  type FromInstruction,
  type HealthConfig,
  type HealthcheckInstruction,
  type Instruction,
  type KeyValuePair,
  type KeyValuePairOptional,
  type LabelInstruction,
  type MaintainerInstruction,
  type NetworkMode,
  type OnbuildInstruction,
  type RunInstruction,
  type SecurityMode,
  type ShellDependantCmdLine,
  type ShellInlineFile,
  type ShellInstruction,
  type SourceContent,
  type SourcesAndDest,
  type Stage,
  type StopSignalInstruction,
  type UserInstruction,
  type VolumeInstruction,
  type WorkdirInstruction,
} from './instruction-types.js';
export { parseInstruction, parseOnbuildTrigger, parseStages, type ParsedStages, type ParseOptions } from './instructions.js';
export {
  defaultLintConfig,
  Linter,
  lintMessages,
  lintRules,
  parseLintOptions,
  type LintConfig,
  type LintRule,
  type LintWarning,
} from './lint.js';
export { parse, type ParseResult, type ParseWarning } from './parser.js';
export { parseDevice, type Device } from './run-device.js';
export { runCommandLine, type RunCommandLine } from './run-heredoc.js';
export { parseMount, type CacheSharing, type Mount, type MountType, type WordExpander } from './run-mount.js';
export {
  emptyEnv,
  envFromList,
  ShellLex,
  ShellLexError,
  toEnvGetter,
  type EnvGetter,
  type EnvSource,
  type ProcessWordResult,
} from './shell-lexer.js';
