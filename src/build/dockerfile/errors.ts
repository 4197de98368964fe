/** Lines of the Dockerfile (1-based, inclusive) that an error or warning refers to. */
export interface LineRange {
  start: number;
  end: number;
}

/**
 * An error in a Dockerfile. `message` is BuildKit's text for the same error; the lines it refers
 * to are in `location` (BuildKit keeps them beside the message, not in it, except for the
 * "dockerfile parse error on line N:" errors of the instruction parser).
 */
export class DockerfileError extends Error {
  readonly location: LineRange;

  constructor(message: string, location: LineRange, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DockerfileError';
    this.location = { start: location.start, end: Math.max(location.start, location.end) };
  }

  /** First line of the location. */
  get line(): number {
    return this.location.start;
  }
}

/** Attaches a location to err unless it already carries one (the innermost location wins). */
export function withLocation(err: unknown, start: number, end = start): DockerfileError {
  if (err instanceof DockerfileError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DockerfileError(message, { start, end }, { cause: err });
}
