/**
 * The OpenAPI document (`GET /openapi.json`, STORY-008 "Documentation requirement") is generated from
 * the same zod schemas the handlers are given validated input by: every route is declared once with
 * `Routes.op()` (`app.openapi(createRoute(...))` on a sub-app), and handlers read their input with
 * `c.req.valid('json' | 'query')`, so each schema is named once, in the spec.
 */
import { createRoute, OpenAPIHono, type Hook } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { contentTypeGuard, isJsonType, JSON_TYPE, mediaType } from './boundary.js';
import type { AppEnv } from './deps.js';
import { isOpenAIPath, OpenAIErrorSchema } from './openai-errors.js';
import { issuesToDetails, readJson, validate } from './validate.js';

/** The registry routes describe themselves in (that of the app's OpenAPIHono). */
export type Registry = OpenAPIHono<AppEnv>['openAPIRegistry'];

/** `{"error": {code, message, details, request_id}}` (SPEC §6); `request_id` is the `X-Request-Id` of the request. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(
      z
        .object({
          code: z.string().optional(),
          field: z.string().optional(),
          message: z.string(),
          line: z.number().optional(),
          col: z.number().optional(),
          hint: z.string().optional(),
        })
        .loose(),
    ),
    request_id: z
      .string()
      .optional()
      .openapi({ description: 'the X-Request-Id of the request (echoed in that response header): its lines in the daemon log carry it' }),
  }),
});

/** One documented route. `path` uses OpenAPI `{param}` syntax. */
export interface OpSpec {
  method: 'get' | 'post' | 'put' | 'delete' | 'head';
  path: string;
  summary: string;
  tags: string[];
  /**
   * JSON body schema, and/or the raw content types accepted. Over TCP a body of any other type is
   * refused with 415 (src/api/boundary.ts); a route with neither takes no body, or a JSON one. The
   * JSON body is parsed and validated before the handler (400 with located details, src/api/validate.ts)
   * and read with `c.req.valid('json')`; with `rawBody` too, only a JSON-typed body is (the handler
   * reads the others itself).
   */
  body?: z.ZodType;
  /** An empty body is taken for `{}` (validated like one) instead of being refused. */
  bodyOptional?: boolean;
  /**
   * The handler reads the body itself instead of `c.req.valid('json')`: the entity routes (the name
   * comes from the path when the body has none) and `/mcp` (the MCP SDK reads the raw request).
   */
  bodyReadByHandler?: boolean;
  rawBody?: string[];
  /** Query schema: validated before the handler (400 `invalid query`), read with `c.req.valid('query')`. */
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

/** What `c.req.valid(...)` gives the handler of `S`. */
type ValidOf<S extends OpSpec> = {
  json: S['body'] extends z.ZodType ? z.output<S['body']> : never;
  query: S['query'] extends z.ZodObject ? z.output<S['query']> : never;
};

/** The context of a route declared with spec `S`. */
export type OpContext<S extends OpSpec> = Context<AppEnv, string, { out: ValidOf<S> }>;

/** True when a request's Content-Type says JSON, or it has none (the control socket's clients). */
const isJsonRequest = (c: Context<AppEnv>) => {
  const type = mediaType(c.req.header('content-type'));
  return type === '' || isJsonType(type);
};

/**
 * zod-openapi's `defaultHook`: a query that fails its schema is a 400 with one located detail per
 * problem (SPEC §6), like every other invalid input.
 * @throws DomainError BAD_REQUEST.
 */
const validationHook: Hook<unknown, AppEnv, string, Response | void> = (result) => {
  if (result.success) return;
  const details = issuesToDetails(result.error.issues);
  throw new DomainError('BAD_REQUEST', `invalid ${result.target}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
};

/**
 * The JSON body of `spec`, parsed and validated for `c.req.valid('json')` (src/api/validate.ts keeps
 * the parser's line/col in located E_SYNTAX details, which Hono's JSON validator drops). Skipped for
 * a text body of a route that also takes TOON/TOML, and for routes whose handler reads the body.
 * @throws DomainError BAD_REQUEST (malformed JSON, empty body, invalid or unknown fields).
 */
async function readBody(c: Context<AppEnv>, spec: OpSpec): Promise<void> {
  const { body } = spec;
  if (!body || spec.bodyReadByHandler || (spec.rawBody && !isJsonRequest(c))) return;
  const empty = spec.bodyOptional && !(await c.req.text()).trim();
  c.req.addValidatedData('json', (empty ? validate(body, {}) : await readJson(c, body)) as object);
}

/** A route handler given the validated input of spec `S`. */
export type OpHandler<S extends OpSpec> = (c: OpContext<S>) => Response | Promise<Response>;

/**
 * The OpenAPI description of `spec` (`createRoute`): parameters, query, body types, and the 400/401
 * answers every such route has, in `errorSchema` (OpenAI's shape under `/v1`, else SPEC §6's).
 */
function describe(spec: OpSpec, errorSchema: z.ZodType) {
  const params = paramNames(spec.path);
  const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.schema || r.contentType ? { content: { [r.contentType ?? 'application/json']: { schema: r.schema ?? z.string() } } } : {}),
    };
  }
  if (!spec.public)
    responses['401'] = { description: 'missing, expired, tampered or revoked credentials', content: { 'application/json': { schema: errorSchema } } };
  if (spec.body || spec.rawBody || params.length)
    responses['400'] ??= { description: 'invalid input (located details)', content: { 'application/json': { schema: errorSchema } } };
  const content: Record<string, { schema: z.ZodType }> = {};
  if (spec.body) content['application/json'] = { schema: spec.body };
  for (const t of spec.rawBody ?? []) content[t] = { schema: z.string() };
  return createRoute({
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
  });
}

/**
 * A group of routes under one base path: an OpenAPIHono sub-app, mounted with `app.route(base,
 * router)` (which also moves its OpenAPI descriptions into the app's document under the base).
 * Route specs name paths relative to the base (`/` for the base itself).
 */
export class Routes {
  readonly router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  constructor(readonly base: string) {}

  /**
   * Declare one route (`app.openapi(createRoute(...), handler)`): its description goes to the
   * document; the request passes the content-type guard, the query validator (the `defaultHook`) and
   * the JSON body reader before `handler`, which reads `c.req.valid('query' | 'json')`.
   */
  op<const S extends OpSpec>(spec: S, handler: OpHandler<S>): void {
    const doc = describe(spec, isOpenAIPath(this.base) ? OpenAIErrorSchema : ErrorSchema);
    this.router.openAPIRegistry.registerPath(doc);
    const run = handler as (c: Context<AppEnv>) => Response | Promise<Response>;
    const route = createRoute({
      method: spec.method,
      path: spec.path,
      hide: true,
      request: spec.query ? { query: spec.query } : {},
      responses: {},
      middleware: [contentTypeGuard(acceptedTypes(spec))] as const,
    });
    this.router.openapi(route, (async (c: Context<AppEnv>) => {
      await readBody(c, spec);
      return run(c);
    }) as never);
  }
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
