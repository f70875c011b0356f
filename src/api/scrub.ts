/**
 * Response scrubbing (the "secrets never leave" rule, src/domain/secrets.ts): a middleware that
 * removes configured secret values from every error response (4xx/5xx, whatever route or handler
 * produced it), from the report routes whose bodies carry text from outside the daemon (provider
 * and MCP errors, config diagnostics, stored runs) and from exports (`.../export`). Successful run responses are left alone: what they
 * carry (model text, tool results, error messages) is scrubbed at its source by the runtime, so the
 * request hot path does no extra work. Event streams are scrubbed per event by their serializers.
 */
import type { MiddlewareHandler } from 'hono';
import type { Scrubber } from '../domain/secrets.js';
import type { AppEnv } from './deps.js';

/** Report routes scrubbed even when they succeed (exact paths, or prefixes ending in `/`). */
const REPORT_PATHS = ['/api/status', '/api/config/status', '/api/mcp/servers', '/api/executions', '/api/conversations', '/api/conversations/'];

const isReport = (path: string) => path.endsWith('/export') || REPORT_PATHS.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));

/** The middleware: rewrites the body of error and report responses when it holds a secret value. */
export function scrubResponses(secrets: Scrubber): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (secrets.empty || (c.res.ok && !isReport(c.req.path))) return;
    if (c.res.headers.get('content-type')?.startsWith('text/event-stream') || !c.res.body) return;
    const text = await c.res.text();
    const clean = secrets.scrub(text);
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    const { status, statusText } = c.res;
    // Hono copies the old response's headers onto a new one (content-length included): drop it first.
    c.res = undefined;
    c.res = new Response(clean, { status, statusText, headers });
  };
}
