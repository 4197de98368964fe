// Typed instructions from the syntax tree, as BuildKit's instructions.Parse builds them:
// per-instruction argument checks, flags, here-documents, stages split at FROM.

import { nodeArgs, type Node } from './ast.js';
import { BFlags } from './bflags.js';
import { DockerfileError, withLocation, type LineRange } from './errors.js';
import { parseDuration, parseInt10 } from './go-parse.js';
import { compareStrings, equalFold, quote, toLower, toUpper, trimSpace } from './go-text.js';
import { chompHeredocContent, mustParseHeredoc } from './heredoc.js';
import {
  instructionNames,
  type AddInstruction,
  type ArgInstruction,
  type CopyInstruction,
  type FromInstruction,
  type HealthConfig,
  type HealthcheckInstruction,
  type Instruction,
  type InstructionBase,
  type KeyValuePair,
  type KeyValuePairOptional,
  type NetworkMode,
  type OnbuildInstruction,
  type RunInstruction,
  type SecurityMode,
  type ShellDependantCmdLine,
  type ShellInstruction,
  type SourceContent,
  type SourcesAndDest,
  type Stage,
} from './instruction-types.js';
import { lintMessages, lintRules, type Linter } from './lint.js';
import { parse } from './parser.js';
import { parseDevice } from './run-device.js';
import { parseMount, type Mount } from './run-mount.js';
import { withSuggestion } from './suggest.js';

export interface ParseOptions {
  /** Receives build-check warnings raised while parsing (MAINTAINER, FROM casing, ...). */
  linter?: Linter;
}

interface Request {
  command: string;
  args: string[];
  node: Node;
  flags: BFlags;
  base: InstructionBase;
  json: boolean;
}

function errAtLeastOneArgument(cmd: string): Error {
  return new Error(`${cmd} requires at least one argument`);
}

function errExactlyOneArgument(cmd: string): Error {
  return new Error(`${cmd} requires exactly one argument`);
}

function errNoDestinationArgument(cmd: string): Error {
  return new Error(`${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`);
}

function parseKvps(args: string[], cmd: string): KeyValuePair[] {
  if (args.length === 0) throw errAtLeastOneArgument(cmd);
  if (args.length % 3 !== 0) throw new Error(`Bad input to ${cmd}, too many arguments`);
  const res: KeyValuePair[] = [];
  for (let j = 0; j < args.length; j += 3) {
    if (args[j].length === 0) throw new Error(`${cmd} names can not be blank`);
    res.push({ key: args[j], value: args[j + 1], noDelim: args[j + 2] === '' });
  }
  return res;
}

function getDocComment(comments: readonly string[], name: string): string {
  if (name === '') return '';
  for (const line of comments) {
    if (line.startsWith(name + ' ')) return line.slice(name.length + 1);
  }
  return '';
}

function handleJSONArgs(args: string[], json: boolean): string[] {
  if (args.length === 0) return [];
  if (json) return args;
  return [args.join(' ')];
}

function shellDependentCommand(req: Request): ShellDependantCmdLine {
  return {
    cmdLine: handleJSONArgs(req.args, req.json),
    files: req.node.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp })),
    prependShell: !req.json,
  };
}

function parseSourcesAndDest(req: Request, cmd: string): SourcesAndDest {
  const srcs = req.args.slice(0, -1);
  const dest = req.args[req.args.length - 1];
  if (mustParseHeredoc(dest)) throw new Error(`${cmd} cannot accept a heredoc as a destination`);
  const byName = new Map(req.node.heredocs.map((h) => [h.name, h] as const));
  const sourcePaths: string[] = [];
  const sourceContents: SourceContent[] = [];
  for (const src of srcs) {
    const heredoc = mustParseHeredoc(src);
    if (heredoc) {
      let data = byName.get(heredoc.name)?.content ?? '';
      if (heredoc.chomp) data = chompHeredocContent(data);
      sourceContents.push({ path: heredoc.name, data, expand: heredoc.expand });
    } else {
      sourcePaths.push(src);
    }
  }
  return { destPath: dest, sourcePaths, sourceContents };
}

const validStageName = /^[a-z][a-z0-9\-_.]*$/;

function parseBuildStageName(args: string[]): string {
  if (args.length === 3 && equalFold(args[1], 'as')) {
    const name = toLower(args[2]);
    if (!validStageName.test(name)) {
      throw new Error(`invalid name for build stage: ${quote(args[2])}, name can't start with a number or contain symbols`);
    }
    return name;
  }
  if (args.length !== 1) throw new Error('FROM requires either one or three arguments');
  return '';
}

function validateDefinitionDescription(
  instruction: string,
  keys: string[],
  comments: readonly string[],
  location: LineRange,
  linter: Linter | undefined,
): void {
  if (!linter || comments.length === 0 || keys.length === 0) return;
  const first = comments[comments.length - 1].split(' ')[0];
  if (keys.includes(first)) return;
  const example = keys.length > 1 ? '<arg_key>' : keys[0];
  linter.run(lintRules.invalidDefinitionDescription, location, lintMessages.invalidDefinitionDescription(instruction, example));
}

function parseFrom(req: Request, linter: Linter | undefined): FromInstruction {
  const { args, command } = req;
  if (linter) {
    if (args.length === 3 && args[2] !== toLower(args[2])) {
      linter.run(lintRules.stageNameCasing, req.base.location, lintMessages.stageNameCasing(args[2]));
    }
    if (args.length >= 3) {
      const lower = command === toLower(command);
      const upper = command === toUpper(command);
      const ok = (!lower && !upper) || (lower ? args[1] === toLower(args[1]) : args[1] === toUpper(args[1]));
      if (!ok) linter.run(lintRules.fromAsCasing, req.base.location, lintMessages.fromAsCasing(command, args[1]));
    }
  }
  const stageName = parseBuildStageName(args);
  const platform = req.flags.addString('platform', '');
  req.flags.parse();
  if (stageName !== '') validateDefinitionDescription('FROM', [stageName], req.node.prevComment, req.base.location, linter);
  return {
    ...req.base,
    kind: 'from',
    baseName: args[0],
    stageName,
    platform: platform.value,
    docComment: getDocComment(req.node.prevComment, stageName),
  };
}

function parseOnbuild(req: Request): OnbuildInstruction {
  if (req.args.length === 0) throw errAtLeastOneArgument('ONBUILD');
  req.flags.parse();
  const trigger = toUpper(trimSpace(req.args[0]));
  if (trigger === 'ONBUILD') throw new Error('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (trigger === 'MAINTAINER' || trigger === 'FROM') throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
  let expression = req.node.original.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, '');
  for (const h of req.node.heredocs) expression += '\n' + h.content + h.name;
  return { ...req.base, kind: 'onbuild', expression };
}

// time.Duration of a --interval style flag: 0 when empty; at least 1ms otherwise.
function parseOptInterval(name: string, value: string): number {
  if (value === '') return 0;
  const d = parseDuration(value);
  if (d === 0n) return 0;
  if (d < 1000000n) throw new Error(`Interval ${quote(name)} cannot be less than 1ms`);
  return Number(d);
}

function parseHealthcheck(req: Request): HealthcheckInstruction {
  if (req.args.length === 0) throw errAtLeastOneArgument('HEALTHCHECK');
  let typ = toUpper(req.args[0]);
  const args = req.args.slice(1);
  const health: HealthConfig = { test: [], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (typ === 'NONE') {
    if (args.length !== 0) throw new Error('HEALTHCHECK NONE takes no arguments');
    health.test = [typ];
    return { ...req.base, kind: 'healthcheck', health };
  }
  const interval = req.flags.addString('interval', '');
  const timeout = req.flags.addString('timeout', '');
  const startPeriod = req.flags.addString('start-period', '');
  const startInterval = req.flags.addString('start-interval', '');
  const retries = req.flags.addString('retries', '');
  req.flags.parse();
  if (typ !== 'CMD') throw new Error(`Unknown type ${quote(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = handleJSONArgs(args, req.json);
  if (cmd.length === 0) throw new Error('Missing command after HEALTHCHECK CMD');
  if (!req.json) typ = 'CMD-SHELL';
  health.test = [typ, ...cmd];
  health.interval = parseOptInterval(interval.name, interval.value);
  health.timeout = parseOptInterval(timeout.name, timeout.value);
  health.startPeriod = parseOptInterval(startPeriod.name, startPeriod.value);
  health.startInterval = parseOptInterval(startInterval.name, startInterval.value);
  if (retries.value !== '') {
    const n = parseInt10(retries.value, 32);
    if (n < 0n) throw new Error(`--retries cannot be negative (${n})`);
    health.retries = Number(n);
  }
  return { ...req.base, kind: 'healthcheck', health };
}

function parseRun(req: Request): RunInstruction {
  const device = req.flags.addStrings('device');
  const mount = req.flags.addStrings('mount');
  const network = req.flags.addString('network', 'default');
  const security = req.flags.addString('security', 'sandbox');
  req.flags.parse();
  const cmdline = shellDependentCommand(req);
  const devices = device.values.map(parseDevice);
  for (const spec of mount.values) parseMount(spec, null);
  if (!['default', 'none', 'host'].includes(network.value)) throw new Error(`invalid network mode ${quote(network.value)}`);
  if (!['sandbox', 'insecure'].includes(security.value)) throw new Error(`security ${quote(security.value)} is not valid`);
  return {
    ...req.base,
    kind: 'run',
    ...cmdline,
    mountSpecs: [...mount.values],
    mounts: literalMounts(mount.values),
    network: network.value as NetworkMode,
    security: security.value as SecurityMode,
    devices,
    flagsUsed: req.flags.usedNames(),
  };
}

function literalMounts(specs: readonly string[]): Mount[] | null {
  if (specs.some((s) => s.includes('$'))) return null;
  try {
    return specs.map((s) => parseMount(s, (w) => w));
  } catch {
    return null;
  }
}

function parseAdd(req: Request): AddInstruction {
  if (req.args.length < 2) throw errNoDestinationArgument('ADD');
  const chown = req.flags.addString('chown', '');
  const chmod = req.flags.addString('chmod', '');
  const link = req.flags.addBool('link', false);
  const keepGitDir = req.flags.addBool('keep-git-dir', false);
  const checksum = req.flags.addString('checksum', '');
  const unpack = req.flags.addBool('unpack', false);
  const exclude = req.flags.addStrings('exclude');
  req.flags.parse();
  const sd = parseSourcesAndDest(req, 'ADD');
  const add: AddInstruction = {
    ...req.base,
    kind: 'add',
    ...sd,
    chown: chown.value,
    chmod: chmod.value,
    link: link.value === 'true',
    excludePatterns: [...exclude.values],
    checksum: checksum.value,
  };
  if (req.flags.isUsed('keep-git-dir')) add.keepGitDir = keepGitDir.value === 'true';
  if (req.flags.isUsed('unpack')) add.unpack = unpack.value === 'true';
  return add;
}

function parseCopy(req: Request): CopyInstruction {
  if (req.args.length < 2) throw errNoDestinationArgument('COPY');
  const chown = req.flags.addString('chown', '');
  const from = req.flags.addString('from', '');
  const chmod = req.flags.addString('chmod', '');
  const link = req.flags.addBool('link', false);
  const exclude = req.flags.addStrings('exclude');
  const parents = req.flags.addBool('parents', false);
  req.flags.parse();
  return {
    ...req.base,
    kind: 'copy',
    ...parseSourcesAndDest(req, 'COPY'),
    from: from.value,
    chown: chown.value,
    chmod: chmod.value,
    link: link.value === 'true',
    excludePatterns: [...exclude.values],
    parents: parents.value === 'true',
  };
}

function parseArg(req: Request, linter: Linter | undefined): ArgInstruction {
  if (req.args.length < 1) throw errAtLeastOneArgument('ARG');
  const args = req.args.map((arg): KeyValuePairOptional => {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    if (eq >= 0 && key.length === 0) throw new Error('ARG names can not be blank');
    return {
      key,
      value: eq < 0 ? undefined : arg.slice(eq + 1),
      docComment: getDocComment(req.node.prevComment, key),
    };
  });
  validateDefinitionDescription('ARG', args.map((a) => a.key), req.node.prevComment, req.base.location, linter);
  return { ...req.base, kind: 'arg', args };
}

function parseShell(req: Request): ShellInstruction {
  req.flags.parse();
  const shell = handleJSONArgs(req.args, req.json);
  if (shell.length === 0) throw errAtLeastOneArgument('SHELL');
  if (!req.json) throw new Error('SHELL requires the arguments to be in JSON form');
  return { ...req.base, kind: 'shell', shell };
}

function exactlyOne(req: Request, cmd: string): string {
  if (req.args.length !== 1) throw errExactlyOneArgument(cmd);
  return req.args[0];
}

function dispatchInstruction(req: Request, linter: Linter | undefined): Instruction | FromInstruction | null {
  const { base } = req;
  switch (toLower(req.command)) {
    case 'env':
      req.flags.parse();
      return { ...base, kind: 'env', env: parseKvps(req.args, 'ENV') };
    case 'maintainer': {
      linter?.run(lintRules.maintainerDeprecated, base.location, lintMessages.maintainerDeprecated());
      const maintainer = exactlyOne(req, 'MAINTAINER');
      req.flags.parse();
      return { ...base, kind: 'maintainer', maintainer };
    }
    case 'label':
      req.flags.parse();
      return { ...base, kind: 'label', labels: parseKvps(req.args, 'LABEL') };
    case 'add':
      return parseAdd(req);
    case 'copy':
      return parseCopy(req);
    case 'from':
      return parseFrom(req, linter);
    case 'onbuild':
      return parseOnbuild(req);
    case 'workdir': {
      const path = exactlyOne(req, 'WORKDIR');
      req.flags.parse();
      return { ...base, kind: 'workdir', path };
    }
    case 'run':
      return parseRun(req);
    case 'cmd':
      req.flags.parse();
      return { ...base, kind: 'cmd', ...shellDependentCommand(req) };
    case 'healthcheck':
      return parseHealthcheck(req);
    case 'entrypoint': {
      req.flags.parse();
      const cmdline = shellDependentCommand(req);
      return { ...base, kind: 'entrypoint', ...cmdline, cmdLine: cmdline.cmdLine.length === 0 ? null : cmdline.cmdLine };
    }
    case 'expose': {
      if (req.args.length === 0) throw errAtLeastOneArgument('EXPOSE');
      req.flags.parse();
      return { ...base, kind: 'expose', ports: [...req.args].sort(compareStrings) };
    }
    case 'user': {
      const user = exactlyOne(req, 'USER');
      req.flags.parse();
      return { ...base, kind: 'user', user };
    }
    case 'volume': {
      if (req.args.length === 0) throw errAtLeastOneArgument('VOLUME');
      req.flags.parse();
      const volumes = req.args.map((v) => {
        v = trimSpace(v);
        if (v === '') throw new Error('VOLUME specified can not be an empty string');
        return v;
      });
      return { ...base, kind: 'volume', volumes };
    }
    case 'stopsignal':
      // BuildKit does not check flags on STOPSIGNAL (nor on ARG).
      return { ...base, kind: 'stopsignal', signal: exactlyOne(req, 'STOPSIGNAL') };
    case 'arg':
      return parseArg(req, linter);
    case 'shell':
      return parseShell(req);
  }
  return null;
}

/**
 * One instruction from its syntax node. Throws DockerfileError (message as BuildKit's, lines
 * in `location`) for invalid arguments, unknown flags and unknown instructions.
 */
export function parseInstruction(node: Node, options: ParseOptions = {}): Instruction | FromInstruction {
  const linter = options.linter?.withComments(node.prevComment);
  const location = { start: node.startLine, end: node.endLine };
  const req: Request = {
    command: node.value,
    args: nodeArgs(node),
    node,
    flags: new BFlags(node.flags),
    json: node.attributes.json === true,
    base: { name: node.value, code: trimSpace(node.original), location, comments: [...node.prevComment] },
  };
  let result: Instruction | FromInstruction | null;
  try {
    result = dispatchInstruction(req, linter);
  } catch (err) {
    throw withLocation(err, location.start, location.end);
  }
  if (!result) {
    const upper = instructionNames.map((n) => n.toUpperCase());
    throw new DockerfileError(withSuggestion(`unknown instruction: ${node.value}`, node.value, upper, false), location);
  }
  return result;
}

export interface ParsedStages {
  stages: Stage[];
  /** ARG instructions before the first FROM. */
  metaArgs: ArgInstruction[];
}

/**
 * Splits the instructions into stages. Errors read "dockerfile parse error on line N: ...",
 * like BuildKit's.
 */
export function parseStages(ast: Node, options: ParseOptions = {}): ParsedStages {
  const stages: Stage[] = [];
  const metaArgs: ArgInstruction[] = [];
  for (const node of ast.children) {
    let instr: Instruction | FromInstruction;
    try {
      instr = parseInstruction(node, options);
    } catch (err) {
      const e = withLocation(err, node.startLine, node.endLine);
      throw new DockerfileError(`dockerfile parse error on line ${node.startLine}: ${e.message}`, e.location, { cause: e });
    }
    if (instr.kind === 'from') {
      stages.push({
        name: instr.stageName,
        commands: [],
        origCmd: instr.name,
        baseName: instr.baseName,
        platform: instr.platform,
        docComment: instr.docComment,
        sourceCode: instr.code,
        location: instr.location,
        comments: instr.comments,
      });
      continue;
    }
    if (stages.length === 0) {
      if (instr.kind === 'arg') {
        metaArgs.push(instr);
        continue;
      }
      throw new DockerfileError('no build stage in current context', instr.location);
    }
    stages[stages.length - 1].commands.push(instr);
  }
  return { stages, metaArgs };
}

/**
 * An ONBUILD trigger of a base image (its `expression`), parsed as the instruction it runs
 * as in the child build; `location` is that of the child's FROM, as in BuildKit.
 */
export function parseOnbuildTrigger(trigger: string, location: LineRange, options: ParseOptions = {}): Instruction {
  const { ast } = parse(trigger);
  if (ast.children.length !== 1) throw new DockerfileError('onbuild trigger should be a single expression', location);
  const node = { ...ast.children[0], startLine: location.start, endLine: location.end };
  const instr = parseInstruction(node, options);
  if (instr.kind === 'from') throw new DockerfileError('*instructions.Stage is not a command type', location);
  return instr;
}
