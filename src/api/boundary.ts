/**
 * The browser boundary (SPEC §6 "Web pages are not clients"). A web page can make the browser send
 * requests to the daemon on 127.0.0.1; these guards make sure it cannot act or read as the local user:
 * - `browserBoundary`: a request whose `Host` is not a loopback name or address, nor one of the
 *   configured hosts (`[server] allowed_hosts` plus the bind address), is refused (421 MISDIRECTED;
 *   403 on `/mcp`, as the MCP transport spec asks) — this stops DNS rebinding, where a page's own
 *   origin resolves to 127.0.0.1. A state-changing request (anything but GET/HEAD/OPTIONS) carrying an
 *   `Origin` that is neither the daemon's own nor listed in `[server] cors_origins` is refused (403).
 *   CORS headers (Hono's `cors` middleware) are sent to listed origins only.
 * - `contentTypeGuard`: JSON endpoints take `application/json` (or `…+json`) bodies only, so the
 *   "simple" types a page may send cross-site without a preflight (text/plain, form encodings) are
 *   refused (415); the text import endpoints name their own types.
 * Both apply to TCP requests only: the control socket is the CLI of the socket's owner.
 * Requests without `Origin` (CLI, curl, SDKs) pass the Origin check unchanged.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { DomainError } from '../domain/errors.js';
import { isLoopbackName, normalizeOrigin, parseHost } from '../domain/web-origin.js';
import type { AppEnv, BoundarySettings } from './deps.js';

/** Methods a page may send freely: they must not change anything (uppercase). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * What a request to `path` with a foreign `Host` is refused with: FORBIDDEN (403) on `/mcp`, as the
 * MCP transport spec asks, MISDIRECTED (421) everywhere else.
 */
export const hostRefusalCode = (path: string): 'FORBIDDEN' | 'MISDIRECTED' => (path === '/mcp' ? 'FORBIDDEN' : 'MISDIRECTED');

/** The media type that marks a JSON body (besides `application/…+json`). */
export const JSON_TYPE = 'application/json';

const isTcp = (c: Context<AppEnv>) => c.env?.transport !== 'socket';

/** A predicate over `Host` header values: loopback, or one of `patterns` (port must match when given). */
function hostMatcher(patterns: string[]): (host: string) => boolean {
  const allowed = patterns.map(parseHost).filter((p) => p !== undefined);
  return (host) => {
    const h = parseHost(host);
    if (!h) return false;
    if (isLoopbackName(h.hostname)) return true;
    return allowed.some((a) => a.hostname === h.hostname && (a.port === '' || a.port === h.port));
  };
}

/** True when `origin` is the daemon itself as reached with `host` (same host and port; http or https behind a proxy). */
function isOwnOrigin(origin: string, host: string): boolean {
  const o = normalizeOrigin(origin);
  const h = parseHost(host);
  if (!o || !h) return false;
  const url = new URL(o);
  return url.hostname === h.hostname && url.port === h.port;
}

/**
 * The Host and Origin checks and CORS, as one app-level middleware (TCP only; see the module header).
 * @throws DomainError MISDIRECTED (421; FORBIDDEN 403 on `/mcp`) for a foreign `Host`, FORBIDDEN (403)
 *   for a state-changing request with a foreign `Origin` (`Origin: null` included).
 */
export function browserBoundary(settings: BoundarySettings): MiddlewareHandler<AppEnv> {
  const hostAllowed = hostMatcher(settings.allowedHosts);
  const listed = new Set(settings.corsOrigins.map(normalizeOrigin).filter((o) => o !== undefined));
  const withCors = cors({ origin: [...listed], exposeHeaders: ['Retry-After', 'Content-Disposition', 'X-Request-Id'], maxAge: 600 });
  return async (c, next) => {
    if (!isTcp(c)) return next();
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!hostAllowed(host)) {
      const code = hostRefusalCode(c.req.path);
      throw new DomainError(code, `this daemon does not serve Host ${JSON.stringify(host)} (a web page may be trying to reach it by DNS rebinding)`, [
        {
          field: 'host',
          message: 'not a loopback name or address, nor a configured host',
          hint: 'to reach the daemon by this name, add it to [server] allowed_hosts in ares.toml and restart',
        },
      ]);
    }
    const origin = c.req.header('origin');
    if (origin === undefined) return next();
    const normalized = normalizeOrigin(origin);
    const isListed = normalized !== undefined && listed.has(normalized);
    if (!SAFE_METHODS.has(c.req.method) && !isListed && !isOwnOrigin(origin, host)) {
      throw new DomainError('FORBIDDEN', `requests from web pages at ${JSON.stringify(origin)} may not change anything here`, [
        {
          field: 'origin',
          message: "not this daemon's own origin, nor a configured one",
          hint: 'to let a web app at this origin use the API, add it to [server] cors_origins in ares.toml and restart',
        },
      ]);
    }
    return isListed ? withCors(c, next) : next();
  };
}

/** The media type of a Content-Type header, lowercase, without parameters ('' when absent). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** True for `application/json` and `application/…+json`. */
export function isJsonType(type: string): boolean {
  return type === JSON_TYPE || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
}

/**
 * Route middleware: a TCP request with a body must say it is one of `accepted` (exact media types;
 * `application/json` also admits `application/…+json`). A request without body and without
 * Content-Type passes (e.g. `POST /api/agents/NAME/stop`); GET, HEAD and OPTIONS are not checked.
 * @throws DomainError UNSUPPORTED_MEDIA_TYPE (415) naming the types the endpoint takes.
 */
export function contentTypeGuard(accepted: readonly string[]): MiddlewareHandler<AppEnv> {
  const admits = (type: string) => accepted.includes(type) || (accepted.includes(JSON_TYPE) && isJsonType(type));
  const hint = `send Content-Type: ${accepted.join(', ')}`;
  return async (c, next) => {
    if (!isTcp(c) || SAFE_METHODS.has(c.req.method)) return next();
    const type = mediaType(c.req.header('content-type'));
    if (type === '') {
      const hasBody = Number(c.req.header('content-length') ?? 0) > 0 || c.req.header('transfer-encoding') !== undefined;
      if (!hasBody) return next();
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'request body has no Content-Type', [{ field: 'content-type', message: 'required with a body', hint }]);
    }
    if (!admits(type)) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type ${type} for ${c.req.method} ${c.req.path}`, [
        { field: 'content-type', message: 'not accepted by this endpoint', hint },
      ]);
    }
    return next();
  };
}
