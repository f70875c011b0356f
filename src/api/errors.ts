/**
 * One error type turned into a response in one place (ARCHITECTURE habit, after Hono's
 * HTTPException + onError): DomainError codes map to HTTP statuses here and nowhere else, and every
 * API serializer (this error handler, SSE error events, the `/v1` stream and JSON errors, `/mcp` tool
 * results) writes errors through `wireError`, which removes configured secret values (AppDeps.secrets).
 * The body is `{"error": {"code", "message", "details"}}` (SPEC §6), plus `request_id` on HTTP
 * error responses (the `X-Request-Id` of the request, to find its lines in the daemon log); under
 * `/v1` it is OpenAI's `{"error": {"message", "type", "param", "code"}}` (src/api/openai-errors.ts).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorCode, type ErrorDetail } from '../domain/errors.js';
import type { Log } from '../domain/log.js';
import type { Scrubber } from '../domain/secrets.js';
import { toWireError, wireBody, type WireError } from '../domain/wire-error.js';
import type { AppEnv } from './deps.js';
import { API_LINE } from './middleware/request-log.js';
import { isOpenAIPath, openAiError } from './openai-errors.js';

/** HTTP status per DomainError code (a cancelled run is 503: the daemon stopped it, the request itself was fine). */
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
  PROVIDER_UNAVAILABLE: 503,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  CANCELLED: 503,
  INTERNAL: 500,
};

/** The HTTP status of a wire error code (500 for a code without one). */
export const statusOf = (code: string): ContentfulStatusCode => STATUS_OF[code as keyof typeof STATUS_OF] ?? 500;

/** The JSON error body of SPEC §6. */
export function errorBody(code: string, message: string, details: ErrorDetail[] = []) {
  return wireBody({ code, message, details });
}

/** Turns any thrown value into its wire form with secret values removed (the API's one `toWireError`). */
export type WireErrors = (err: unknown) => WireError;

/** The API's `toWireError`, scrubbing with the daemon's secret scrubber. */
export function wireErrors(secrets: Scrubber): WireErrors {
  return (err) => toWireError(err, secrets.scrub);
}

/**
 * The error response of `wire` with `status`, its body naming the request id (middleware/request-log.ts)
 * when there is one: SPEC §6's shape, or OpenAI's under `/v1`.
 */
export function errorResponse(c: Context<AppEnv>, wire: WireError, status: ContentfulStatusCode): Response {
  if (isOpenAIPath(c.req.path)) return c.json(openAiError(wire, status, c.var.requestId), status);
  return c.json(wireBody(wire, c.var.requestId), status);
}

/**
 * Build the Hono `onError` handler: DomainError -> its status; HTTPException -> its status; else 500,
 * logged with the stack on the request's logger (`c.var.log`, else `log`).
 */
export function makeErrorHandler(log: Log, wire: WireErrors) {
  return (err: Error, c: Context<AppEnv>): Response => {
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 401 ? 'UNAUTHORIZED' : 'BAD_REQUEST';
      return errorResponse(c, { code, message: err.message || 'bad request', details: [] }, status);
    }
    // Unexpected errors get a generic message (it may hold internals); the daemon log has the stack.
    if (!(err instanceof DomainError)) (c.var.log ?? log).error({ ...API_LINE, err, method: c.req.method, path: c.req.path }, 'unhandled error in request');
    const w = wire(err);
    if (w.retryAfterSecs !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(w.retryAfterSecs))));
    return errorResponse(c, w, statusOf(w.code));
  };
}
