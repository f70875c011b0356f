/**
 * Request body limit (`[limits] max_body_bytes`, SPEC §6): larger bodies get 413 PAYLOAD_TOO_LARGE.
 * Requests that say their size (`Content-Length`) are checked from the header alone, and GET/HEAD
 * requests without one pass untouched; any other body (chunked, or an in-process Request without
 * Content-Length) is counted as it is read, by Hono's `bodyLimit`. Touching `c.req.raw.body` makes
 * the Node adapter build a full Request, which is why the headers are looked at first.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DomainError } from '../../domain/errors.js';
import type { AppEnv } from '../deps.js';

/** The middleware for a limit of `maxBytes` bytes. @throws DomainError PAYLOAD_TOO_LARGE. */
export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (): never => {
    throw new DomainError('PAYLOAD_TOO_LARGE', `request body is larger than ${maxBytes} bytes ([limits] max_body_bytes)`);
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) {
      return c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : streamed(c, next);
    }
    if (Number(length) > maxBytes) tooLarge();
    return next();
  };
}
