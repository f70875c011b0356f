/**
 * The error as it travels (SPEC §6 `{"error": {code, message, details}}`): one shape written by every
 * serializer of the daemon (HTTP error responses, SSE error events, the OpenAI-compatible stream,
 * MCP tool results, the CLI's `--json` output, start-up IPC) and read back by the client. Turning an
 * error into this shape happens in `toWireError` only; reading it back in `fromWireError` only.
 */
import { DomainError, type ErrorCode, type ErrorDetail } from './errors.js';

/** An error on the wire: a stable `code`, a human `message`, located `details` (field, file:line:col, hint). */
export interface WireError {
  code: string;
  message: string;
  details: ErrorDetail[];
  /** When the same request may succeed (seconds); sent as `Retry-After` by HTTP. */
  retryAfterSecs?: number;
}

/** Removes configured secret values from text (src/domain/secrets.ts `Scrubber.scrub`). */
export type ScrubText = (text: string) => string;

const keep: ScrubText = (text) => text;

/**
 * The wire form of `err`. A DomainError keeps its code and details, with secret values removed from
 * its message and details by `scrub`; anything else is `INTERNAL` with a generic message (it may hold
 * internals: the daemon log has the original).
 */
export function toWireError(err: unknown, scrub: ScrubText = keep): WireError {
  if (!(err instanceof DomainError)) return { code: 'INTERNAL', message: 'internal error', details: [] };
  const details = err.details.length ? (JSON.parse(scrub(JSON.stringify(err.details))) as ErrorDetail[]) : [];
  return {
    code: err.code,
    message: scrub(err.message),
    details,
    ...(err.retryAfterSecs !== undefined ? { retryAfterSecs: err.retryAfterSecs } : {}),
  };
}

/**
 * The JSON error body of SPEC §6 for `wire`; with `requestId` (HTTP error responses) it also names the
 * request as `request_id`, the id its lines carry in the daemon log.
 */
export function wireBody(wire: WireError, requestId?: string): { error: { code: string; message: string; details: ErrorDetail[]; request_id?: string } } {
  return { error: { code: wire.code, message: wire.message, details: wire.details, ...(requestId ? { request_id: requestId } : {}) } };
}

/**
 * Read an error body (`{"error": {code, message, details}}`) back into a DomainError; undefined when
 * `body` is not one (no `error.message`).
 */
export function fromWireError(body: unknown): DomainError | undefined {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (!e || typeof e.message !== 'string' || !e.message) return undefined;
  const code = typeof e.code === 'string' ? (e.code as ErrorCode) : 'INTERNAL';
  return new DomainError(code, e.message, Array.isArray(e.details) ? (e.details as ErrorDetail[]) : []);
}
