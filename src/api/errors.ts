import { BerthError, type ErrorKind } from '../image/errors.js';

/** An error the API layer itself detected, with the HTTP status dockerd answers it with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, message);
export const notFoundError = (message: string): ApiError => new ApiError(404, message);

const STATUS: Record<ErrorKind, number> = {
  'not-found': 404,
  conflict: 409,
  'invalid-argument': 400,
  unauthorized: 401,
  unavailable: 503,
  corrupt: 500,
  internal: 500,
};

/** Docker's httpstatus.FromError for berth's error kinds. */
export function statusOf(err: unknown): number {
  if (err instanceof ApiError) return err.status;
  if (err instanceof BerthError) return STATUS[err.kind] ?? 500;
  return 500;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
