/** Progress events emitted by long operations; the CLI renders them, the API streams them. */
export type ProgressEvent =
  | { kind: 'status'; id?: string; status: string }
  | { kind: 'progress'; id: string; action: string; current: number; total?: number }
  | { kind: 'message'; text: string };

export type ProgressFn = (e: ProgressEvent) => void;
