import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { EngineCore } from './engine.js';
import type { Store, Lease, NewLayer } from '../store/store.js';
import { BuildCache } from './build-cache.js';
import { readImageConfig } from './image-config.js';
import { lookupImage } from './resolve.js';
import { parseTagTarget } from './refs.js';
import { commitImages } from './commit-images.js';
import { imageEvent } from './events.js';
import { pullImage } from './pull.js';
import { nowRfc3339Nano } from './import.js';
import { checkEmulation, runStep, type RunMountSpec } from './build-run.js';
import type { CacheSeed } from '../store/cache-mounts.js';
import { goContainerConfig } from '../transport/v1-id.js';
import { LayerAnalyzer } from '../transport/layer-analysis.js';
import { goMarshal } from '../image/gojson.js';
import { MediaType } from '../image/mediatypes.js';
import { BerthError, invalidArgument, notFound } from '../image/errors.js';
import { defaultPlatform, formatPlatform, parsePlatform } from '../image/platform.js';
import type { Digest } from '../image/digest.js';
import type { ContainerConfig, HistoryEntry, ImageConfig, Platform } from '../image/types.js';
import { layerFromEntries, type LayerEntry } from '../archive/layer-writer.js';
import { extractTar } from '../archive/extract.js';
import { applyInstruction, type ApplyState } from '../build/apply-config.js';
import type { BuildContext } from '../build/context.js';
import { cloneGit, isGitUrl } from '../build/context.js';
import { DirIndex } from '../build/dir-index.js';
import { FsIndex } from '../build/fs-index.js';
import { goClean } from '../build/ignore.js';
import { resolveInIndex, matchSources, planLayer, parseChmod, sourcesDigest, type CopySpec, type InlineFile, type Owner, type SourceItem } from '../build/copy.js';
import {
  checkCopyFrom,
  DockerfileError,
  expandInstruction,
  expandStage,
  parseDockerfile,
  parseInstruction,
  parse as parseDockerfileText,
  resolveMetaArgs,
  runCommandLine,
  ShellLex,
  toEnvGetter,
  type Dockerfile,
  type Instruction,
  type Mount,
  type Stage,
} from '../build/dockerfile/index.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_SHELL = ['/bin/sh', '-c'];
const CACHE_VERSION = 'berth-build-1';
const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export interface BuildSecret {
  id: string;
  src?: string;
  env?: string;
}

export interface BuildOptions {
  context: BuildContext;
  buildArgs?: Map<string, string>;
  target?: string;
  labels?: Record<string, string>;
  noCache?: boolean;
  pull?: boolean;
  platform?: Platform;
  network?: 'default' | 'none' | 'host';
  addHosts?: string[];
  secrets?: BuildSecret[];
  /** Do not record intermediate images (each step's result) as images. */
  noParent?: boolean;
  /** Step output, line by line, in the classic builder's format. */
  out?: (text: string) => void;
}

export interface BuiltImage {
  id: Digest;
  config: ImageConfig;
  layers: NewLayer[];
  platform: Platform;
}

/** The image a stage is at: its config (parsed) and layers; id null before anything (scratch). */
interface ImageState {
  id: Digest | null;
  config: ImageConfig;
  layers: NewLayer[];
}

interface StageRun {
  index: number;
  stage: Stage;
  deps: Set<number>;
  firstStep: number;
  steps: number;
  promise?: Promise<ImageState>;
  lines: string[];
  done: boolean;
}

const short = (id: string | null) => (id ? id.replace(/^sha256:/, '').slice(0, 12) : '');
const randomId = () => randomBytes(32).toString('hex');

/** Prints each stage's lines in Dockerfile order while stages build in parallel. */
class OrderedOutput {
  private head = 0;
  constructor(
    private readonly runs: StageRun[],
    private readonly sink: (text: string) => void,
  ) {}
  line(run: StageRun, text: string): void {
    if (this.runs[this.head] === run) this.sink(text);
    else run.lines.push(text);
  }
  finished(run: StageRun): void {
    run.done = true;
    while (this.head < this.runs.length && this.runs[this.head]!.done) {
      this.head++;
      const next = this.runs[this.head];
      if (next) {
        for (const l of next.lines) this.sink(l);
        next.lines = [];
      }
    }
  }
}

function platformArgs(target: Platform, build: Platform): Map<string, string> {
  const m = new Map<string, string>();
  const set = (prefix: string, p: Platform) => {
    m.set(`${prefix}PLATFORM`, formatPlatform(p));
    m.set(`${prefix}OS`, p.os);
    m.set(`${prefix}ARCH`, p.architecture);
    m.set(`${prefix}VARIANT`, p.variant ?? '');
  };
  set('TARGET', target);
  set('BUILD', build);
  return m;
}

/** Go's %q of a []string, as the classic builder writes CMD/ENTRYPOINT in history. */
function goQuoteList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Go's time.Duration.String for nanoseconds. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  const frac = (v: number, digits: number) => {
    const whole = Math.floor(v / 10 ** digits);
    const f = (v % 10 ** digits).toString().padStart(digits, '0').replace(/0+$/, '');
    return f ? `${whole}.${f}` : `${whole}`;
  };
  if (n < 1000) out = `${n}ns`;
  else if (n < 1e6) out = `${frac(n, 3)}µs`;
  else if (n < 1e9) out = `${frac(n, 6)}ms`;
  else {
    const h = Math.floor(n / 3.6e12);
    n -= h * 3.6e12;
    const m = Math.floor(n / 6e10);
    n -= m * 6e10;
    const sec = `${frac(n, 9)}s`;
    out = h ? `${h}h${m}m${sec}` : m ? `${m}m${sec}` : sec;
  }
  return neg ? '-' + out : out;
}

/** Go's %q of an int: strconv.QuoteRune. */
function goQuoteRune(r: number): string {
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };
  if (named[r]) return `'${named[r]}'`;
  if (r < 32 || r === 127) return `'\\x${r.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCodePoint(r)}'`;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function envMap(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

export class StepFailed extends BerthError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super('internal', message);
  }
}

/** A parse error as the classic builder reports it: "Dockerfile parse error line N: ...". */
function parseError(err: unknown): BerthError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/parse error/i.test(msg)) return invalidArgument(msg, err);
  const loc = err instanceof DockerfileError ? err.location : undefined;
  return invalidArgument(loc ? `Dockerfile parse error line ${loc.start}: ${msg}` : `Dockerfile parse error: ${msg}`, err);
}

/** A Dockerfile error with the line it happened at. */
function atLine(err: unknown, loc: { start: number; end: number } | undefined, dockerfileName: string): Error {
  if (err instanceof StepFailed) return err;
  if (err instanceof DockerfileError) return parseError(err);
  if (!loc || !(err instanceof BerthError) || (err as { located?: boolean }).located) return err as Error;
  const e = new BerthError(err.kind, `${err.message} (${dockerfileName}:${loc.start})`, { cause: err });
  (e as { located?: boolean }).located = true;
  return e;
}


/**
 * One build of one platform: stages as a graph (independent ones in parallel, unused ones
 * skipped), each step cached by content, each step's result an image whose parent is the
 * previous step's (unless noParent). Everything written is held by `lease` until the caller's
 * final transaction.
 */
export class Builder {
  private readonly store: Store;
  private readonly cache: BuildCache;
  private readonly hashes;
  private readonly out: (text: string) => void;
  private readonly platform: Platform;
  private readonly buildPlatform: Platform;
  private readonly df: Dockerfile;
  private readonly lex: ShellLex;
  private readonly buildArgs: Map<string, string>;
  private readonly usedArgs = new Set<string>();
  private readonly temps: string[] = [];
  private contextIndex: DirIndex | undefined;
  private readonly fsIndexes = new Map<string, Promise<FsIndex>>();
  private readonly materialized = new Map<string, Promise<DirIndex>>();
  private readonly filteredDirs = new Map<string, string>();
  private runs: StageRun[] = [];
  /** Cache entries this build hit or recorded (what --cache-to exports). */
  readonly usedCache: { key: string; imageId: Digest; layers: NewLayer[]; description: string }[] = [];
  private total = 0;

  constructor(
    private readonly engine: EngineCore,
    private readonly lease: Lease,
    private readonly opts: BuildOptions,
  ) {
    this.store = engine.store;
    this.cache = new BuildCache(this.store);
    this.hashes = this.cache.fileHashes();
    this.out = opts.out ?? (() => undefined);
    this.buildPlatform = defaultPlatform();
    this.platform = opts.platform ?? this.buildPlatform;
    this.buildArgs = opts.buildArgs ?? new Map();
    try {
      this.df = parseDockerfile(opts.context.dockerfile);
    } catch (err) {
      throw parseError(err);
    }
    this.lex = this.df.lexer();
  }

  dispose(): void {
    this.hashes.flush();
    for (const t of this.temps.splice(0)) {
      try {
        this.store.scratch.remove(t);
      } catch {
        // Busy: the collector removes it once the build's lease is gone.
      }
    }
  }

  /** A directory in the build's scratch space (named after its lease, so never left behind). */
  private tempDir(prefix: string): string {
    const d = this.store.scratch.create(this.lease, prefix);
    this.temps.push(d);
    return d;
  }

  /** Builds the target stage; returns its image. */
  async build(): Promise<BuiltImage> {
    const stages = this.df.stages;
    if (stages.length === 0) throw invalidArgument('the Dockerfile has no FROM instruction: file with no instructions');
    const globals = resolveMetaArgs(this.df.metaArgs, this.lex, platformArgs(this.platform, this.buildPlatform), this.buildArgs);
    for (const m of this.df.metaArgs) for (const a of m.args) this.usedArgs.add(a.key);

    let targetIndex = stages.length - 1;
    if (this.opts.target) {
      const t = this.opts.target.toLowerCase();
      targetIndex = stages.findIndex((s) => s.name === t);
      if (targetIndex < 0) throw invalidArgument(`failed to reach build target ${this.opts.target} in Dockerfile`);
    }
    const byName = new Map<string, number>();
    const runsAll: StageRun[] = stages.map((stage, index) => ({ index, stage, deps: new Set(), firstStep: 0, steps: 0, lines: [], done: false }));
    const resolveStageRef = (ref: string, before: number): number | undefined => {
      const n = byName.get(ref.toLowerCase());
      if (n !== undefined && n < before) return n;
      if (/^\d+$/.test(ref) && Number(ref) < before) return Number(ref);
      return undefined;
    };
    const bases: string[] = [];
    const platforms: string[] = [];
    stages.forEach((stage, i) => {
      let base;
      try {
        base = expandStage(stage, this.lex, globals);
      } catch (err) {
        throw atLine(err, stage.location, this.opts.context.dockerfileName);
      }
      bases.push(base.baseName);
      platforms.push(base.platform);
      const dep = resolveStageRef(base.baseName, i);
      if (dep !== undefined) runsAll[i]!.deps.add(dep);
      for (const c of stage.commands) {
        if (c.kind === 'copy' && c.from) {
          checkCopyFrom(c, this.lex);
          const d = resolveStageRef(c.from, i);
          if (d !== undefined) runsAll[i]!.deps.add(d);
          else if (byName.has(c.from.toLowerCase()) || c.from.toLowerCase() === stage.name) {
            throw atLine(invalidArgument(`circular dependency detected on stage: ${c.from}`), c.location, this.opts.context.dockerfileName);
          }
        }
        if (c.kind === 'run') {
          for (const spec of c.mountSpecs) {
            const m = /(?:^|,)from=([^,]+)/.exec(spec);
            const d = m ? resolveStageRef(m[1]!, i) : undefined;
            if (d !== undefined) runsAll[i]!.deps.add(d);
          }
        }
      }
      if (stage.name) byName.set(stage.name, i);
    });
    const needed = new Set<number>();
    const visit = (i: number) => {
      if (needed.has(i)) return;
      needed.add(i);
      for (const d of runsAll[i]!.deps) visit(d);
    };
    visit(targetIndex);
    this.runs = runsAll.filter((r) => needed.has(r.index));
    let step = 1;
    for (const r of this.runs) {
      r.firstStep = step;
      r.steps = 1 + r.stage.commands.length + (r.index === targetIndex ? this.labelInstructions().length : 0);
      step += r.steps;
    }
    this.total = step - 1;
    const output = new OrderedOutput(this.runs, this.out);
    const byIndex = new Map(this.runs.map((r) => [r.index, r]));
    const start = (r: StageRun): Promise<ImageState> => {
      r.promise ??= (async () => {
        try {
          return await this.runStage(r, bases[r.index]!, platforms[r.index]!, globals, (t) => output.line(r, t), (i) => start(byIndex.get(i)!), resolveStageRef);
        } finally {
          output.finished(r);
        }
      })();
      return r.promise;
    };
    const all = this.runs.map((r) => start(r));
    // Every needed stage runs; the first failure is the build's.
    const settled = await Promise.allSettled(all);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const result = (settled[this.runs.findIndex((r) => r.index === targetIndex)] as PromiseFulfilledResult<ImageState>).value;
    const unused = [...this.buildArgs.keys()].filter((k) => !this.usedArgs.has(k) && !PROXY_ARGS.includes(k));
    if (unused.length) this.out(`[Warning] One or more build-args [${unused.sort().join(' ')}] were not consumed`);
    if (!result.id) throw invalidArgument('no image was built: the target stage has no instructions and a scratch base');
    return { id: result.id, config: result.config, layers: result.layers, platform: this.platform };
  }

  /** --label: one LABEL step per key, sorted, at the end of the target stage (as the classic builder adds them). */
  private labelInstructions(): Instruction[] {
    const labels = this.opts.labels ?? {};
    return Object.keys(labels)
      .sort()
      .map((k) => {
        const node = parseDockerfileText(`LABEL ${JSON.stringify(k)}=${JSON.stringify(labels[k])}`).ast.children[0]!;
        const instr = parseInstruction(node) as Instruction;
        instr.code = `LABEL ${k}=${labels[k]}`;
        return instr;
      });
  }

  private async runStage(
    run: StageRun,
    baseName: string,
    platformSpec: string,
    globals: Map<string, string>,
    print: (t: string) => void,
    stageResult: (i: number) => Promise<ImageState>,
    resolveStageRef: (ref: string, before: number) => number | undefined,
  ): Promise<ImageState> {
    const stage = run.stage;
    let stepNo = run.firstStep;
    const dfName = this.opts.context.dockerfileName;
    print(`Step ${stepNo++}/${this.total} : ${stage.sourceCode}`);
    const platform = platformSpec ? parsePlatform(platformSpec) : this.platform;
    let state: ImageState;
    const dep = resolveStageRef(baseName, run.index);
    try {
      if (dep !== undefined) state = await stageResult(dep);
      else if (baseName.toLowerCase() === 'scratch') state = this.scratch(platform);
      else state = await this.baseImage(baseName, platform);
    } catch (err) {
      throw atLine(err, stage.location, dfName);
    }
    const cfg = structuredClone(state.config.config ?? {}) as ContainerConfig;
    if (!envMap(cfg.Env ?? []).has('PATH')) cfg.Env = [...(cfg.Env ?? []), `PATH=${DEFAULT_PATH}`];
    state = { ...state, config: { ...state.config, config: cfg } };
    print(` ---> ${short(state.id)}`);
    const ctx: StepCtx = {
      run,
      print,
      platform,
      args: new Map(),
      globals,
      fs: undefined,
      applyState: { cmdSet: false },
      stageResult,
      resolveStageRef,
    };
    const triggers = state.config.config?.OnBuild ?? [];
    if (triggers.length) {
      print(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}`);
      const cleared = structuredClone(state.config);
      cleared.config = { ...cleared.config, OnBuild: null };
      state = { ...state, config: cleared };
      for (const t of triggers) {
        const ast = parseDockerfileText(t).ast;
        for (const node of ast.children) {
          let instr: Instruction;
          try {
            instr = parseInstruction(node) as Instruction;
          } catch (err) {
            throw atLine(invalidArgument((err as Error).message, err), stage.location, dfName);
          }
          state = await this.step(ctx, state, instr);
        }
      }
    }
    const commands = [...stage.commands];
    if (run.steps > 1 + stage.commands.length) commands.push(...this.labelInstructions());
    for (const instr of commands) {
      print(`Step ${stepNo++}/${this.total} : ${instr.code}`);
      try {
        state = await this.step(ctx, state, instr);
      } catch (err) {
        throw atLine(err, instr.location, dfName);
      }
    }
    return state;
  }

  private scratch(platform: Platform): ImageState {
    const config: ImageConfig = { architecture: platform.architecture, os: platform.os, rootfs: { type: 'layers', diff_ids: [] }, config: {} };
    if (platform.variant) config.variant = platform.variant;
    return { id: null, config, layers: [] };
  }

  private async baseImage(name: string, platform: Platform): Promise<ImageState> {
    let found = lookupImage(this.store, name);
    if (!found || this.opts.pull) {
      const pulled = await this.tryPull(name, platform, !found);
      if (pulled) found = lookupImage(this.store, name);
    }
    if (!found) throw notFound(`pull access denied for ${name.split(':')[0]}, repository does not exist or may require 'docker login': No such image: ${name}`);
    const id = this.store.tx(() => {
      const id = this.platformSibling(found!.image, platform) ?? found!.image.id;
      this.lease.attach('blob', id);
      const top = this.store.meta.image(id)?.top_layer;
      if (top) this.lease.attach('layer', top);
      return id;
    });
    const config = await readImageConfig(this.store, id);
    if ((config.architecture && config.architecture !== platform.architecture) || (config.os && config.os !== platform.os)) {
      const have = `${config.os}/${config.architecture}${config.variant ? '/' + config.variant : ''}`;
      throw invalidArgument(`image with reference ${name} was found but its platform (${have}) does not match the specified platform (${formatPlatform(platform)})`);
    }
    const layers = this.cache.layersOf(config.rootfs?.diff_ids ?? []);
    if (!layers) throw notFound(`image ${name} has missing layers`);
    return { id, config, layers };
  }

  /**
   * For a tag that names one image of a multi-platform index in the store (a multi-platform
   * build's result, say), the image of that index for the platform asked for, if it is there.
   */
  private platformSibling(image: { id: Digest; os: string; arch: string; variant: string | null }, platform: Platform): Digest | undefined {
    const matches = (os: string, arch: string, variant: string | null) =>
      os === platform.os && arch === platform.architecture && (!platform.variant || (variant ?? '') === platform.variant);
    if (matches(image.os, image.arch, image.variant)) return undefined;
    const row = this.store.db
      .prepare(
        `SELECT i.id, i.os, i.arch, i.variant FROM image_manifests own
           JOIN image_manifests sib ON sib.digest = own.digest AND sib.image_id != own.image_id
           JOIN images i ON i.id = sib.image_id
         WHERE own.image_id = ? AND own.media_type IN (?, ?)`,
      )
      .all(image.id, MediaType.dockerManifestList, MediaType.ociIndex) as { id: Digest; os: string; arch: string; variant: string | null }[];
    return row.find((r) => matches(r.os, r.arch, r.variant))?.id;
  }

  /** Pulls a base image from its registry (missing, or always with --pull). */
  private async tryPull(name: string, platform: Platform, required: boolean): Promise<boolean> {
    try {
      await pullImage(this.engine, name, { platform });
      return true;
    } catch (err) {
      if (required) throw err;
      return false;
    }
  }

  /** The environment words are expanded against: ARGs in scope, overridden by ENV. */
  private expansionEnv(ctx: StepCtx, cfg: ContainerConfig): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of ctx.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of envMap(cfg.Env ?? [])) m.set(k, v);
    return m;
  }

  /** ARGs with a value that ENV does not override: the RUN environment additions and cache inputs. */
  private argEnv(ctx: StepCtx, cfg: ContainerConfig): [string, string][] {
    const env = envMap(cfg.Env ?? []);
    const out: [string, string][] = [];
    for (const [k, v] of ctx.args) if (v !== undefined && !env.has(k)) out.push([k, v]);
    return out;
  }

  /** The filesystem index of an image (shared; clone before changing it). */
  private indexOf(state: ImageState): Promise<FsIndex> {
    const key = state.layers.map((l) => l.diffId).join(',');
    let p = this.fsIndexes.get(key);
    if (!p) {
      p = (async () => {
        const fs = new FsIndex();
        for (const l of state.layers) await fs.applyLayer(this.store.content.createReadStream(l.blobs[0]!.digest).pipe(await decompressorFor(l.blobs[0]!.mediaType)));
        return fs;
      })();
      this.fsIndexes.set(key, p);
    }
    return p;
  }

  private async fsOf(state: ImageState, ctx: StepCtx): Promise<FsIndex> {
    if (ctx.fs && ctx.fsFor === state.id) return ctx.fs;
    ctx.fs = (await this.indexOf(state)).clone();
    ctx.fsFor = state.id;
    return ctx.fs;
  }

  private async step(ctx: StepCtx, state: ImageState, raw: Instruction): Promise<ImageState> {
    const cfg = structuredClone(state.config.config ?? {}) as ContainerConfig;
    const env = this.expansionEnv(ctx, cfg);
    let instr: Instruction = raw;
    if (raw.kind !== 'run' && raw.kind !== 'cmd' && raw.kind !== 'entrypoint' && raw.kind !== 'onbuild' && raw.kind !== 'arg') {
      instr = expandInstruction(raw, this.lex, toEnvGetter(env)).instruction;
    }
    switch (instr.kind) {
      case 'arg':
        return this.argStep(ctx, state, instr, env);
      case 'copy':
      case 'add':
        return this.copyStep(ctx, state, instr, cfg);
      case 'run':
        return this.runStepInstr(ctx, state, instr, cfg, env);
      case 'workdir':
        return this.workdirStep(ctx, state, instr, cfg);
      default:
        return this.metaStep(ctx, state, instr, cfg);
    }
  }

  private historyText(instr: Instruction, cfg: ContainerConfig): string {
    switch (instr.kind) {
      case 'env':
        return 'ENV' + instr.env.map((kv) => ` ${kv.key}=${kv.value}`).join('');
      case 'label':
        return 'LABEL' + instr.labels.map((kv) => ` ${kv.key}=${kv.value}`).join('');
      case 'cmd':
        return `CMD ${goQuoteList(cfg.Cmd)}`;
      case 'entrypoint':
        return `ENTRYPOINT ${goQuoteList(cfg.Entrypoint)}`;
      case 'expose':
        return `EXPOSE ${instr.ports.join(' ')}`;
      case 'user':
        return `USER ${instr.user}`;
      case 'volume':
        return `VOLUME [${instr.volumes.join(' ')}]`;
      case 'stopsignal':
        return `STOPSIGNAL ${instr.signal}`;
      case 'onbuild':
        return `ONBUILD ${instr.expression}`;
      case 'shell':
        return `SHELL ${goQuoteList(instr.shell)}`;
      case 'maintainer':
        return `MAINTAINER ${instr.maintainer}`;
      case 'healthcheck': {
        const h = cfg.Healthcheck ?? {};
        // Go's %q of the HealthConfig struct: durations as strings, Retries as a quoted rune.
        return `HEALTHCHECK &{${goQuoteList(h.Test)} "${goDuration(h.Interval ?? 0)}" "${goDuration(h.Timeout ?? 0)}" "${goDuration(h.StartPeriod ?? 0)}" ${goQuoteRune(h.Retries ?? 0)}}`;
      }
      default:
        return instr.code;
    }
  }

  private keyOf(ctx: StepCtx, state: ImageState, cfg: ContainerConfig, parts: unknown[]): string {
    const parent = state.id ?? `scratch:${formatPlatform(ctx.platform)}`;
    return sha256(JSON.stringify([CACHE_VERSION, parent, this.argEnv(ctx, cfg), ...parts]));
  }

  private async metaStep(ctx: StepCtx, state: ImageState, instr: Instruction, cfg: ContainerConfig): Promise<ImageState> {
    const before = structuredClone(cfg);
    try {
      applyInstruction(cfg, instr, ctx.applyState, this.lex, { expanded: true });
    } catch (err) {
      throw err instanceof BerthError ? err : invalidArgument((err as Error).message, err);
    }
    const config = structuredClone(state.config);
    config.config = cfg;
    if (instr.kind === 'maintainer') config.author = instr.maintainer;
    const text = this.historyText(instr, cfg);
    const key = this.keyOf(ctx, state, before, ['meta', text, JSON.stringify(cfg), config.author ?? '']);
    return this.commit(ctx, state, key, config, undefined, `/bin/sh -c #(nop)  ${text}`, true);
  }

  private async argStep(ctx: StepCtx, state: ImageState, instr: Extract<Instruction, { kind: 'arg' }>, env: Map<string, string>): Promise<ImageState> {
    let text = 'ARG';
    for (const a of instr.args) {
      this.usedArgs.add(a.key);
      let value: string | undefined;
      if (this.buildArgs.has(a.key)) value = this.buildArgs.get(a.key);
      else if (a.value !== undefined) {
        const getter = toEnvGetter(new Map([...env, ...[...ctx.args].filter((x): x is [string, string] => x[1] !== undefined)]));
        value = this.lex.processWord(a.value, getter);
      } else if (ctx.globals.has(a.key)) value = ctx.globals.get(a.key);
      ctx.args.set(a.key, value);
      text += ` ${a.key}${a.value !== undefined ? '=' + a.value : ''}`;
    }
    const cfg = structuredClone(state.config.config ?? {}) as ContainerConfig;
    const key = this.keyOf(ctx, state, cfg, ['arg', text]);
    return this.commit(ctx, state, key, structuredClone(state.config), undefined, `/bin/sh -c #(nop)  ${text}`, true);
  }

  private async workdirStep(ctx: StepCtx, state: ImageState, instr: Extract<Instruction, { kind: 'workdir' }>, cfg: ContainerConfig): Promise<ImageState> {
    applyInstruction(cfg, instr, ctx.applyState, this.lex, { expanded: true });
    const config = structuredClone(state.config);
    config.config = cfg;
    const dir = cfg.WorkingDir ?? '/';
    const key = this.keyOf(ctx, state, cfg, ['workdir', dir, cfg.User ?? '']);
    return this.commit(ctx, state, key, config, async () => {
      const fs = await this.fsOf(state, ctx);
      const resolved = fs.resolve(dir);
      if (resolved === '/' || fs.get(resolved)) return undefined;
      const owner = await this.userOwner(state, ctx, cfg.User ?? '');
      const entries: LayerEntry[] = [];
      let d = resolved;
      const now = Math.floor(Date.now() / 1000);
      while (d !== '/' && !fs.get(d)) {
        entries.push({ path: d.slice(1), type: 'dir', mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: now });
        d = posix.dirname(d);
      }
      if (d !== '/') {
        const n = fs.get(d)!;
        entries.push({ path: d.slice(1), type: 'dir', mode: n.mode, uid: n.uid, gid: n.gid, mtime: now });
      }
      return { entries, nodes: new Map(entries.map((e) => [`/${e.path}`, { type: 'dir' as const, mode: e.mode!, uid: e.uid!, gid: e.gid! }])) };
    }, `/bin/sh -c #(nop) WORKDIR ${dir}`, true);
  }

  /** uid/gid of a USER or --chown value, looked up in the image's /etc/passwd and /etc/group. */
  private async userOwner(state: ImageState, ctx: StepCtx, user: string): Promise<Owner> {
    if (!user) return { uid: 0, gid: 0 };
    const [u, g] = user.split(':', 2) as [string, string | undefined];
    const numeric = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);
    let uid = numeric(u);
    let gid = g !== undefined ? numeric(g) : undefined;
    if (uid === undefined || (g !== undefined && gid === undefined) || (g === undefined && gid === undefined)) {
      const files = await this.readImageFiles(state, ['etc/passwd', 'etc/group']);
      const passwd = (files.get('etc/passwd') ?? '').split('\n').map((l) => l.split(':'));
      const group = (files.get('etc/group') ?? '').split('\n').map((l) => l.split(':'));
      if (uid === undefined) {
        const row = passwd.find((r) => r[0] === u);
        if (!row) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${u}: no such user: ${u}`);
        uid = Number(row[2]);
        if (g === undefined) gid = Number(row[3]);
      } else if (g === undefined) {
        const row = passwd.find((r) => Number(r[2]) === uid);
        gid = row ? Number(row[3]) : uid;
      }
      if (gid === undefined && g !== undefined) {
        const row = group.find((r) => r[0] === g);
        if (!row) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${g}: no such group: ${g}`);
        gid = Number(row[2]);
      }
    }
    return { uid, gid: gid ?? uid };
  }

  /** Small files of an image, read from its layers (top layer wins). */
  private async readImageFiles(state: ImageState, names: string[]): Promise<Map<string, string>> {
    const { readTar } = await import('../archive/tar-reader.js');
    const found = new Map<string, string>();
    for (const l of [...state.layers].reverse()) {
      const stream = this.store.content.createReadStream(l.blobs[0]!.digest).pipe(await decompressorFor(l.blobs[0]!.mediaType));
      for await (const e of readTar(stream, { requireEndMarker: false })) {
        const n = e.header.name.replace(/^\.?\//, '');
        if (names.includes(n) && !found.has(n) && e.body) found.set(n, (await e.body.readAll(1 << 20)).toString('utf8'));
        else await e.body?.discard();
      }
      if (found.size === names.length) break;
    }
    return found;
  }

  private contextFiles(): DirIndex {
    const ctx = this.opts.context;
    if (!ctx.root) throw notFound('COPY failed: no build context: the Dockerfile was read from stdin without a context');
    if (!this.contextIndex) {
      ctx.files ??= new DirIndex(ctx.root, ctx.ignore);
      if (ctx.local) {
        this.hashes.preload(ctx.root);
        ctx.files.useHashCache(this.hashes);
      }
      this.contextIndex = ctx.files;
    }
    return this.contextIndex;
  }

  /** The files of an image, unpacked once into a temporary directory (COPY --from, bind mounts). */
  private imageFiles(state: ImageState): Promise<DirIndex> {
    const key = state.id ?? 'scratch';
    let p = this.materialized.get(key);
    if (!p) {
      p = (async () => {
        const dir = this.tempDir('berth-from-');
        for (const l of state.layers) {
          const b = l.blobs[0]!;
          await extractTar(this.store.content.createReadStream(b.digest).pipe(await decompressorFor(b.mediaType)), dir, {});
        }
        return new DirIndex(dir);
      })();
      this.materialized.set(key, p);
    }
    return p;
  }

  private async fromSource(ctx: StepCtx, from: string): Promise<{ state: ImageState; id: string }> {
    const dep = ctx.resolveStageRef(from, ctx.run.index);
    if (dep !== undefined) {
      const s = await ctx.stageResult(dep);
      return { state: s, id: s.id ?? 'scratch' };
    }
    const s = await this.baseImage(from, ctx.platform);
    return { state: s, id: s.id! };
  }

  private async copyStep(ctx: StepCtx, state: ImageState, instr: Extract<Instruction, { kind: 'copy' | 'add' }>, cfg: ContainerConfig): Promise<ImageState> {
    const isAdd = instr.kind === 'add';
    const name = isAdd ? 'ADD' : 'COPY';
    const from = instr.kind === 'copy' ? instr.from : '';
    const chmod = parseChmod(instr.chmod);
    const workdir = cfg.WorkingDir || '/';
    let dest = instr.destPath;
    if (!dest.startsWith('/')) dest = posix.join(workdir, dest) + (dest.endsWith('/') || dest === '.' ? '/' : '');
    const parents = instr.kind === 'copy' && instr.parents;
    const spec: CopySpec = { sources: [], dest, excludes: instr.excludePatterns, parents, preserveOwner: !!from, add: isAdd };
    const inline: InlineFile[] = [];
    const now = Math.floor(Date.now() / 1000);
    for (const c of instr.sourceContents) {
      const data = Buffer.from(c.data);
      inline.push({ name: c.path, data, size: data.length, mode: 0o644, mtimeSec: now, digest: sha256(c.data) });
    }
    const remote: string[] = [];
    const gitSources: string[] = [];
    for (const s of instr.sourcePaths) {
      if (isAdd && isGitUrl(s)) gitSources.push(s);
      else if (isAdd && /^https?:\/\//.test(s)) remote.push(s);
      else spec.sources.push(s);
    }
    if (!isAdd && instr.sourcePaths.some((s) => /^https?:\/\//.test(s))) throw invalidArgument('source can\'t be a URL for COPY');
    const checksum = instr.kind === 'add' ? instr.checksum : '';
    if (checksum && (spec.sources.length || gitSources.length)) throw invalidArgument('checksum can\'t be specified for non-HTTP(S) sources');
    for (const url of remote) inline.push(await this.download(url, checksum));

    let items: SourceItem[] = [];
    let sourceKey: string;
    let srcDesc = 'file';
    let fromState: ImageState | undefined;
    if (from) {
      const f = await this.fromSource(ctx, from);
      fromState = f.state;
      sourceKey = `from:${f.id}:${JSON.stringify(spec.sources)}:${JSON.stringify(instr.excludePatterns)}`;
    } else {
      let index: DirIndex | undefined;
      if (spec.sources.length) {
        index = this.contextFiles();
        items = matchSources(index, spec, name);
      }
      for (const g of gitSources) {
        const { root } = await cloneGit(g, { keepGitDir: instr.kind === 'add' && !!instr.keepGitDir, tempDir: (p) => this.tempDir(p) });
        const gi = new DirIndex(root);
        items.push(...matchSources(gi, { ...spec, sources: ['.'] }, name));
      }
      sourceKey = await sourcesDigest(items, inline, false);
    }
    // The classic builder's history names one file, one directory, or several sources.
    const tops = items.filter((i) => i.top);
    if (fromState) {
      if (spec.sources.length > 1 || spec.sources.some((x) => /[*?[]/.test(x))) srcDesc = 'multi';
      else {
        const idx = await this.indexOf(fromState);
        if (idx.get(idx.resolve(spec.sources[0] ?? '/'))?.type === 'dir') srcDesc = 'dir';
      }
    } else if (tops.length + inline.length > 1) srcDesc = 'multi';
    else if (tops.length === 1 && tops[0]!.contents) srcDesc = 'dir';
    const chownOwner = instr.chown ? await this.userOwner(state, ctx, instr.chown) : undefined;
    const key = this.keyOf(ctx, state, cfg, [name, instr.chown, instr.chmod, instr.link, parents, dest, sourceKey, JSON.stringify(instr.excludePatterns), gitSources]);
    const srcHash = sha256(sourceKey);
    const history = `/bin/sh -c #(nop) ${name} ${srcDesc}:${srcHash} in ${instr.destPath} `;
    const config = structuredClone(state.config);
    config.config = cfg;
    return this.commit(ctx, state, key, config, async () => {
      if (fromState) {
        const idx = await this.imageFiles(fromState);
        items = matchSources(idx, spec, name);
      }
      const fs = instr.link ? undefined : await this.fsOf(state, ctx);
      const planOpts = { chown: chownOwner, chmod, link: instr.link, now };
      const plan = planLayer(fs, items, inline, spec, planOpts);
      for (const a of plan.archives) {
        const dir = this.tempDir('berth-add-');
        const { decompressAuto } = await import('../archive/compression.js');
        const { createReadStream } = await import('node:fs');
        const { stream } = await decompressAuto(createReadStream(a.path));
        await extractTar(stream, dir, {});
        const ai = new DirIndex(dir);
        const sub = planLayer(fs, matchSources(ai, { ...spec, sources: ['.'] }, name), [], { ...spec, dest: a.dest + '/', preserveOwner: true }, planOpts);
        const seen = new Set(plan.entries.map((e) => e.path));
        for (const e of sub.entries) if (!seen.has(e.path)) plan.entries.push(e);
        for (const [k, v] of sub.nodes) plan.nodes.set(k, v);
      }
      return plan;
    }, history, false);
  }

  private async download(url: string, checksum: string): Promise<InlineFile> {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow' });
    } catch (err) {
      throw new BerthError('unavailable', `failed to GET ${url}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok) throw new BerthError('unavailable', `failed to GET ${url} with status ${res.status} ${res.statusText}`);
    const data = Buffer.from(await res.arrayBuffer());
    const digest = createHash('sha256').update(data).digest('hex');
    if (checksum) {
      const want = checksum.replace(/^sha256:/, '');
      if (!/^sha256:[0-9a-f]{64}$/.test(checksum) && !/^[0-9a-f]{64}$/.test(checksum)) throw invalidArgument(`invalid checksum digest format: ${checksum}`);
      if (want !== digest) throw invalidArgument(`digest mismatch sha256:${digest}: sha256:${want}`);
    }
    let name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '');
    if (!name) name = '__unnamed__';
    const lm = res.headers.get('last-modified');
    const mtime = lm ? Math.floor(Date.parse(lm) / 1000) : 0;
    return { name, data, size: data.length, mode: 0o600, mtimeSec: Number.isNaN(mtime) ? 0 : mtime, digest };
  }

  private async runStepInstr(ctx: StepCtx, state: ImageState, instr: Extract<Instruction, { kind: 'run' }>, cfg: ContainerConfig, env: Map<string, string>): Promise<ImageState> {
    const expanded = expandInstruction(instr, this.lex, toEnvGetter(env)).instruction;
    const cmd = runCommandLine(expanded, state.config.os || 'linux');
    const shell = cfg.Shell?.length ? cfg.Shell : DEFAULT_SHELL;
    const argv = cmd.prependShell ? [...shell, ...cmd.args] : cmd.args;
    const argEnv = this.argEnv(ctx, cfg);
    const recorded = argEnv.length ? [`|${argEnv.length}`, ...argEnv.map(([k, v]) => `${k}=${v}`), ...argv] : argv;
    const network = instr.network !== 'default' ? instr.network : this.opts.network ?? 'default';
    const workdir = cfg.WorkingDir || '/';
    const mounts = (expanded.mounts ?? []).map((m) => {
      if (m.type === 'secret' || m.type === 'ssh') return m;
      // A relative target is below the working directory, as BuildKit resolves it.
      const target = m.target.startsWith('/') ? m.target : posix.join('/', workdir, m.target);
      if (goClean(target) === '/') throw invalidArgument(`invalid mount target "${m.target}"`);
      // A cache's default id is the target as written (BuildKit cleans it, relative or not).
      const cacheId = m.type === 'cache' && !m.cacheId ? goClean(m.target) : m.cacheId;
      return { ...m, target, cacheId };
    });
    const mountKey: unknown[] = [];
    const caches = new Map<number, { key: string; seed: CacheSeed }>();
    for (const [i, m] of mounts.entries()) {
      if (m.type === 'bind') {
        const src = m.from ? (await this.fromSource(ctx, m.from)).id : await this.bindContextDigest(m.source);
        mountKey.push(['bind', m.target, m.source, src, m.readOnly]);
      } else if (m.type === 'cache') {
        const c = await this.cacheMount(ctx, m);
        caches.set(i, c);
        mountKey.push(['cache', m.target, c.key, m.cacheSharing || 'shared', m.readOnly]);
      } else mountKey.push([m.type, m.target, m.cacheId]);
    }
    const key = this.keyOf(ctx, state, cfg, ['run', recorded, network, mountKey, cmd.script ?? null]);
    const config = structuredClone(state.config);
    config.config = cfg;
    return this.commit(ctx, state, key, config, 'run', recorded.join(' '), true, async (print) => {
      const specs: RunMountSpec[] = [];
      const secretEnv: string[] = [];
      if (cmd.script) {
        // A here-document starting with #! runs as a script file, as BuildKit provides it.
        const { writeFileSync } = await import('node:fs');
        const file = join(this.tempDir('berth-script-'), 'script');
        writeFileSync(file, cmd.script.data, { mode: 0o755 });
        specs.push({ type: 'bind', target: posix.join(cmd.script.dir, cmd.script.name), source: file, readOnly: true });
      }
      for (const [i, m] of mounts.entries()) {
        if (m.type === 'bind') {
          const idx = m.from ? await this.imageFiles((await this.fromSource(ctx, m.from)).state) : this.contextFiles();
          // The source is the user's context or a shared unpacked image: mounted read-only, or
          // (rw) through a copy-on-write view whose writes are discarded after the step.
          const entry = resolveInIndex(idx, goClean('/' + m.source).slice(1));
          if (!entry) throw notFound(`failed to compute cache key: "/${goClean('/' + m.source).slice(1)}": not found`);
          const filtered = !m.from && entry.type === 'dir' && !this.opts.context.ignore.empty;
          specs.push({ type: 'bind', target: m.target, source: filtered ? this.withoutIgnored(idx, entry.rel) : idx.abs(entry.rel), readOnly: m.readOnly });
        } else if (m.type === 'cache') {
          const c = caches.get(i)!;
          specs.push({ type: 'cache', target: m.target, readOnly: m.readOnly, cache: { key: c.key, sharing: m.cacheSharing || 'shared', seed: c.seed } });
        } else if (m.type === 'tmpfs') {
          specs.push({ type: 'tmpfs', target: m.target, readOnly: false, sizeLimit: m.sizeLimit });
        } else if (m.type === 'secret') {
          const id = m.cacheId || m.source || posix.basename(m.target);
          const s = this.opts.secrets?.find((x) => x.id === id);
          if (!s) {
            if (m.required) throw invalidArgument(`secret ${id} not found`);
            continue;
          }
          const value = s.src === undefined ? (process.env[s.env ?? id] ?? '') : undefined;
          if (m.env && !m.target) {
            secretEnv.push(`${m.env}=${value ?? (await import('node:fs')).readFileSync(s.src!, 'utf8')}`);
            continue;
          }
          specs.push({ type: 'secret', target: m.target || `/run/secrets/${id}`, source: s.src, value, readOnly: true });
          if (m.env) secretEnv.push(`${m.env}=${value ?? (await import('node:fs')).readFileSync(s.src!, 'utf8')}`);
        }
      }
      let pending = '';
      const runEnv = [...(cfg.Env ?? [])];
      // Proxy build args reach RUN without an ARG, and stay out of history and the cache key.
      for (const k of PROXY_ARGS) if (this.buildArgs.has(k) && !ctx.args.has(k)) runEnv.push(`${k}=${this.buildArgs.get(k)}`);
      runEnv.push(...secretEnv);
      for (const [k, v] of argEnv) runEnv.push(`${k}=${v}`);
      const res = await runStep({
        store: this.store,
        lease: this.lease,
        layers: state.layers,
        args: argv,
        env: runEnv,
        workdir: cfg.WorkingDir || '/',
        user: cfg.User ?? '',
        network,
        hosts: this.opts.addHosts ?? [],
        mounts: specs,
        platform: ctx.platform,
        output: (chunk) => {
          pending += chunk.toString('utf8');
          const nl = pending.lastIndexOf('\n');
          if (nl < 0) return;
          for (const l of pending.slice(0, nl).split('\n')) print(l);
          pending = pending.slice(nl + 1);
        },
      });
      if (pending) print(pending);
      if (res.exitCode !== 0) {
        await res.cleanup();
        throw new StepFailed(`The command '${argv.join(' ')}' returned a non-zero code: ${res.exitCode}`, res.exitCode);
      }
      return res;
    });
  }

  /**
   * Which cache a cache mount uses and what a new instance of it starts as, as BuildKit has it: the
   * id (the target by default), made distinct by what seeds it — uid/gid/mode give an empty
   * directory with that owner and mode; `from` (with `source`) a copy of a stage's or image's files.
   */
  private async cacheMount(ctx: StepCtx, m: Mount): Promise<{ key: string; seed: CacheSeed }> {
    const id = m.cacheId || m.target;
    const source = goClean('/' + m.source);
    const from = m.from ? await this.fromSource(ctx, m.from) : undefined;
    if (source === '/' && (m.uid !== undefined || m.gid !== undefined || m.mode !== undefined)) {
      const seed: CacheSeed = { kind: 'dir', uid: m.uid ?? 0, gid: m.gid ?? 0, mode: m.mode ?? 0o755 };
      return { key: `${id}:${sha256(JSON.stringify([from?.id ?? '', seed]))}`, seed };
    }
    if (from) {
      const files = await this.imageFiles(from.state);
      const entry = resolveInIndex(files, source.slice(1));
      if (!entry) throw notFound(`failed to compute cache key: "${source}": not found`);
      return { key: `${id}:${sha256(JSON.stringify([from.id, source]))}`, seed: { kind: 'copy', path: files.abs(entry.rel) } };
    }
    return { key: id, seed: { kind: 'dir', uid: 0, gid: 0, mode: 0o755 } };
  }

  /**
   * A context directory as .dockerignore lets a bind mount see it: a copy made of hard links
   * (or copies across file systems) of the files that are not excluded.
   */
  private withoutIgnored(idx: DirIndex, rel: string): string {
    const key = `ignored:${rel}`;
    const known = this.filteredDirs.get(key);
    if (known) return known;
    const out = this.tempDir('berth-bind-');
    for (const e of idx.descendants(rel)) {
      const dest = join(out, rel ? e.rel.slice(rel.length + 1) : e.rel);
      if (e.type === 'dir') mkdirSync(dest, { mode: e.mode });
      else if (e.type === 'symlink') symlinkSync(e.linkname ?? '', dest);
      else if (e.type === 'file') {
        try {
          linkSync(idx.abs(e.rel), dest);
        } catch {
          copyFileSync(idx.abs(e.rel), dest);
        }
      }
    }
    this.filteredDirs.set(key, out);
    return out;
  }

  private async bindContextDigest(source: string): Promise<string> {
    const idx = this.contextFiles();
    const items = matchSources(idx, { sources: [source || '.'], dest: '/', excludes: [], parents: false, preserveOwner: false, add: false }, 'RUN --mount');
    return sourcesDigest(items, [], false);
  }

  /**
   * Finishes a step: a cache hit, or the layer made (by `make`, or by a RUN) and the new image
   * written and recorded, its parent the previous step's image.
   */
  private async commit(
    ctx: StepCtx,
    state: ImageState,
    key: string,
    config: ImageConfig,
    make: (() => Promise<{ entries: LayerEntry[]; nodes: Map<string, import('../build/fs-index.js').FsNode> } | undefined>) | undefined | 'run',
    createdBy: string,
    showContainer: boolean,
    runFn?: (print: (t: string) => void) => Promise<import('./build-run.js').RunStepResult>,
  ): Promise<ImageState> {
    if (!this.opts.noCache) {
      const hit = await this.cache.lookup(this.lease, key);
      if (hit) {
        this.usedCache.push({ key, imageId: hit.imageId, layers: hit.layers, description: createdBy.slice(0, 200) });
        ctx.print(' ---> Using cache');
        ctx.print(` ---> ${short(hit.imageId)}`);
        if (!this.opts.noParent) this.recordImage(hit.imageId, hit.config, hit.layers, state.id);
        return { id: hit.imageId, config: hit.config, layers: hit.layers };
      }
    }
    // A foreign RUN without emulation fails before it seems to start.
    if (make === 'run') checkEmulation(ctx.platform);
    const containerId = randomId();
    if (showContainer) ctx.print(` ---> Running in ${containerId.slice(0, 12)}`);
    let layer: NewLayer | undefined;
    let nodes: Map<string, import('../build/fs-index.js').FsNode> | undefined;
    if (make === 'run') {
      const res = await runFn!(ctx.print);
      try {
        layer = await this.storeLayer(res.diff());
      } finally {
        await res.cleanup();
      }
      ctx.fs = undefined;
    } else if (make) {
      const plan = await make();
      if (plan && plan.entries.length) {
        const size = plan.entries.reduce((n, e) => n + (e.type === 'file' ? (e.size ?? 0) : e.type === 'symlink' ? Buffer.byteLength(e.linkname ?? '') : 0), 0);
        layer = await this.storeLayer(layerFromEntries(plan.entries), size);
        nodes = plan.nodes;
      }
    }
    if (showContainer) ctx.print(`Removing intermediate container ${containerId.slice(0, 12)}`);
    const created = nowRfc3339Nano();
    const layers = layer ? [...state.layers, layer] : state.layers;
    const history: HistoryEntry[] = [...(state.config.history ?? [])];
    const h: HistoryEntry = { created, created_by: createdBy };
    if (!layer) h.empty_layer = true;
    history.push(h);
    const cfg = config.config ?? {};
    const containerConfig: ContainerConfig = { ...cfg, Hostname: containerId.slice(0, 12), Image: state.id ?? '' };
    containerConfig.Cmd = make === 'run' ? ['/bin/sh', '-c', createdBy] : [...(cfg.Shell?.length ? cfg.Shell : DEFAULT_SHELL), createdBy.replace(/^\/bin\/sh -c /, '')];
    const out: Record<string, unknown> = { architecture: config.architecture };
    if (config.author) out.author = config.author;
    out.config = goContainerConfig({ ...cfg, Image: state.id ?? '' });
    out.container = containerId;
    out.container_config = goContainerConfig(containerConfig);
    out.created = created;
    out.docker_version = 'berth';
    out.history = history;
    out.os = config.os;
    if (state.id && !this.opts.noParent) out.parent = state.id;
    out.rootfs = { type: 'layers', diff_ids: layers.map((l) => l.diffId) };
    if (config.variant) out.variant = config.variant;
    const raw = Buffer.from(goMarshal(out));
    const written = await this.store.content.writeBuffer(this.lease, raw);
    let id = written.digest;
    const parsed = JSON.parse(raw.toString('utf8')) as ImageConfig;
    const winner = this.store.tx(() => {
      // A concurrent build that recorded this step first wins; ours then leaves no layer rows.
      // With --no-cache the step's new result is the one wanted (Docker builds and caches it),
      // so it takes the key's place instead.
      const first = this.cache.recorded(key);
      if (first && !this.opts.noCache) return first;
      this.cache.putLayers(layers);
      if (first) return this.cache.replace(key, id, layers, createdBy.slice(0, 200));
      return this.cache.record(key, id, layers, createdBy.slice(0, 200));
    });
    let result: ImageState = { id, config: parsed, layers };
    if (winner !== id) {
      const other = await this.cache.lookup(this.lease, key);
      if (other) {
        id = other.imageId;
        result = { id, config: other.config, layers: other.layers };
      }
    }
    this.usedCache.push({ key, imageId: id, layers: result.layers, description: createdBy.slice(0, 200) });
    if (!this.opts.noParent) this.recordImage(id, result.config, result.layers, state.id);
    if (nodes && ctx.fs && ctx.fsFor === state.id) {
      for (const [p, n] of nodes) ctx.fs.set(p, n);
      ctx.fsFor = id;
    } else if (layer) ctx.fs = undefined;
    else if (ctx.fsFor === state.id) ctx.fsFor = id;
    ctx.print(` ---> ${short(id)}`);
    return result;
  }

  private recordImage(id: Digest, config: ImageConfig, layers: NewLayer[], parent: Digest | null): void {
    this.store.tx(() => {
      this.lease.attach('blob', id);
      this.store.putImage({ id, config, layers, parent });
    });
  }

  /** Streams a layer tar into the store (uncompressed, as Docker's classic builder keeps it). */
  private async storeLayer(tar: AsyncIterable<Buffer> | NodeJS.ReadableStream, knownSize?: number): Promise<NewLayer> {
    if (knownSize !== undefined) {
      // A layer berth wrote itself is stored uncompressed: its diff ID is its digest.
      const blob = await this.store.content.write(this.lease, tar as AsyncIterable<Buffer>);
      return { diffId: blob.digest, size: knownSize, tarSize: blob.size, blobs: [{ digest: blob.digest, mediaType: MediaType.dockerLayer }] };
    }
    const analyzer = new LayerAnalyzer();
    const blob = await this.store.content.write(this.lease, tar as AsyncIterable<Buffer>, { onData: (c) => analyzer.push(c) });
    const a = await analyzer.finish();
    if (!a) throw new BerthError('internal', 'the step produced an invalid layer');
    return { diffId: a.diffId, size: a.size, tarSize: a.tarSize, blobs: [{ digest: blob.digest, mediaType: MediaType.dockerLayer }] };
  }
}

interface StepCtx {
  run: StageRun;
  print: (t: string) => void;
  platform: Platform;
  /** ARGs declared in this stage (value undefined: declared without one). */
  args: Map<string, string | undefined>;
  globals: Map<string, string>;
  fs: FsIndex | undefined;
  fsFor?: Digest | null;
  applyState: ApplyState;
  stageResult: (i: number) => Promise<ImageState>;
  resolveStageRef: (ref: string, before: number) => number | undefined;
}

async function decompressorFor(mediaType: string): Promise<NodeJS.ReadWriteStream> {
  const { createDecompressor } = await import('../archive/compression.js');
  const { PassThrough } = await import('node:stream');
  if (mediaType.endsWith('gzip')) return createDecompressor('gzip');
  if (mediaType.endsWith('zstd')) return createDecompressor('zstd');
  return new PassThrough();
}

export interface BuildResult {
  image: BuiltImage;
  tags: string[];
}

/** Tags a built image (the type=docker output): one transaction. */
export function tagBuiltImage(store: Store, image: BuiltImage, tags: string[], noParent: boolean): void {
  const targets = tags.map((t) => parseTagTarget(t));
  store.tx(() => {
    const moves = commitImages(store, [{ image: { id: image.id, config: image.config, layers: image.layers, parent: noParent ? null : undefined }, tags: targets.map((t) => ({ repo: t.repo, tag: t.tag })) }]);
    for (const m of moves) imageEvent(store, 'tag', image.id, m.tag);
  });
}
