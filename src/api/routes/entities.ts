/**
 * `/api/tools` and `/api/mcps` (SPEC §4, §6): the same CRUD as agents for user tools and MCP servers,
 * each listed with its `source` tier and named as the caller reaches it (bare for their own and system
 * entries, `OWNER/NAME` for other users' public ones; in paths `OWNER%2FNAME`). A user tool may not
 * take a builtin or system tool's name (409 CONFLICT on create or update). Stdio MCP servers run a command on the daemon's host, so only the
 * admin may create or change them; environment values of other users' servers are never shown.
 * A non-admin's Streamable HTTP server must point at a public address (`deps.checkMcpUrl`, ares.toml
 * `[mcp] allow_private_urls`): else 400 with a `url` detail; the pool checks again at every connect.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { ResolvedEntity } from '../../catalog/catalog.js';
import type { UserEntity } from '../../domain/users.js';
import { McpServerSchema, ToolSchema, type McpServer, type Tool } from '../../domain/entities.js';
import { DomainError } from '../../domain/errors.js';
import { SECRET_NAME } from '../../domain/secrets.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { ErrorSchema, Routes, type OpSpec } from '../openapi.js';
import { readJson, validate } from '../validate.js';

type Kind = 'tools' | 'mcps';
type Entity = Tool | McpServer;

/** What a listed or fetched entity looks like: its fields plus `name` (as the caller reaches it) and `source`. */
const Out = z.object({ name: z.string(), source: z.enum(['user', 'community', 'system']) }).loose();

const schemaOf = (kind: Kind) => (kind === 'tools' ? ToolSchema : McpServerSchema);
const labelOf = (kind: Kind) => (kind === 'tools' ? 'tool' : 'MCP server');

/**
 * An entity as `userId` sees it: env values and config entries under secret names (src/domain/secrets.ts
 * SECRET_NAME) may hold tokens, so they show as `***` unless the entity is the caller's own.
 */
function view(e: ResolvedEntity<Entity>, userId: string) {
  const value = { ...e.value } as Record<string, unknown>;
  if (e.source !== 'user') {
    if (value.env) value.env = Object.fromEntries(Object.keys(value.env as object).map((k) => [k, '***']));
    if (value.config) value.config = Object.fromEntries(Object.entries(value.config as object).map(([k, v]) => [k, SECRET_NAME.test(k) ? '***' : v]));
  }
  return {
    ...value,
    name: e.name,
    source: e.source,
    ...(e.entity ? { id: e.entity.id, is_public: e.entity.is_public, owned: e.entity.user_id === userId } : {}),
  };
}

/** A row just written, as its owner sees it. */
const own = (value: Entity, row: UserEntity): ResolvedEntity<Entity> => ({ name: row.name, value, source: 'user' as const, entity: row });

/**
 * Refuse what the caller may not write (module comment): a stdio MCP server by a non-admin, a
 * non-admin's MCP url at a private address, a tool named like a builtin or system tool.
 * @throws DomainError FORBIDDEN (`command`), BAD_REQUEST (`url`), CONFLICT (`name`).
 */
async function refuseForbidden(c: Context<AppEnv>, deps: AppDeps, kind: Kind, value: Entity): Promise<void> {
  if (kind === 'mcps' && (value as McpServer).command && !c.get('isAdmin')) {
    throw new DomainError('FORBIDDEN', 'only the admin may create stdio MCP servers (they run commands on the daemon host)', [
      {
        field: 'command',
        message: 'not allowed for this user',
        hint: 'use a Streamable HTTP server (`url`) or ask the admin (`caxton` over the control socket)',
      },
    ]);
  }
  const url = kind === 'mcps' ? (value as McpServer).url : undefined;
  const refusal = url && !c.get('isAdmin') && deps.checkMcpUrl ? await deps.checkMcpUrl(url) : undefined;
  if (refusal) {
    throw new DomainError('BAD_REQUEST', `MCP server url refused: ${refusal}`, [
      {
        field: 'url',
        message: refusal,
        hint: 'use a public http(s) address; an admin may allow private ones with [mcp] allow_private_urls = true in ares.toml, or create the server over the control socket',
      },
    ]);
  }
  if (kind === 'tools' && deps.catalog.isReservedToolName(value.name)) {
    throw new DomainError('CONFLICT', `tool name ${value.name} is taken by a builtin or system tool`, [
      {
        field: 'name',
        message: 'reserved for the builtin or system tool of that name',
        hint: `pick another name; agents reach the builtin or system ${value.name} by that name already`,
      },
    ]);
  }
}

/**
 * The request body as an entity of `kind` plus its optional `is_public`; `name` (from the path)
 * fills a body without one. @throws DomainError BAD_REQUEST (invalid), and those of `refuseForbidden`.
 */
async function parseEntity(c: Context<AppEnv>, deps: AppDeps, kind: Kind, name?: string): Promise<{ value: Entity; isPublic: boolean | undefined }> {
  const raw = await readJson(c, z.record(z.string(), z.unknown()));
  const { is_public, ...rest } = raw;
  if (is_public !== undefined && typeof is_public !== 'boolean')
    throw new DomainError('BAD_REQUEST', 'is_public must be a boolean', [{ field: 'is_public', message: 'expected boolean' }]);
  const value = validate(schemaOf(kind), name && rest.name === undefined ? { ...rest, name } : rest, labelOf(kind)) as Entity;
  await refuseForbidden(c, deps, kind, value);
  return { value, isPublic: is_public as boolean | undefined };
}

/** The route specs of one entity kind, relative to `/api/{kind}`. */
function entitySpecs(kind: Kind) {
  const label = labelOf(kind);
  const tags = [kind];
  const Body = z.intersection(schemaOf(kind), z.object({ is_public: z.boolean().optional() }));
  return {
    list: {
      method: 'get',
      path: '/',
      summary: `${label}s you can see: yours and the system's by name, other users' public ones as OWNER/NAME; each with source`,
      tags,
      responses: { 200: { description: 'list', schema: z.object({ [kind]: z.array(Out) }) } },
    },
    create: {
      method: 'post',
      path: '/',
      summary: `Create a user ${label}`,
      tags,
      body: Body,
      bodyReadByHandler: true,
      responses: {
        201: { description: 'created', schema: Out },
        400: { description: "invalid, or (MCP) a non-admin's url pointing at a private address", schema: ErrorSchema },
        403: { description: 'stdio MCP server by a non-admin', schema: ErrorSchema },
        409: {
          description: kind === 'tools' ? "you already have one of that name, or it is a builtin or system tool's name" : 'you already have one of that name',
          schema: ErrorSchema,
        },
      },
    },
    get: {
      method: 'get',
      path: '/{name}',
      summary: `One ${label} as you see it: NAME (yours, else the system's) or OWNER/NAME (URL-encoded: OWNER%2FNAME) for another user's public one`,
      tags,
      responses: { 200: { description: label, schema: Out }, 404: { description: 'not visible to you', schema: ErrorSchema } },
    },
    replace: {
      method: 'put',
      path: '/{name}',
      summary: `Replace one of your ${label}s`,
      tags,
      body: Body,
      bodyReadByHandler: true,
      responses: {
        200: { description: 'updated', schema: Out },
        400: { description: "invalid, or (MCP) a non-admin's url pointing at a private address", schema: ErrorSchema },
        403: { description: 'stdio MCP server by a non-admin', schema: ErrorSchema },
        404: { description: 'you have none of that name', schema: ErrorSchema },
        409: {
          description: kind === 'tools' ? "renamed onto one of yours, or the name is a builtin or system tool's" : 'renamed onto one of yours',
          schema: ErrorSchema,
        },
      },
    },
    remove: {
      method: 'delete',
      path: '/{name}',
      summary: `Delete one of your ${label}s`,
      tags,
      responses: { 204: { description: 'deleted' }, 404: { description: 'you have none of that name', schema: ErrorSchema } },
    },
  } satisfies Record<string, OpSpec>;
}

/** The CRUD routes of one entity kind under `/api/{kind}`. */
function entityGroup(deps: AppDeps, kind: Kind): Routes {
  const r = new Routes(`/api/${kind}`);
  const entities = deps.tenants.entities;
  const label = labelOf(kind);
  const specs = entitySpecs(kind);
  r.op(specs.list, async (c) =>
    c.json({ [kind]: ((await deps.catalog.list(kind as 'tools', c.get('userId'))) as ResolvedEntity<Entity>[]).map((e) => view(e, c.get('userId'))) }),
  );
  r.op(specs.create, async (c) => {
    const { value, isPublic } = await parseEntity(c, deps, kind);
    const row = await entities.insert(kind, c.get('userId'), value as never, isPublic ?? false);
    return c.json(view(own(value, row), c.get('userId')), 201);
  });
  r.op(specs.get, async (c) =>
    c.json(view((await deps.catalog.resolve(kind as 'tools', c.req.param('name')!, c.get('userId'))) as ResolvedEntity<Entity>, c.get('userId'))),
  );
  r.op(specs.replace, async (c) => {
    const name = c.req.param('name')!;
    const { value, isPublic } = await parseEntity(c, deps, kind, name);
    if (!(await entities.own(kind, c.get('userId'), name))) throw new DomainError('NOT_FOUND', `you have no ${label} named ${name}`);
    const row = await entities.update(kind, c.get('userId'), name, value as never, isPublic);
    return c.json(view(own(value, row), c.get('userId')));
  });
  r.op(specs.remove, async (c) => {
    const name = c.req.param('name')!;
    if (!(await entities.remove(kind, c.get('userId'), name))) throw new DomainError('NOT_FOUND', `you have no ${label} named ${name}`);
    return c.body(null, 204);
  });
  return r;
}

/** Entity routes for tools and MCP servers: one group under `/api/tools`, one under `/api/mcps`. */
export function entityRoutes(deps: AppDeps): Routes[] {
  return (['tools', 'mcps'] as const).map((kind) => entityGroup(deps, kind));
}
