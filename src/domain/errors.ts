/**
 * The one error type of the product. Every layer throws `DomainError` with a code; the API maps the
 * code to an HTTP status in one place (src/api/errors.ts). The CLI prints the message and details and
 * exits 1 whatever the code (src/cli/output.ts: 2 is a usage error, 3 a daemon that is not running).
 */

/** Error codes shared by the API, the CLI and config diagnostics (SPEC §3, §5, §6). */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'MISDIRECTED'
  | 'TOO_MANY_REQUESTS'
  | 'CONFIG_INVALID'
  | 'PROVIDER_ERROR'
  /**
   * The provider a model names cannot be used now (unreachable, or unconfigured such as a missing API
   * key); the message names the provider and the reason. Served as 503: nothing was sent to a model.
   */
  | 'PROVIDER_UNAVAILABLE'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  /** A run stopped by its client going away or by daemon shutdown (SPEC §7); served like UNAVAILABLE. */
  | 'CANCELLED'
  | 'INTERNAL';

/** A located problem attached to an error, e.g. one config diagnostic or one invalid field. */
export interface ErrorDetail {
  /** Machine code such as `E_SYNTAX` (SPEC §3) or a field name. */
  code?: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
  field?: string;
  hint?: string;
}

/**
 * An expected failure with a stable code. `details` carries located problems (file:line:col, field, hint).
 * `retryAfterSecs` (whole seconds) says when the same request may succeed (sent as `Retry-After` with
 * 429 and 503). Messages must never contain secrets.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly retryAfterSecs?: number;

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = [], opts: { retryAfterSecs?: number } = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
    if (opts.retryAfterSecs !== undefined) this.retryAfterSecs = opts.retryAfterSecs;
  }
}

/** True when `err` is a DomainError of this module (`instanceof`: errors are never shared across realms here). */
export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
