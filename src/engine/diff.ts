/** `diff`: what a container changed in its file system, as Docker's ContainerChanges lists it. */
import type { EngineCore } from './engine.js';
import { containerFs } from '../runtime/container-files.js';
import { changeKindNumber, type Change } from '../runtime/changes.js';
import { getContainer } from './containers.js';

export interface ContainerChange {
  /** 0 modified, 1 added, 2 deleted (Docker's API values). */
  Kind: number;
  Path: string;
}

export function containerChanges(engine: EngineCore, input: string): Change[] {
  const row = getContainer(engine, input);
  return containerFs(engine.store, row).changes();
}

export function containerChangesApi(engine: EngineCore, input: string): ContainerChange[] {
  return containerChanges(engine, input).map((c) => ({ Kind: changeKindNumber(c.kind), Path: c.path }));
}
