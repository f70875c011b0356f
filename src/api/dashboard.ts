/**
 * The web dashboard's files (issue requirement "Served by the daemon at `/`, on TCP only"): the
 * built `dist/web` folder (index.html and content-hashed assets under `assets/`), served to GET and
 * HEAD requests over TCP whose path belongs to no API (see `isApiPath`). Each file is sent as the
 * Brotli or gzip twin the build wrote beside it (scripts/build-web.mjs), by the request's
 * Accept-Encoding, so no request pays for compression (`hono/compress` covers any file without
 * one); assets are cached for a year as immutable (their names change with their
 * content), index.html is revalidated every time (`no-cache`). Any other page path answers
 * index.html, so the dashboard's own routes (`/chat`, `/runs`, ...) survive a reload; a missing
 * asset is a 404. The dashboard calls the API from the same origin, so it needs no CORS, and the
 * browser boundary (src/api/boundary.ts) runs before this, so DNS rebinding is refused here too.
 */
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import type { AppEnv } from './deps.js';

/** Path prefixes of the API surfaces: never answered with dashboard files. */
const API_PREFIXES = ['/api/', '/v1/', '/agents/', '/health/'];
/** Exact API paths (and the bare prefixes above). */
const API_PATHS = new Set(['/api', '/v1', '/agents', '/health', '/mcp', '/metrics', '/openapi.json']);

/** True for a path of an API (REST, OpenAI-compatible, Caxton, MCP, health, metrics, OpenAPI). */
function isApiPath(path: string): boolean {
  return API_PATHS.has(path) || API_PREFIXES.some((p) => path.startsWith(p));
}

/** `Cache-Control` of hashed assets, and of everything else (index.html, icons). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/**
 * Middleware serving the dashboard from `root` (an absolute path) as the module comment says; any
 * other request goes on to the API.
 */
export function dashboard(root: string): MiddlewareHandler<AppEnv> {
  const web = new Hono();
  web.use(async (c, next) => {
    await next();
    if (c.res.ok) c.res.headers.set('Cache-Control', c.req.path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
  });
  web.use(compress());
  web.use(serveStatic({ root, precompressed: true }));
  web.get('/assets/*', (c) => c.notFound());
  web.get('*', serveStatic({ root, path: 'index.html', precompressed: true }));
  return async (c, next) => {
    const method = c.req.method;
    if (c.env?.transport === 'socket' || (method !== 'GET' && method !== 'HEAD') || isApiPath(c.req.path)) return next();
    const res = await web.fetch(c.req.raw);
    return res.status === 404 ? next() : res;
  };
}
