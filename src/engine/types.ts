/** Docker Engine API shapes produced by the engine and fed to the CLI formatters and `berth serve`. */

export interface ImageSummary {
  Containers: number;
  Created: number;
  Id: string;
  Labels: Record<string, string> | null;
  ParentId: string;
  RepoDigests: string[];
  RepoTags: string[];
  SharedSize: number;
  Size: number;
  VirtualSize: number;
}

export type DeleteItem = { Untagged: string } | { Deleted: string };

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface PruneReport {
  ImagesDeleted: DeleteItem[] | null;
  SpaceReclaimed: number;
}

/** Progress events emitted by long operations; the CLI renders them, the API streams them. */
export type ProgressEvent =
  | { kind: 'status'; id?: string; status: string }
  | { kind: 'progress'; id: string; action: string; current: number; total?: number }
  | { kind: 'message'; text: string };

export type ProgressFn = (e: ProgressEvent) => void;
