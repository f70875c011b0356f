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
import { contentTypeGuard, hostRefusalCode, isJsonType, JSON_TYPE, mediaType, SAFE_METHODS } from './boundary.js';
import { STATUS_OF } from './errors.js';
import { exemptFromRateLimit } from './middleware/rate-limit.js';
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

/**
 * One documented answer of a route. The body is `schema` in `contentType` (JSON when absent; a
 * non-JSON type without schema is text); `alternatives` are further media types the same status may
 * answer with, each with its schema (the SSE stream of a chat, an agent's TOON or TOML text). An
 * error status (>= 400) with neither is the error body (`ErrorSchema`; OpenAI's under `/v1`).
 */
export interface OpResponse {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  alternatives?: Record<string, z.ZodType>;
}

/**
 * One documented route. `path` uses OpenAPI `{param}` syntax. Its `operationId` is derived from the
 * method and the full path (`operationIdOf`), and the error answers the middleware gives every
 * operation (`commonErrors`) are added to its `responses`.
 */
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
   * comes from the path when the body has none), the agent imports (TOON, TOML or JSON by
   * Content-Type) and `/mcp` (the MCP SDK reads the raw request). `body` then only documents it.
   */
  bodyReadByHandler?: boolean;
  rawBody?: string[];
  /** Query schema: validated before the handler (400 `invalid query`), read with `c.req.valid('query')`. */
  query?: z.ZodObject;
  /** Status -> what the route answers with it. */
  responses: Record<number, OpResponse>;
  /** Reachable without credentials even when auth is required (credentials sent anyway are checked). */
  public?: boolean;
  /**
   * A GET route that promises HEAD too (the probes): Hono answers HEAD of every GET route with the
   * GET's status and headers and no body; this documents it as an operation of its own.
   */
  head?: boolean;
}

const paramNames = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** Media types a route's body may have: its raw types, plus JSON when it takes JSON or declares no body type. */
function acceptedTypes(spec: OpSpec): string[] {
  return [...new Set([...(spec.rawBody ?? []), ...(spec.body || !spec.rawBody ? [JSON_TYPE] : [])])];
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

type DocResponse = {
  description: string;
  content?: Record<string, { schema: z.ZodType }>;
  headers?: z.ZodObject;
};

/** The headers of a 429, whoever refuses (the rate limit, the login and registration throttles). */
const RETRY_AFTER = z.object({ 'Retry-After': z.string().regex(/^\d+$/).describe('seconds to wait before retrying') });

/** The documented media types of `r` (see OpResponse). */
function contentOf(status: number, r: OpResponse, errorSchema: z.ZodType): Record<string, { schema: z.ZodType }> {
  const content: Record<string, { schema: z.ZodType }> = {};
  if (r.schema || r.contentType) content[r.contentType ?? JSON_TYPE] = { schema: r.schema ?? z.string() };
  for (const [type, schema] of Object.entries(r.alternatives ?? {})) content[type] = { schema };
  if (status >= 400 && Object.keys(content).length === 0) content[JSON_TYPE] = { schema: errorSchema };
  return content;
}

/**
 * The responses of `spec` at `fullPath`: its own, a 400 for routes that take input, and the
 * middleware's `commonErrors`, their bodies in `errorSchema` (OpenAI's shape under `/v1`, else SPEC §6's). Where the route declares a common status itself, the common cause is
 * added to its description and, when its JSON body is not the error schema, the error schema
 * becomes an alternative (`anyOf`) of it.
 */
function responsesOf(spec: OpSpec, fullPath: string, errorSchema: z.ZodType): Record<string, DocResponse> {
  const out: Record<string, DocResponse> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    const content = contentOf(Number(status), r, errorSchema);
    out[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
  }
  const error = { [JSON_TYPE]: { schema: errorSchema } };
  if (spec.body || spec.rawBody || spec.query || paramNames(spec.path).length)
    out['400'] ??= { description: 'invalid input: body, query or path parameter (located details)', content: error };
  for (const [status, description] of Object.entries(commonErrors(spec.method, fullPath))) {
    const own = out[status];
    if (!own) {
      out[status] = { description, content: error };
      continue;
    }
    own.description = `${own.description}; also: ${description}`;
    const json = own.content?.[JSON_TYPE]?.schema;
    if (json && json !== errorSchema) own.content![JSON_TYPE] = { schema: z.union([json, errorSchema]) };
    else if (!json) own.content = { ...own.content, ...error };
  }
  if (out['429']) out['429'].headers = RETRY_AFTER;
  if (spec.method === 'head') for (const r of Object.values(out)) delete r.content;
  return out;
}

/**
 * The error answers any request to `method` `fullPath` may get whatever its handler does, by status,
 * with their causes: the middleware of src/api/app.ts checks credentials (401) and the browser
 * boundary (421, or 403 on `/mcp`, for a foreign Host; 403 for a foreign Origin on a state-changing
 * request); for methods with a body, the body limit (413) and the route's content-type guard (415);
 * the rate limit (429, except on the probes); and any request may meet an unexpected failure (500)
 * or a database that is down (503, from the credential check or the handler).
 */
function commonErrors(method: string, fullPath: string): Record<number, string> {
  const out: Record<number, string> = {
    401: 'malformed, expired, tampered or revoked credentials (checked on every operation, public ones too), or none where auth is required',
    [STATUS_OF[hostRefusalCode(fullPath)]]: 'a foreign Host header: not a loopback name nor one of [server] allowed_hosts (DNS rebinding guard)',
  };
  if (!SAFE_METHODS.has(method.toUpperCase())) {
    out[403] = [out[403], "a web page's Origin that is neither the daemon's own nor one of [server] cors_origins"].filter(Boolean).join('; or ');
    out[413] = 'the body is larger than [limits] max_body_bytes';
    out[415] = 'the body has a Content-Type this operation does not take (or none)';
  }
  if (!exemptFromRateLimit(fullPath)) out[429] = 'rate limit reached ([limits] requests_per_minute; Retry-After says when to retry)';
  out[500] = 'an unexpected failure (the daemon log has it under the request_id)';
  out[503] = 'the database is unavailable (requests that need it fail at once; retry later)';
  return out;
}

/**
 * The `operationId` of `method` `fullPath`: the method, then each path segment capitalized, a
 * `{param}` as `ByParam` (`post /api/agents/{name}/chat` -> `postApiAgentsByNameChat`). Unique because
 * method + path is, and stable as long as the path is.
 */
function operationIdOf(method: string, fullPath: string): string {
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  const words = fullPath
    .split(/[/._-]+/)
    .filter(Boolean)
    .map((w) => {
      const param = /^\{(\w+)\}$/.exec(w);
      return param ? `By${cap(param[1]!)}` : cap(w);
    });
  return method + words.join('');
}

/** The full path of `path` in a group mounted at `base` (as Hono's `app.route` joins them). */
const joinPath = (base: string, path: string) => base.replace(/\/$/, '') + (path === '/' ? '' : path) || '/';

/** Security of a public operation: anonymous, or a bearer credential (which is then checked). */
const PUBLIC_SECURITY: Record<string, string[]>[] = [{}, { bearer: [] }];

/** The OpenAPI description of `spec` in the group at `base` (`createRoute`): operationId, parameters, query, body types, responses. */
function describe(base: string, spec: OpSpec) {
  const fullPath = joinPath(base, spec.path);
  const params = paramNames(spec.path);
  const content: Record<string, { schema: z.ZodType }> = {};
  if (spec.body) content[JSON_TYPE] = { schema: spec.body };
  for (const t of spec.rawBody ?? []) content[t] ??= { schema: z.string() };
  return createRoute({
    method: spec.method,
    path: spec.path,
    operationId: operationIdOf(spec.method, fullPath),
    summary: spec.summary,
    tags: spec.tags,
    ...(spec.public ? { security: PUBLIC_SECURITY } : {}),
    request: {
      ...(params.length ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(Object.keys(content).length ? { body: { content, required: !spec.bodyOptional } } : {}),
    },
    responses: responsesOf(spec, fullPath, isOpenAIPath(base) ? OpenAIErrorSchema : ErrorSchema),
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
    this.router.openAPIRegistry.registerPath(describe(this.base, spec));
    if (spec.head) this.router.openAPIRegistry.registerPath(describe(this.base, { ...spec, method: 'head' }));
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
 * OpenAPI entry allows the empty security requirement `{}`). Read from the registry, so the route
 * specs are the one list. Public routes take no path parameters, so their paths compare exactly.
 */
export function publicPaths(registry: Registry): Set<string> {
  const paths = new Set<string>();
  for (const d of registry.definitions) {
    if (d.type === 'route' && d.route.security?.some((s) => Object.keys(s).length === 0)) paths.add(d.route.path);
  }
  return paths;
}

/** What `GET /openapi.json` answers: an OpenAPI 3.1 document (checked in full by tests/api/openapi-contract.test.ts). */
export const OpenApiDocumentSchema = z
  .object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }).loose(), paths: z.record(z.string(), z.unknown()) })
  .loose();

/**
 * The OpenAPI 3.1 document of `app` (whose registry holds the `bearer` security scheme). Security: a bearer credential (access JWT or API key); with
 * `[auth] required = false` (the loopback default) anonymous requests are served too, as the
 * built-in user `local`, which the empty requirement `{}` says. The server is relative (`/`): the
 * document describes the daemon it is fetched from.
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>, opts: { version: string; authRequired: boolean }) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Caxton / ARES HTTP API',
      version: opts.version,
      description:
        'Multi-tenant agent daemon (SPEC §6). Errors: {"error": {code, message, details, request_id}}. Every response carries X-Request-Id: the sane X-Request-Id the client sent (up to 128 letters, digits, _, - or =) or a generated one; the daemon log lines of the request carry it as request_id. With `[limits] requests_per_minute`, ' +
        'TCP requests carry the IETF draft `RateLimit-Policy` and `RateLimit` headers, and a request past its quota gets 429 ' +
        '`TOO_MANY_REQUESTS` with `Retry-After` (any operation; the control socket, `/health*` and `/metrics` are exempt). ' +
        (opts.authRequired
          ? 'Auth is required: send `Authorization: Bearer <access JWT or API key>` (public operations excepted).'
          : 'Auth is not required (loopback): a request without credentials acts as the built-in user `local`; credentials sent are checked.'),
    },
    servers: [{ url: '/', description: 'the daemon this document was fetched from' }],
    security: opts.authRequired ? [{ bearer: [] }] : [{ bearer: [] }, {}],
  });
}
