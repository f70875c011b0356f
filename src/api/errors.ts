/**
 * One error type turned into a response in one place (ARCHITECTURE habit, after Hono's
 * HTTPException + onError): DomainError codes map to HTTP statuses here and nowhere else. The body is
 * always `{"error": {"code", "message", "details"}}` (SPEC §6).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorCode } from '../domain/errors.js';

/** HTTP status per DomainError code. */
export const STATUS_OF: Record<ErrorCode, ContentfulStatusCode> = {
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MISDIRECTED: 421,
  TOO_MANY_REQUESTS: 429,
  CONFIG_INVALID: 400,
  PROVIDER_ERROR: 502,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  CANCELLED: 503,
  INTERNAL: 500,
};

/** The JSON error body of SPEC §6. */
export function errorBody(code: string, message: string, details: unknown[] = []) {
  return { error: { code, message, details } };
}

/** Where unexpected errors (and, with `warn`, security events such as failed logins) are reported; the daemon passes its logger. */
export interface ErrorLog {
  error(obj: object, msg: string): void;
  warn?(obj: object, msg: string): void;
}

/** Build the Hono `onError` handler: DomainError -> its status; HTTPException -> its status; else 500. */
export function makeErrorHandler(log: ErrorLog) {
  return (err: Error, c: Context): Response => handleError(err, c, log);
}

function handleError(err: Error, c: Context, log: ErrorLog): Response {
  if (err instanceof DomainError) {
    if (err.retryAfterSecs !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSecs))));
    return c.json(errorBody(err.code, err.message, err.details), STATUS_OF[err.code]);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 401 ? 'UNAUTHORIZED' : 'BAD_REQUEST';
    return c.json(errorBody(code, err.message || 'bad request'), status);
  }
  // Unexpected: keep the message generic (it may hold internals); the daemon log has the stack.
  log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error in request');
  return c.json(errorBody('INTERNAL', 'internal error'), 500);
}
