/**
 * Errors in OpenAI's shape for the OpenAI-compatible surface (SPEC §6: "`/v1` speaks OpenAI's error
 * shape"): `{"error": {"message", "type", "param", "code"}}`, so OpenAI clients (the official SDK's
 * `APIError.type/param/code`, LangChain, the Vercel AI SDK) read them as they read OpenAI's own.
 * `openAiError` is the one mapping from a wire error: the API's error handler uses it for every
 * response under `/v1` (unknown routes, validation, auth, rate limits, budgets, refusals, provider
 * failures) and the `/v1` stream for its error chunk. The rest of the API keeps SPEC §6's shape.
 *
 * `type` follows OpenAI's: `invalid_request_error` for 400, 404, 409, 413, 415, 421 and 422 (OpenAI
 * answers an unknown model or URL with 404 `invalid_request_error`, code `model_not_found` for the
 * model, and so does this), `authentication_error` (401), `permission_error` (403),
 * `rate_limit_error` (429) and `server_error` (5xx). `param` is the first detail's `field` (null when
 * none). `code` is snake_case: `invalid_api_key` (401), `rate_limit_exceeded` or `insufficient_quota`
 * (a budget, 429), a detail's own snake_case code such as `model_not_found`, else Caxton's code
 * lower-cased (`provider_unavailable`, `unavailable`, `provider_error`, `bad_request`...).
 * `request_id` is kept as an extra field on HTTP responses.
 */
import { z } from 'zod';
import { DomainError, isDomainError } from '../domain/errors.js';
import type { WireError } from '../domain/wire-error.js';

/** OpenAI's error body, plus Caxton's `request_id` (the `X-Request-Id` of the request) when known. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; request_id?: string };
}

/** `OpenAIErrorBody` as a schema, for the OpenAPI document of the `/v1` routes. */
export const OpenAIErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.enum(['invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_error', 'server_error']),
    param: z.string().nullable().describe('the request field the error is about, when one is'),
    code: z.string().nullable().describe('snake_case, e.g. model_not_found, invalid_api_key, rate_limit_exceeded, provider_unavailable'),
    request_id: z.string().optional().describe('the X-Request-Id of the request: its lines in the daemon log carry it'),
  }),
});

/** True for the paths that answer errors in OpenAI's shape: `/v1` and everything under it. */
export const isOpenAIPath = (path: string): boolean => path === '/v1' || path.startsWith('/v1/');

const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;

/** OpenAI's error `type` for an HTTP status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The snake_case `code` of `wire` (module comment). */
function openAiCode(wire: WireError): string {
  const detailCode = wire.details[0]?.code;
  if (wire.code === 'UNAUTHORIZED') return 'invalid_api_key';
  if (wire.code === 'TOO_MANY_REQUESTS') return detailCode === 'budget_exceeded' ? 'insufficient_quota' : 'rate_limit_exceeded';
  if (detailCode && SNAKE_CASE.test(detailCode)) return detailCode;
  return wire.code.toLowerCase();
}

/** The OpenAI-shaped body of `wire` answered with HTTP `status` (module comment). */
export function openAiError(wire: WireError, status: number, requestId?: string): OpenAIErrorBody {
  return {
    error: {
      message: wire.message,
      type: openAiErrorType(status),
      param: wire.details[0]?.field ?? null,
      code: openAiCode(wire),
      ...(requestId ? { request_id: requestId } : {}),
    },
  };
}

/**
 * `err` as OpenAI's unknown-model error when it is the catalog's NOT_FOUND for the agent named by
 * `model` (param `model`, code `model_not_found`); any other error unchanged.
 */
export function asModelNotFound(err: unknown, model: string): unknown {
  if (!isDomainError(err) || err.code !== 'NOT_FOUND' || err.details[0]?.field !== 'name') return err;
  return new DomainError('NOT_FOUND', `The model \`${model}\` does not exist or you do not have access to it.`, [
    { code: 'model_not_found', field: 'model', message: err.message, ...(err.details[0].hint ? { hint: err.details[0].hint } : {}) },
  ]);
}
