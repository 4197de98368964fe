import { BerthError } from '../image/errors.js';

/**
 * An error the CLI itself detected (bad usage, unreadable local file): printed as is, while
 * engine errors get Docker's "Error response from daemon: " prefix.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A flag error, already formatted with the usage line and hint; exit 125 like Docker's. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command: string,
    exitCode = 125,
  ) {
    super(message, exitCode);
  }
}

export function describeError(err: unknown): { text: string; code: number } {
  if (err instanceof CliError) return { text: err.message, code: err.exitCode };
  if (err instanceof BerthError) return { text: `Error response from daemon: ${err.message}`, code: 1 };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.message === 'string') return { text: `Error: ${e.message}`, code: 1 };
  return { text: `Error: ${String(err)}`, code: 1 };
}
