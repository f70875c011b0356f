/**
 * The OpenAPI document (`GET /openapi.json`, STORY-008 "Documentation requirement") is generated from
 * the same zod schemas the handlers validate with: every route is declared once with `op()`, which
 * registers its description in the registry and its handler on the Hono router.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Handler, Hono } from 'hono';
import { z } from 'zod';
import { contentTypeGuard, JSON_TYPE } from './boundary.js';
import type { AppEnv } from './deps.js';

/** The registry routes describe themselves in (that of the app's OpenAPIHono). */
export type Registry = OpenAPIHono<AppEnv>['openAPIRegistry'];

/** `{"error": {code, message, details}}` (SPEC §6). */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ code: z.string().optional(), field: z.string().optional(), message: z.string(), line: z.number().optional(), col: z.number().optional(), hint: z.string().optional() }).loose()),
  }),
});

/** One documented route. `path` uses OpenAPI `{param}` syntax. */
export interface OpSpec {
  method: 'get' | 'post' | 'put' | 'delete' | 'head';
  path: string;
  summary: string;
  tags: string[];
  /**
   * JSON body schema (validated by the handler with `readJson`), and/or the raw content types accepted.
   * Over TCP a body of any other type is refused with 415 (src/api/boundary.ts); a route with neither
   * takes no body, or a JSON one.
   */
  body?: z.ZodType;
  rawBody?: string[];
  query?: z.ZodObject;
  /** Status -> description (+ JSON schema, or a non-JSON content type). */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** Reachable without credentials even when auth is required. */
  public?: boolean;
}

const paramNames = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** Media types a route's body may have: its raw types, plus JSON when it takes JSON or declares no body type. */
function acceptedTypes(spec: OpSpec): string[] {
  return [...(spec.rawBody ?? []), ...(spec.body || !spec.rawBody ? [JSON_TYPE] : [])];
}

/** Register `spec` in the OpenAPI registry and `handler` on `router`, behind the route's content-type guard. */
export function op(router: Hono<AppEnv>, registry: Registry, spec: OpSpec, handler: Handler<AppEnv>): void {
  const params = paramNames(spec.path);
  const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[status] = { description: r.description, ...(r.schema || r.contentType ? { content: { [r.contentType ?? 'application/json']: { schema: r.schema ?? z.string() } } } : {}) };
  }
  if (!spec.public) responses['401'] = { description: 'missing, expired, tampered or revoked credentials', content: { 'application/json': { schema: ErrorSchema } } };
  if (spec.body || spec.rawBody || params.length) responses['400'] ??= { description: 'invalid input (located details)', content: { 'application/json': { schema: ErrorSchema } } };
  const content: Record<string, { schema: z.ZodType }> = {};
  if (spec.body) content['application/json'] = { schema: spec.body };
  for (const t of spec.rawBody ?? []) content[t] = { schema: z.string() };
  registry.registerPath(
    createRoute({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tags: spec.tags,
      ...(spec.public ? { security: [] } : {}),
      request: {
        ...(params.length ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
        ...(spec.query ? { query: spec.query } : {}),
        ...(Object.keys(content).length ? { body: { content, required: true } } : {}),
      },
      responses,
    }),
  );
  router.on(spec.method.toUpperCase(), spec.path.replace(/\{(\w+)\}/g, ':$1'), contentTypeGuard(acceptedTypes(spec)), handler);
}

/**
 * The paths anyone may call even when auth is required: those of the routes declared `public` (their
 * OpenAPI entry has `security: []`). Read from the registry, so the route specs are the one list.
 * Public routes take no path parameters, so their paths compare exactly.
 */
export function publicPaths(registry: Registry): Set<string> {
  const paths = new Set<string>();
  for (const d of registry.definitions) {
    if (d.type === 'route' && Array.isArray(d.route.security) && d.route.security.length === 0) paths.add(d.route.path);
  }
  return paths;
}
