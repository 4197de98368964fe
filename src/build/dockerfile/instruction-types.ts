// The typed instructions of a Dockerfile (BuildKit's instructions package data model).

import type { LineRange } from './errors.js';
import type { Device } from './run-device.js';
import type { Mount } from './run-mount.js';

export interface InstructionBase {
  /** The keyword as written ("RUN", "run", ...). */
  name: string;
  /** The instruction's source text (continuation lines joined), trimmed. */
  code: string;
  location: LineRange;
  /** Comment lines directly above the instruction. */
  comments: string[];
}

export interface KeyValuePair {
  key: string;
  value: string;
  /** Written in the legacy `KEY value` form. */
  noDelim: boolean;
}

export interface KeyValuePairOptional {
  key: string;
  /** undefined: declared without a default. */
  value: string | undefined;
  /** Text of a `# NAME description` comment above the ARG. */
  docComment: string;
}

/** A COPY/ADD source given inline as a here-document. */
export interface SourceContent {
  /** The here-document name, used as file name. */
  path: string;
  data: string;
  /** Whether variables in data are to be expanded (unquoted delimiter). */
  expand: boolean;
}

export interface SourcesAndDest {
  destPath: string;
  sourcePaths: string[];
  sourceContents: SourceContent[];
}

/** A RUN/CMD/ENTRYPOINT here-document. */
export interface ShellInlineFile {
  name: string;
  data: string;
  chomp: boolean;
}

/** Exec form (`prependShell: false`, one argument per word) or shell form (one string). */
export interface ShellDependantCmdLine {
  cmdLine: string[];
  files: ShellInlineFile[];
  prependShell: boolean;
}

export interface HealthConfig {
  /** ["NONE"], ["CMD", ...args] or ["CMD-SHELL", command]. */
  test: string[];
  /** Durations in nanoseconds; 0 means the default. */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

export interface FromInstruction extends InstructionBase {
  kind: 'from';
  baseName: string;
  /** Lower-cased `AS` name, '' when unnamed. */
  stageName: string;
  platform: string;
  docComment: string;
}

export interface EnvInstruction extends InstructionBase {
  kind: 'env';
  env: KeyValuePair[];
}

export interface LabelInstruction extends InstructionBase {
  kind: 'label';
  labels: KeyValuePair[];
}

export interface MaintainerInstruction extends InstructionBase {
  kind: 'maintainer';
  maintainer: string;
}

export interface AddInstruction extends InstructionBase, SourcesAndDest {
  kind: 'add';
  chown: string;
  chmod: string;
  link: boolean;
  excludePatterns: string[];
  /** Only when --keep-git-dir was given. */
  keepGitDir?: boolean;
  checksum: string;
  /** Only when --unpack was given. */
  unpack?: boolean;
}

export interface CopyInstruction extends InstructionBase, SourcesAndDest {
  kind: 'copy';
  from: string;
  chown: string;
  chmod: string;
  link: boolean;
  excludePatterns: string[];
  parents: boolean;
}

export interface OnbuildInstruction extends InstructionBase {
  kind: 'onbuild';
  /** The trigger instruction's text (with its here-documents appended). */
  expression: string;
}

export interface WorkdirInstruction extends InstructionBase {
  kind: 'workdir';
  path: string;
}

export interface RunInstruction extends InstructionBase, ShellDependantCmdLine {
  kind: 'run';
  /** The --mount values as written. */
  mountSpecs: string[];
  /**
   * The mounts, when they do not depend on variables (no '$' in any --mount) and are valid;
   * otherwise null until expandInstruction evaluates them at build time, as BuildKit does.
   */
  mounts: Mount[] | null;
  network: NetworkMode;
  security: SecurityMode;
  devices: Device[];
  /** Names of the flags given. */
  flagsUsed: string[];
}

export interface CmdInstruction extends InstructionBase, ShellDependantCmdLine {
  kind: 'cmd';
}

export interface EntrypointInstruction extends InstructionBase, Omit<ShellDependantCmdLine, 'cmdLine'> {
  kind: 'entrypoint';
  /** null for `ENTRYPOINT []` (which clears the entrypoint). */
  cmdLine: string[] | null;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: 'healthcheck';
  health: HealthConfig;
}

export interface ExposeInstruction extends InstructionBase {
  kind: 'expose';
  /** Sorted; still to be expanded and validated (expandInstruction). */
  ports: string[];
}

export interface UserInstruction extends InstructionBase {
  kind: 'user';
  user: string;
}

export interface VolumeInstruction extends InstructionBase {
  kind: 'volume';
  volumes: string[];
}

export interface StopSignalInstruction extends InstructionBase {
  kind: 'stopsignal';
  signal: string;
}

export interface ArgInstruction extends InstructionBase {
  kind: 'arg';
  args: KeyValuePairOptional[];
}

export interface ShellInstruction extends InstructionBase {
  kind: 'shell';
  shell: string[];
}

/** Any instruction that can appear inside a stage. */
export type Instruction =
  | EnvInstruction
  | LabelInstruction
  | MaintainerInstruction
  | AddInstruction
  | CopyInstruction
  | OnbuildInstruction
  | WorkdirInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | HealthcheckInstruction
  | ExposeInstruction
  | UserInstruction
  | VolumeInstruction
  | StopSignalInstruction
  | ArgInstruction
  | ShellInstruction;

/** A build stage: a FROM and the instructions up to the next FROM. */
export interface Stage {
  /** Lower-cased AS name, '' when unnamed. */
  name: string;
  commands: Instruction[];
  /** FROM keyword as written. */
  origCmd: string;
  /** Image reference, stage name or variable expression to build on. */
  baseName: string;
  /** --platform value as written ('' when absent). */
  platform: string;
  docComment: string;
  /** The FROM line's source text. */
  sourceCode: string;
  location: LineRange;
  comments: string[];
}

/** Every Dockerfile instruction keyword. */
export const instructionNames = [
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label',
  'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
] as const;
