/**
 * Request correlation (STORY-021): every request gets an id, taken from a sane `X-Request-Id` header
 * (at most REQUEST_ID_MAX_LENGTH letters, digits, `_`, `-` or `=`, the rule of `hono/request-id`) or
 * generated (a random UUID), echoed in the `X-Request-Id` response header (errors and event streams
 * included) and in error bodies. The request's logger, a child of the daemon's with `request_id`, is
 * `c.var.log`: routes hand it to the runs they start, so every line of a request and its run shares
 * the id. Each line names its component: the API's own lines say `component: "api"` (API_LINE), a
 * run's lines `"runtime"` (bound by the run's child logger; pino would repeat a key bound twice).
 * One line per request is logged when its response headers are ready (`request`: method, path,
 * status, user, duration_ms; probes and /metrics at debug level).
 */
import type { MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import type { Log } from '../../domain/log.js';
import type { AppEnv } from '../deps.js';

/** The longest `X-Request-Id` taken from a client (characters); longer ones are replaced by a generated id. */
export const REQUEST_ID_MAX_LENGTH = 128;

/** The field every line the API itself logs carries. */
export const API_LINE = { component: 'api' } as const;

/** Paths polled often by probes and scrapers: their request lines are debug, not info, and they are not traced. */
export const QUIET = /^\/(health|metrics)(\/|$)/;

/** The two middleware, in order: the request id, then the request's logger and its `request` line. */
export function requestLog(log: Log): MiddlewareHandler<AppEnv>[] {
  const logRequest: MiddlewareHandler<AppEnv> = async (c, next) => {
    const start = performance.now();
    const reqLog = log.child({ request_id: c.var.requestId });
    c.set('log', reqLog);
    await next();
    // Responses a handler builds itself (the MCP SDK's on /mcp) miss the header `requestId` prepared.
    c.res.headers.set('X-Request-Id', c.var.requestId);
    const line = {
      ...API_LINE,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ...(c.var.userId ? { user: c.var.userId } : {}),
      duration_ms: Math.round((performance.now() - start) * 1000) / 1000,
    };
    if (QUIET.test(c.req.path)) reqLog.debug(line, 'request');
    else reqLog.info(line, 'request');
  };
  return [requestId({ limitLength: REQUEST_ID_MAX_LENGTH }), logRequest];
}
