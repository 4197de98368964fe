/**
 * berth as a library: `import { Engine } from 'berth'`. Each method runs the same engine
 * operation as the matching CLI command, on the same store, with the same guarantees.
 */
import { EngineCore, type EngineOptions } from './engine/engine.js';
import type { ImageSummary, DeleteItem, HistoryItem, PruneReport } from './engine/types.js';
import type { ImageInspect } from './engine/inspect.js';
import type { CheckReport } from './engine/check.js';
import { parseFilters } from './engine/filters.js';
import type { ContainerCreateOptions } from './engine/container-create.js';
import type { ContainerSummary } from './engine/container-list.js';
import type { ContainerInspect } from './engine/container-inspect.js';
import type { ContainerChange } from './engine/diff.js';
import type { CommitOptions } from './engine/commit.js';

export type { EngineOptions, ImageSummary, DeleteItem, HistoryItem, PruneReport, ImageInspect, CheckReport };
export type { ContainerCreateOptions, ContainerSummary, ContainerInspect, ContainerChange, CommitOptions };
export { BerthError, type ErrorKind } from './image/errors.js';
import type { ProgressFn } from './image/progress.js';
export type { ProgressFn, ProgressEvent } from './image/progress.js';

export interface ListImagesOptions {
  all?: boolean;
  /** Docker filters as `name=value` strings, e.g. `['dangling=true', 'label=a=b']`. */
  filters?: string[];
}

export class Engine {
  readonly core: EngineCore;

  constructor(opts: EngineOptions = {}) {
    this.core = new EngineCore(opts);
  }

  async images(opts: ListImagesOptions = {}): Promise<ImageSummary[]> {
    const { listImages } = await import('./engine/list.js');
    return listImages(this.core, { all: opts.all, filters: parseFilters(opts.filters ?? []) });
  }

  async inspect(image: string): Promise<ImageInspect> {
    const { inspectImage } = await import('./engine/inspect.js');
    return inspectImage(this.core, image);
  }

  async history(image: string): Promise<HistoryItem[]> {
    const { imageHistory } = await import('./engine/history.js');
    return imageHistory(this.core, image);
  }

  async tag(source: string, target: string): Promise<void> {
    const { tagImage } = await import('./engine/tag.js');
    tagImage(this.core, source, target);
  }

  async remove(image: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<DeleteItem[]> {
    const { removeImage } = await import('./engine/remove.js');
    return removeImage(this.core, image, opts);
  }

  async prune(opts: { filters?: string[] } = {}): Promise<PruneReport> {
    const { pruneImages } = await import('./engine/prune.js');
    return pruneImages(this.core, parseFilters(opts.filters ?? []));
  }

  /** Loads a docker save archive or OCI layout archive (plain or compressed) from a stream. */
  async load(input: AsyncIterable<Buffer>, opts: { platform?: string } = {}): Promise<string[]> {
    const { loadImages } = await import('./engine/load.js');
    const { parsePlatform } = await import('./image/platform.js');
    const res = await loadImages(this.core, input, { platform: opts.platform ? parsePlatform(opts.platform) : undefined });
    return res.lines;
  }

  /** Streams the images as one archive (Docker 25+ layout, or a plain OCI layout with format 'oci'). */
  async save(images: string[], out: NodeJS.WritableStream, opts: { format?: 'docker' | 'oci' } = {}): Promise<void> {
    const { saveImages } = await import('./engine/save.js');
    await saveImages(this.core, images, out as import('node:stream').Writable, opts);
  }

  /** Imports a root filesystem tarball as an image; returns its ID. */
  async import(
    input: AsyncIterable<Buffer>,
    opts: { ref?: string; changes?: string[]; message?: string; platform?: string } = {},
  ): Promise<string> {
    const { importImage } = await import('./engine/import.js');
    const { parsePlatform } = await import('./image/platform.js');
    const { platform, ...rest } = opts;
    return importImage(this.core, input, { ...rest, platform: platform ? parsePlatform(platform) : undefined });
  }

  /** Copies an image between locations: berth:REF, docker-archive:PATH[:REF], oci-archive:PATH[:REF], oci:DIR[:REF]. */
  async copy(source: string, destination: string): Promise<void> {
    const { copyImage } = await import('./engine/copy.js');
    await copyImage(this.core, source, destination);
  }

  /** Pulls from a registry (Docker's reference rules and credentials); returns the image IDs pulled. */
  async pull(ref: string, opts: { allTags?: boolean; platform?: string; progress?: ProgressFn } = {}): Promise<string[]> {
    const { pullImage } = await import('./engine/pull.js');
    const { parsePlatform } = await import('./image/platform.js');
    const res = await pullImage(this.core, ref, { ...opts, platform: opts.platform ? parsePlatform(opts.platform) : undefined });
    return res.images;
  }

  /** Pushes a tag (or every tag of a repository with allTags) to its registry. */
  async push(ref: string, opts: { allTags?: boolean; progress?: ProgressFn } = {}): Promise<{ tag: string; digest: string; size: number }[]> {
    const { pushImage } = await import('./engine/push.js');
    return pushImage(this.core, ref, opts);
  }

  /** Checks credentials against a registry and stores them as `docker login` does. */
  async login(server: string | undefined, username: string, password: string): Promise<void> {
    const { loginServer, credentialKey, verifyLogin, saveCredentials } = await import('./engine/login.js');
    const { serverAddress, isDefault } = loginServer(server);
    const auth = { serverAddress: credentialKey(serverAddress, isDefault), username, password };
    const res = await verifyLogin(auth);
    await saveCredentials(res.identityToken ? { ...auth, password: undefined, identityToken: res.identityToken } : auth);
  }

  /**
   * Builds a Dockerfile: `context` is a directory, a tarball or git URL, as `berth build` takes
   * it. Returns the image ID; the step output goes to `opts.out` line by line.
   */
  async build(opts: {
    context: string;
    dockerfile?: string;
    tags?: string[];
    buildArgs?: Record<string, string>;
    target?: string;
    labels?: Record<string, string>;
    noCache?: boolean;
    platform?: string;
    out?: (line: string) => void;
  }): Promise<string> {
    const { loadContext } = await import('./build/context.js');
    const { buildSession } = await import('./engine/build-session.js');
    const { parsePlatform, defaultPlatform } = await import('./image/platform.js');
    const context = await loadContext({ source: opts.context, dockerfile: opts.dockerfile });
    try {
      const built = await buildSession(this.core, {
        context,
        tags: opts.tags ?? [],
        buildArgs: new Map(Object.entries(opts.buildArgs ?? {})),
        target: opts.target,
        labels: opts.labels ?? {},
        noCache: opts.noCache,
        platforms: [opts.platform ? parsePlatform(opts.platform) : defaultPlatform()],
        outputs: [],
        out: opts.out ?? (() => undefined),
      });
      return built[0]!.id;
    } finally {
      context.cleanup();
    }
  }

  async check(opts: { repair?: boolean } = {}): Promise<CheckReport> {
    const { checkStore } = await import('./engine/check.js');
    return checkStore(this.core, opts);
  }

  /** Containers, newest first (`ps`); all of them with `all`. */
  async containers(opts: { all?: boolean; size?: boolean; filters?: string[] } = {}): Promise<ContainerSummary[]> {
    const { listContainers } = await import('./engine/container-list.js');
    return listContainers(this.core, { all: opts.all, size: opts.size, filters: parseFilters(opts.filters ?? []) });
  }

  /** Creates a container from an image (`create`); returns its ID. */
  async createContainer(opts: ContainerCreateOptions): Promise<string> {
    const { createContainer } = await import('./engine/container-create.js');
    return (await createContainer(this.core, opts)).id;
  }

  /** Starts a container detached; its output goes to its log. */
  async startContainer(container: string): Promise<void> {
    const { startContainer } = await import('./engine/containers.js');
    await startContainer(this.core, container);
  }

  async stopContainer(container: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const { stopContainer } = await import('./engine/containers.js');
    await stopContainer(this.core, container, opts);
  }

  /** Waits for a container to stop; its exit code. */
  async waitContainer(container: string): Promise<number> {
    const { waitContainer } = await import('./engine/containers.js');
    return waitContainer(this.core, container);
  }

  async removeContainer(container: string, opts: { force?: boolean } = {}): Promise<void> {
    const { removeContainerOp } = await import('./engine/containers.js');
    await removeContainerOp(this.core, container, opts);
  }

  async inspectContainer(container: string): Promise<ContainerInspect> {
    const { inspectContainer } = await import('./engine/container-inspect.js');
    return inspectContainer(this.core, container);
  }

  /** A container's file system changes (`diff`). */
  async containerChanges(container: string): Promise<ContainerChange[]> {
    const { containerChangesApi } = await import('./engine/diff.js');
    return containerChangesApi(this.core, container);
  }

  /** A new image from a container's changes (`commit`); returns the image ID. */
  async commit(container: string, opts: CommitOptions = {}): Promise<string> {
    const { commitContainer } = await import('./engine/commit.js');
    return commitContainer(this.core, container, opts);
  }

  close(): void {
    this.core.close();
  }
}
