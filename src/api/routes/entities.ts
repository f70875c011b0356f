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
import { ErrorSchema, Routes } from '../openapi.js';
import { readJson, validate } from '../validate.js';

type Kind = 'tools' | 'mcps';

/** Entity routes for tools and MCP servers. */
export function entityRoutes(deps: AppDeps): Routes[] {
  const groups: Routes[] = [];
  const entities = deps.tenants.entities;

  const view = (e: ResolvedEntity<Tool | McpServer>, userId: string) => {
    const value = { ...e.value } as Record<string, unknown>;
    // Env values and config entries under secret names (src/domain/secrets.ts SECRET_NAME) may hold tokens: only their owner sees them.
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
  };

  for (const kind of ['tools', 'mcps'] as Kind[]) {
    const schema = kind === 'tools' ? ToolSchema : McpServerSchema;
    const r = new Routes(`/api/${kind}`);
    groups.push(r);
    const label = kind === 'tools' ? 'tool' : 'MCP server';
    const tags = [kind];
    const Body = z.intersection(schema, z.object({ is_public: z.boolean().optional() }));
    const Out = z.object({ name: z.string(), source: z.enum(['user', 'community', 'system']) }).loose();

    const parse = async (c: Context<AppEnv>, name?: string) => {
      const raw = await readJson(c, z.record(z.string(), z.unknown()));
      const { is_public, ...rest } = raw;
      if (is_public !== undefined && typeof is_public !== 'boolean')
        throw new DomainError('BAD_REQUEST', 'is_public must be a boolean', [{ field: 'is_public', message: 'expected boolean' }]);
      const value = validate(schema, name && rest.name === undefined ? { ...rest, name } : rest, label) as Tool | McpServer;
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
      return { value, isPublic: is_public as boolean | undefined };
    };
    /** A row just written, as its owner sees it. */
    const own = (value: Tool | McpServer, row: UserEntity) => ({ name: row.name, value, source: 'user' as const, entity: row });

    r.op(
      {
        method: 'get',
        path: '/',
        summary: `${label}s you can see: yours and the system's by name, other users' public ones as OWNER/NAME; each with source`,
        tags,
        responses: { 200: { description: 'list', schema: z.object({ [kind]: z.array(Out) }) } },
      },
      (c) =>
        c.json({ [kind]: (deps.catalog.list(kind as 'tools', c.get('userId')) as ResolvedEntity<Tool | McpServer>[]).map((e) => view(e, c.get('userId'))) }),
    );
    r.op(
      {
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
      async (c) => {
        const { value, isPublic } = await parse(c);
        const row = entities.insert(kind, c.get('userId'), value as never, isPublic ?? false);
        return c.json(view(own(value, row), c.get('userId')), 201);
      },
    );
    r.op(
      {
        method: 'get',
        path: '/{name}',
        summary: `One ${label} as you see it: NAME (yours, else the system's) or OWNER/NAME (URL-encoded: OWNER%2FNAME) for another user's public one`,
        tags,
        responses: { 200: { description: label, schema: Out }, 404: { description: 'not visible to you', schema: ErrorSchema } },
      },
      (c) => c.json(view(deps.catalog.resolve(kind as 'tools', c.req.param('name')!, c.get('userId')) as ResolvedEntity<Tool | McpServer>, c.get('userId'))),
    );
    r.op(
      {
        method: 'put',
        path: '/{name}',
        summary: `Replace one of your ${label}s`,
        tags,
        body: Body,
        bodyReadByHandler: true,
        responses: {
          200: { description: 'updated', schema: Out },
          404: { description: 'you have none of that name', schema: ErrorSchema },
          409: {
            description: kind === 'tools' ? "renamed onto one of yours, or the name is a builtin or system tool's" : 'renamed onto one of yours',
            schema: ErrorSchema,
          },
        },
      },
      async (c) => {
        const name = c.req.param('name')!;
        const { value, isPublic } = await parse(c, name);
        if (!entities.own(kind, c.get('userId'), name)) throw new DomainError('NOT_FOUND', `you have no ${label} named ${name}`);
        const row = entities.update(kind, c.get('userId'), name, value as never, isPublic);
        return c.json(view(own(value, row), c.get('userId')));
      },
    );
    r.op(
      {
        method: 'delete',
        path: '/{name}',
        summary: `Delete one of your ${label}s`,
        tags,
        responses: { 204: { description: 'deleted' }, 404: { description: 'you have none of that name', schema: ErrorSchema } },
      },
      (c) => {
        const name = c.req.param('name')!;
        if (!entities.remove(kind, c.get('userId'), name)) throw new DomainError('NOT_FOUND', `you have no ${label} named ${name}`);
        return c.body(null, 204);
      },
    );
  }
  return groups;
}
