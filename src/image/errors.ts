/**
 * The small set of error kinds every layer raises. The CLI maps them to Docker's messages and
 * exit codes, `berth serve` to Docker's HTTP statuses. Nothing below engine/ prints or exits.
 */
export type ErrorKind =
  | 'not-found'
  | 'conflict'
  | 'invalid-argument'
  | 'unauthorized'
  | 'unavailable'
  | 'corrupt'
  | 'internal';

export class BerthError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'BerthError';
  }
}

export const notFound = (msg: string, cause?: unknown): BerthError => new BerthError('not-found', msg, { cause });
export const conflict = (msg: string, cause?: unknown): BerthError => new BerthError('conflict', msg, { cause });
export const invalidArgument = (msg: string, cause?: unknown): BerthError =>
  new BerthError('invalid-argument', msg, { cause });
export const corrupt = (msg: string, cause?: unknown): BerthError => new BerthError('corrupt', msg, { cause });
export const unavailable = (msg: string, cause?: unknown): BerthError => new BerthError('unavailable', msg, { cause });
export const unauthorized = (msg: string, cause?: unknown): BerthError =>
  new BerthError('unauthorized', msg, { cause });

export function isKind(err: unknown, kind: ErrorKind): err is BerthError {
  return err instanceof BerthError && err.kind === kind;
}
