/**
 * Agent routes (SPEC §6; DIR-12 Part 3; STORY-008): `/api/agents` CRUD over the user tier with
 * model/tool reference checks, `?format=toon|toml|json`, `/export` (text/x-toon + Content-Disposition),
 * `/import` by content type, `/chat` (JSON or SSE), `/rate`; the Caxton `/agents` paths reuse these
 * handlers (src/api/routes/caxton.ts). Every agent carries its `source` tier.
 * `:name` is a bare name (the caller's own agent, else the system's) or, URL-encoded, `OWNER%2FNAME`
 * for another user's public agent (SPEC §4); writes (PUT, DELETE) only ever touch the caller's own.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { AgentListing, ResolvedAgent } from '../../catalog/catalog.js';
import {
  AgentCreatedSchema,
  AgentDetailSchema,
  AgentPreviewSchema,
  AgentSummarySchema,
  ChatResultSchema,
  type Activity,
  type AgentSummary,
} from '../../domain/api-types.js';
import { AgentSchema, type Agent } from '../../domain/entities.js';
import { DomainError, type ErrorDetail } from '../../domain/errors.js';
import { NAME_PATTERN } from '../../domain/names.js';
import type { AppDeps, AppEnv, EntityFormat } from '../deps.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';
import type { AgentState } from '../../runtime/lifecycle.js';
import { RunEventStreamSchema, sseResponse } from '../sse.js';
import { collectRun, PROVIDER_HEADER, type AgentRunRequest, type StartAgentRun } from '../run.js';
import type { WireErrors } from '../errors.js';
import { lifecycleOf, statesOf } from './agent-lifecycle.js';
import { validate } from '../validate.js';

/** Content types of each text format (first = what we answer with). */
export const FORMAT_TYPES: Record<EntityFormat, string[]> = {
  toon: ['text/x-toon', 'text/toon', 'application/toon'],
  toml: ['application/toml', 'text/toml', 'text/x-toml'],
  json: ['application/json'],
};
const EXT: Record<EntityFormat, string> = { toon: 'toon', toml: 'toml', json: 'json' };
/** The text (non-JSON) entity types, accepted beside JSON by the import and update endpoints. */
const TEXT_TYPES = [...FORMAT_TYPES.toon, ...FORMAT_TYPES.toml];

/** The text format of a request body, from its Content-Type. @throws DomainError UNSUPPORTED_MEDIA_TYPE. */
export function formatOfContentType(header: string | undefined): EntityFormat {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  for (const [fmt, types] of Object.entries(FORMAT_TYPES) as [EntityFormat, string[]][]) if (types.includes(type)) return fmt;
  throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type ${type || '(none)'}`, [
    { field: 'content-type', message: 'not a supported format', hint: 'send text/x-toon, application/toml or application/json' },
  ]);
}

const FormatQuery = z.object({ format: z.enum(['toon', 'toml', 'json']).optional() });
/** A JSON agent to create (DIR-12), with its visibility. */
export const AgentBody = AgentSchema.extend({ is_public: z.boolean().optional() }).strict();
const UpdateBody = AgentSchema.extend({ name: AgentSchema.shape.name.optional(), is_public: z.boolean().optional() }).strict();
/** A chat or message body's `trace`: record this run's trace (true) or not (false) whatever `[runtime] trace` says. */
export const TraceFlag = z
  .boolean()
  .optional()
  .describe('record the run trace (`GET /api/executions/{id}/trace`); default `[runtime] trace` of ares.toml (false)');

/** A chat request: the message, the conversation to continue, whether to stream (SSE) and whether to trace. */
export const ChatBody = z
  .object({
    message: z.string().min(1, 'must not be empty'),
    conversation_id: z.string().min(1).optional(),
    stream: z.boolean().optional(),
    trace: TraceFlag,
  })
  .strict();
const RateBody = z.object({ stars: z.number().int().min(1).max(5) }).strict();
/** `?source=`: list only the agents of one tier. */
export const ListQuery = z.object({ source: z.enum(['user', 'community', 'system']).optional() });
/** `?dry_run=true`: validate and render the agent, store nothing (see createAgent). */
export const DryRunQuery = z.object({ dry_run: z.enum(['true', 'false']).optional() });
const ImportQuery = DryRunQuery.extend({ name: z.string().regex(NAME_PATTERN).optional(), public: z.enum(['true', 'false']).optional() });

/** The answers of the routes that create an agent (createAgent): 201, or 200 for a dry run. */
export const CREATE_RESPONSES = {
  200: { description: '?dry_run=true: validated and rendered, nothing stored', schema: AgentPreviewSchema },
  201: { description: 'created', schema: AgentCreatedSchema },
  409: { description: 'you already have an agent of that name', schema: ErrorSchema },
} satisfies OpSpec['responses'];

/** An agent's canonical text in each format (`?format=`), besides the JSON of `json`. */
const AGENT_TEXT = { [FORMAT_TYPES.toon[0]!]: z.string().describe('canonical TOON'), [FORMAT_TYPES.toml[0]!]: z.string().describe('canonical TOML') };

/**
 * The run a chat-style request asks for: `message` to agent `name` as the request's user, cancelled
 * when the client goes, logging through the request's logger; `trace` asks for (or against) a run trace.
 */
export function runRequest(c: Context<AppEnv>, name: string, message: string, conversationId: string | undefined, trace?: boolean): AgentRunRequest {
  const apiKeyId = c.get('apiKeyId');
  return {
    ...(trace !== undefined ? { options: { trace } } : {}),
    name,
    message,
    userId: c.get('userId'),
    signal: c.req.raw.signal,
    log: c.var.log,
    ...(apiKeyId ? { apiKeyId } : {}),
    ...(conversationId ? { conversationId } : {}),
  };
}

/** Summary of an agent as listed, with its lifecycle `state`. */
export function summary(r: AgentListing, state: AgentState): AgentSummary {
  const e = r.entity;
  return {
    id: e?.id ?? null,
    name: r.name,
    source: r.source,
    model: r.modelName,
    tools: r.agent.tools,
    capabilities: r.agent.capabilities,
    display_name: r.agent.display_name ?? null,
    description: r.agent.description ?? null,
    is_public: e ? e.is_public : true,
    usage_count: e?.usage_count ?? 0,
    rating: e && e.rating_count > 0 ? e.rating_sum / e.rating_count : null,
    rating_count: e?.rating_count ?? 0,
    state,
  };
}

/** @throws DomainError BAD_REQUEST (located details) when `agent` names a model or tool `userId` cannot reach. */
async function checkReferences(catalog: AppDeps['catalog'], agent: Agent, userId: string): Promise<void> {
  const problems = await catalog.checkAgentReferences(agent, userId);
  if (problems.length) throw new DomainError('BAD_REQUEST', `agent ${agent.name} references ${problems.map((p) => p.message).join('; ')}`, problems);
}

/**
 * Validate references, store, and answer 201 with the DIR-12 create response (with the reader's
 * `warnings`, e.g. W_DEPRECATED, when any); `?dry_run=true` validates and renders only (the CLI's
 * `agent create --interactive` preview). @throws DomainError BAD_REQUEST (references), CONFLICT (name taken).
 */
async function createAgent(deps: AppDeps, c: Context<AppEnv>, agent: Agent, isPublic: boolean, warnings: ErrorDetail[] = []): Promise<Response> {
  const { codec } = deps;
  await checkReferences(deps.catalog, agent, c.get('userId'));
  if (c.req.query('dry_run') === 'true') {
    return c.json({
      name: agent.name,
      display_name: agent.display_name ?? null,
      is_public: isPublic,
      toon_preview: codec.writeEntity('agents', agent, 'toon'),
    });
  }
  const row = await deps.tenants.entities.insert('agents', c.get('userId'), agent, isPublic);
  return c.json(
    {
      id: row.id,
      name: row.name,
      display_name: agent.display_name ?? null,
      created_at: row.created_at,
      api_endpoint: `/api/agents/${row.name}/chat`,
      source: 'user' as const,
      is_public: row.is_public,
      toon_preview: codec.writeEntity('agents', agent, 'toon'),
      ...(warnings.length ? { warnings } : {}),
    },
    201,
  );
}

/**
 * Parse a text body (TOON/TOML/JSON by Content-Type) into a validated agent, its `is_public` (JSON
 * bodies may carry it next to the agent fields, as POST /api/agents does) and the reader's warnings.
 * @throws DomainError UNSUPPORTED_MEDIA_TYPE, BAD_REQUEST (located parse or schema errors).
 */
async function parseAgentBody(
  codec: AppDeps['codec'],
  c: Context<AppEnv>,
  override: { name?: string } = {},
): Promise<{ agent: Agent; isPublic?: boolean; warnings: ErrorDetail[] }> {
  const format = formatOfContentType(c.req.header('content-type'));
  const parsed = codec.parseEntity('agents', await c.req.text(), format, `request.${EXT[format]}`);
  const errors = parsed.diagnostics.filter((d) => !d.code?.startsWith('W_'));
  if (errors.length || parsed.value === undefined) {
    const first = errors[0];
    throw new DomainError(
      'BAD_REQUEST',
      `invalid agent ${format.toUpperCase()}: ${first ? `${first.line ?? 1}:${first.col ?? 1}: ${first.code ?? ''} ${first.message}` : 'no value'}`,
      errors,
    );
  }
  const raw = { ...(parsed.value as Record<string, unknown>) };
  let isPublic: boolean | undefined;
  if (format === 'json' && typeof raw.is_public === 'boolean') {
    isPublic = raw.is_public;
    delete raw.is_public;
  }
  if (override.name) raw.name = override.name;
  const warnings = parsed.diagnostics.filter((d) => d.code?.startsWith('W_'));
  return { agent: validate(AgentSchema, raw, 'agent'), warnings, ...(isPublic !== undefined ? { isPublic } : {}) };
}

/** `agent` as canonical text in `format`; `attachment` adds a Content-Disposition file name `NAME.EXT`. */
function renderAgent(codec: AppDeps['codec'], c: Context<AppEnv>, agent: Agent, format: EntityFormat, attachment: boolean): Response {
  const headers: Record<string, string> = { 'content-type': `${FORMAT_TYPES[format][0]}; charset=utf-8` };
  // Names match NAME_PATTERN (letters, digits, _ and -), so the file name cannot carry path tricks.
  if (attachment) headers['content-disposition'] = `attachment; filename="${agent.name}.${EXT[format]}"`;
  return c.body(codec.writeEntity('agents', agent, format), 200, headers);
}

/** The agents the caller can use (`?source=` filters), as summaries; the community listing is most used, then best rated, first (SPEC §4). */
async function listAgents(deps: AppDeps, c: Context<AppEnv>): Promise<Response> {
  const source = c.req.query('source');
  let agents = await deps.catalog.listAgents(c.get('userId'));
  if (source) agents = agents.filter((a) => a.source === source);
  const stateOf = statesOf(deps.runtime.agents);
  const out = agents.map((a) => summary(a, stateOf(a)));
  if (source === 'community') out.sort((a, b) => b.usage_count - a.usage_count || (b.rating ?? 0) - (a.rating ?? 0) || a.name.localeCompare(b.name));
  return c.json({ agents: out });
}

/** Shared agent handlers of the `/api/agents` routes and the Caxton `/agents` routes (src/api/routes/caxton.ts). */
export function agentHandlers(deps: AppDeps) {
  return {
    create: (c: Context<AppEnv>, agent: Agent, isPublic: boolean, warnings: ErrorDetail[] = []) => createAgent(deps, c, agent, isPublic, warnings),
    parseBody: (c: Context<AppEnv>, override: { name?: string } = {}) => parseAgentBody(deps.codec, c, override),
    render: (c: Context<AppEnv>, agent: Agent, format: EntityFormat, attachment: boolean) => renderAgent(deps.codec, c, agent, format, attachment),
    list: (c: Context<AppEnv>) => listAgents(deps, c),
    /** Drop the runtime state (lifecycle) of the deleted user agent row `id`. */
    forgetRow: (id: string) => deps.runtime.agents.retain((key) => !key.endsWith(` (${id})`)),
  };
}

const tags = ['agents'];

/** `GET /api/agents`. */
const listSpec = {
  method: 'get',
  path: '/',
  summary:
    "Agents you can use, each with its source: yours and the system's by name (yours win), other users' public ones as OWNER/NAME (?source=community: most used, then best rated, first)",
  tags,
  query: ListQuery,
  responses: { 200: { description: 'agents', schema: z.object({ agents: z.array(AgentSummarySchema) }) } },
} satisfies OpSpec;

/** `POST /api/agents`. */
const createSpec = {
  method: 'post',
  path: '/',
  summary: 'Create a user agent (JSON as in DIR-12); checks model and tool references; ?dry_run=true only validates and previews',
  tags,
  body: AgentBody,
  query: DryRunQuery,
  responses: CREATE_RESPONSES,
} satisfies OpSpec;

/** `POST /api/agents/import`. */
const importSpec = {
  method: 'post',
  path: '/import',
  summary: 'Create a user agent from TOON, TOML or JSON text (by Content-Type); ?dry_run=true only validates and previews',
  tags,
  body: AgentBody,
  bodyReadByHandler: true,
  rawBody: TEXT_TYPES,
  query: ImportQuery,
  responses: CREATE_RESPONSES,
} satisfies OpSpec;

/** `GET /api/agents/{name}`. */
const getSpec = {
  method: 'get',
  path: '/{name}',
  summary:
    "One agent as you see it: NAME (yours, else the system's) or OWNER/NAME (URL-encoded: OWNER%2FNAME) for another user's public one; ?format=toon|toml|json gives its canonical text",
  tags,
  query: FormatQuery,
  responses: {
    200: {
      description: "the agent (JSON with source, state, lifecycle and today's activity), or with ?format= its canonical text (JSON: the agent's own fields)",
      schema: z.union([AgentDetailSchema, AgentSchema]),
      alternatives: AGENT_TEXT,
    },
    404: { description: 'not visible to you', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `GET /api/agents/{name}/export`. */
const exportSpec = {
  method: 'get',
  path: '/{name}/export',
  summary: 'Download the agent as canonical TOON (or ?format=toml|json)',
  tags,
  query: FormatQuery,
  responses: {
    200: {
      description: 'an attachment (Content-Disposition): canonical TOON, or the TOML or JSON ?format= asks for',
      contentType: FORMAT_TYPES.toon[0]!,
      schema: AGENT_TEXT[FORMAT_TYPES.toon[0]!]!,
      alternatives: { [FORMAT_TYPES.toml[0]!]: AGENT_TEXT[FORMAT_TYPES.toml[0]!]!, [FORMAT_TYPES.json[0]!]: AgentSchema },
    },
    404: { description: 'not visible to you', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `PUT /api/agents/{name}`. */
const replaceSpec = {
  method: 'put',
  path: '/{name}',
  summary: 'Replace one of your agents (JSON, or TOON/TOML by Content-Type); ?public=true|false sets visibility',
  tags,
  body: UpdateBody,
  query: z.object({ public: z.enum(['true', 'false']).optional() }),
  rawBody: TEXT_TYPES,
  responses: {
    200: { description: 'updated', schema: AgentCreatedSchema.omit({ warnings: true }).extend({ updated_at: z.number().describe('ms since epoch') }) },
    404: { description: 'you have no agent of that name', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `DELETE /api/agents/{name}`. */
const deleteSpec = {
  method: 'delete',
  path: '/{name}',
  summary: 'Delete one of your agents',
  tags,
  responses: { 204: { description: 'deleted' }, 404: { description: 'you have no agent of that name', schema: ErrorSchema } },
} satisfies OpSpec;

/**
 * `POST /api/agents/{name}/chat` `{message, conversation_id?, stream?}` -> `{reply, conversation_id,
 * execution_id, finish_reason, usage, cost_usd, duration_ms}`; SSE of RunEvents when streaming.
 */
const chatSpec = {
  method: 'post',
  path: '/{name}/chat',
  summary: 'Run the agent: JSON, or SSE when `stream` or Accept: text/event-stream',
  tags,
  body: ChatBody,
  responses: {
    200: { description: 'the reply, or an SSE stream of run events', schema: ChatResultSchema, alternatives: { 'text/event-stream': RunEventStreamSchema } },
    404: { description: 'agent or conversation not found', schema: ErrorSchema },
    429: { description: 'rate limit reached (`Retry-After`; src/api/middleware/rate-limit.ts)', schema: ErrorSchema },
    503: { description: 'the agent is stopped, failed or busy (streaming requests too: checked before the stream starts)', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `POST /api/agents/{name}/rate`. */
const rateSpec = {
  method: 'post',
  path: '/{name}/rate',
  summary: 'Rate a community agent 1..5 stars (one rating per user; needs a completed run of it; never your own)',
  tags,
  body: RateBody,
  responses: {
    200: { description: 'new totals', schema: z.object({ name: z.string(), rating: z.number(), rating_count: z.number() }) },
    403: { description: 'it is your own agent', schema: ErrorSchema },
    404: { description: 'not visible to you', schema: ErrorSchema },
    409: { description: 'you have no completed run of this agent yet', schema: ErrorSchema },
  },
} satisfies OpSpec;

/**
 * `resolved`'s runs today (UTC day; src/domain/api-types.ts ActivitySchema): every user's when
 * `userId` is undefined (the admin), else that user's. @throws DomainError UNAVAILABLE (database down).
 */
async function activityToday(deps: AppDeps, resolved: ResolvedAgent, userId: string | undefined): Promise<Activity> {
  const date = new Date().toISOString().slice(0, 10);
  const since = Date.parse(`${date}T00:00:00Z`);
  const rowId = resolved.entity?.id;
  const sums = await deps.tenants.history.agentActivity({ name: resolved.agent.name, since, ...(rowId ? { rowId } : {}), ...(userId ? { userId } : {}) });
  return { date, ...sums };
}

/** One agent as the caller sees it: canonical text with `?format=`, else JSON with source, state, lifecycle and today's activity. @throws DomainError NOT_FOUND. */
async function getAgent(deps: AppDeps, c: OpContext<typeof getSpec>): Promise<Response> {
  const { format } = c.req.valid('query');
  const resolved = await deps.catalog.resolveAgent(c.req.param('name')!, c.get('userId'));
  if (format) return renderAgent(deps.codec, c, resolved.agent, format, false);
  const lifecycle = lifecycleOf(deps.runtime.agents, resolved);
  const activity = await activityToday(deps, resolved, c.get('isAdmin') ? undefined : c.get('userId'));
  return c.json({
    ...resolved.agent,
    name: resolved.name,
    model: resolved.modelName,
    source: resolved.source,
    state: lifecycle.state,
    lifecycle,
    activity,
    ...(resolved.entity ? { id: resolved.entity.id, is_public: resolved.entity.is_public, usage_count: resolved.entity.usage_count } : {}),
  });
}

/**
 * The agent and visibility a PUT asks for: a JSON body (its `name` defaults to the path's) or a
 * TOON/TOML one; `?public=true|false` wins over the body's `is_public`.
 * @throws DomainError UNSUPPORTED_MEDIA_TYPE, BAD_REQUEST.
 */
async function replacement(deps: AppDeps, c: OpContext<typeof replaceSpec>, name: string): Promise<{ agent: Agent; isPublic: boolean | undefined }> {
  let agent: Agent;
  let isPublic: boolean | undefined;
  if (formatOfContentType(c.req.header('content-type') ?? 'application/json') === 'json') {
    const { is_public, ...rest } = c.req.valid('json');
    agent = validate(AgentSchema, { ...rest, name: rest.name ?? name }, 'agent');
    isPublic = is_public;
  } else {
    ({ agent, isPublic } = await parseAgentBody(deps.codec, c));
  }
  const pub = c.req.query('public');
  if (pub === 'true' || pub === 'false') isPublic = pub === 'true';
  return { agent, isPublic };
}

/** Replace one of the caller's agents. @throws DomainError NOT_FOUND (not the caller's), BAD_REQUEST, CONFLICT (renamed onto another). */
async function replaceAgent(deps: AppDeps, c: OpContext<typeof replaceSpec>): Promise<Response> {
  const name = c.req.param('name')!;
  const userId = c.get('userId');
  const entities = deps.tenants.entities;
  const { agent, isPublic } = await replacement(deps, c, name);
  if (!(await entities.own('agents', userId, name)))
    throw new DomainError('NOT_FOUND', `you have no agent named ${name}`, [
      { field: 'name', message: 'system and community agents are read-only', hint: 'create your own with POST /api/agents' },
    ]);
  await checkReferences(deps.catalog, agent, userId);
  const row = await entities.update('agents', userId, name, agent, isPublic);
  // Renamed: the runtime state under the old name's key goes (the agent is `loaded` under the new one).
  if (row.name !== name) deps.runtime.agents.retain((key) => key !== `${name} (${row.id})`);
  return c.json({
    id: row.id,
    name: row.name,
    display_name: agent.display_name ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
    api_endpoint: `/api/agents/${row.name}/chat`,
    source: 'user',
    is_public: row.is_public,
    toon_preview: deps.codec.writeEntity('agents', agent, 'toon'),
  });
}

/**
 * Run the agent: its result as JSON, or SSE of run events when `stream` or Accept: text/event-stream;
 * `X-Caxton-Provider` names the provider serving it. @throws DomainError NOT_FOUND, UNAVAILABLE, PROVIDER_UNAVAILABLE.
 */
async function chat(c: OpContext<typeof chatSpec>, startRun: StartAgentRun, wire: WireErrors): Promise<Response> {
  const body = c.req.valid('json');
  const { events, abort, provider } = await startRun(runRequest(c, c.req.param('name')!, body.message, body.conversation_id, body.trace));
  c.header(PROVIDER_HEADER, provider);
  const wantsStream = body.stream ?? (c.req.header('accept') ?? '').includes('text/event-stream');
  if (wantsStream) return sseResponse(c, events, abort, wire);
  const { type: _type, ...result } = await collectRun(events);
  return c.json(result);
}

/** Rate a user or community agent. @throws DomainError BAD_REQUEST (system agent), FORBIDDEN (own), CONFLICT (no completed run). */
async function rateAgent(deps: AppDeps, c: OpContext<typeof rateSpec>): Promise<Response> {
  const { stars } = c.req.valid('json');
  const resolved = await deps.catalog.resolveAgent(c.req.param('name')!, c.get('userId'));
  if (!resolved.entity)
    throw new DomainError('BAD_REQUEST', `system agent ${resolved.agent.name} cannot be rated`, [
      { field: 'name', message: 'only user and community agents have ratings' },
    ]);
  const totals = await deps.tenants.entities.rate(c.get('userId'), resolved.entity.id, stars);
  return c.json({ name: resolved.name, rating: totals.rating_sum / totals.rating_count, rating_count: totals.rating_count });
}

/** Agent routes under `/api/agents`. */
export function agentRoutes(deps: AppDeps, startRun: StartAgentRun, wire: WireErrors): Routes {
  const r = new Routes('/api/agents');
  const { create, parseBody, forgetRow } = agentHandlers(deps);
  const entities = deps.tenants.entities;
  r.op(listSpec, (c) => listAgents(deps, c));
  r.op(createSpec, (c) => {
    const { is_public, ...agent } = c.req.valid('json');
    return create(c, agent, is_public ?? false);
  });
  r.op(importSpec, async (c) => {
    const q = c.req.valid('query');
    const { agent, isPublic, warnings } = await parseBody(c, q.name ? { name: q.name } : {});
    return create(c, agent, q.public === 'true' || (isPublic ?? false), warnings);
  });
  r.op(getSpec, (c) => getAgent(deps, c));
  r.op(exportSpec, async (c) => {
    const agent = (await deps.catalog.resolveAgent(c.req.param('name')!, c.get('userId'))).agent;
    return renderAgent(deps.codec, c, agent, c.req.valid('query').format ?? 'toon', true);
  });
  r.op(replaceSpec, (c) => replaceAgent(deps, c));
  r.op(deleteSpec, async (c) => {
    const name = c.req.param('name')!;
    const row = await entities.own('agents', c.get('userId'), name);
    if (!row || !(await entities.remove('agents', c.get('userId'), name))) throw new DomainError('NOT_FOUND', `you have no agent named ${name}`);
    forgetRow(row.id);
    return c.body(null, 204);
  });
  r.op(chatSpec, (c) => chat(c, startRun, wire));
  r.op(rateSpec, (c) => rateAgent(deps, c));
  return r;
}
