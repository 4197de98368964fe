// RUN steps go through the runtime module (src/runtime, the snapshotter and OCI runtime driver);
// berth has exactly one way of running containers. This file only adapts a build step to it.

import type { Readable } from 'node:stream';
import type { Store, Lease, NewLayer } from '../store/store.js';
import type { Platform } from '../image/types.js';
import { unavailable } from '../image/errors.js';

export interface RunMountSpec {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret';
  target: string;
  /** bind: host directory or file to mount (already materialised); cache: host directory. */
  source?: string;
  readOnly: boolean;
  sizeLimit?: number;
}

export interface RunStepRequest {
  store: Store;
  lease: Lease;
  /** The image's layers, bottom first: the container's root filesystem. */
  layers: NewLayer[];
  args: string[];
  env: string[];
  workdir: string;
  user: string;
  network: 'default' | 'none' | 'host';
  hosts: string[];
  mounts: RunMountSpec[];
  platform: Platform;
  /** Output of the process (stdout and stderr, as Docker's classic builder streams them). */
  output: (chunk: Buffer) => void;
}

export interface RunStepResult {
  exitCode: number;
  /** The container's changes as a layer tar (overlay whiteouts converted). */
  diff: () => Readable;
  cleanup(): Promise<void>;
}

type RunFn = (req: RunStepRequest) => Promise<RunStepResult>;

let cached: RunFn | null | undefined;

/** The runtime's build-step entry point, when the runtime module is present. */
async function runtimeEntry(): Promise<RunFn | null> {
  if (cached !== undefined) return cached;
  const specifier = '../runtime/build-step.js';
  try {
    const mod = (await import(specifier)) as { runBuildStep?: RunFn };
    cached = mod.runBuildStep ?? null;
  } catch {
    cached = null;
  }
  return cached;
}

export async function runStep(req: RunStepRequest): Promise<RunStepResult> {
  const fn = await runtimeEntry();
  if (!fn) throw unavailable('RUN instructions need the container runtime, which is not available in this build of berth');
  return fn(req);
}
