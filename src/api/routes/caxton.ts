/**
 * The Caxton compatibility paths (STORY-008): `GET|POST /agents`, `GET|DELETE /agents/:id` (a user
 * agent's id `agent_…` or any visible agent's name) and `POST /agents/:name/message` `{text,
 * conversation_id?}`. They share their handlers with `/api/agents` (src/api/routes/agents.ts).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { AgentListing } from '../../catalog/catalog.js';
import { AgentSummarySchema, ChatResultSchema } from '../../domain/api-types.js';
import { DomainError } from '../../domain/errors.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { ErrorSchema, Routes, type OpSpec } from '../openapi.js';
import { collectRun, PROVIDER_HEADER, type StartAgentRun } from '../run.js';
import { lifecycleOf } from './agent-lifecycle.js';
import { AgentBody, agentHandlers, CREATE_RESPONSES, DryRunQuery, FORMAT_TYPES, ListQuery, runRequest, summary, TraceFlag } from './agents.js';

const MessageBody = z.object({ text: z.string().min(1, 'must not be empty'), conversation_id: z.string().min(1).optional(), trace: TraceFlag }).strict();

const tags = ['caxton'];

/** `GET /agents`. */
const listSpec = {
  method: 'get',
  path: '/',
  summary: 'List agents (Caxton path; same as GET /api/agents)',
  tags,
  query: ListQuery,
  responses: { 200: { description: 'agents', schema: z.object({ agents: z.array(AgentSummarySchema) }) } },
} satisfies OpSpec;

/** `POST /agents`: TOML, TOON or JSON by Content-Type. */
const deploySpec = {
  method: 'post',
  path: '/',
  summary: 'Deploy an agent from TOML (or TOON / JSON by Content-Type); ?dry_run=true only validates and previews',
  tags,
  body: AgentBody,
  bodyReadByHandler: true,
  rawBody: [...FORMAT_TYPES.toml, ...FORMAT_TYPES.toon],
  query: DryRunQuery,
  responses: CREATE_RESPONSES,
} satisfies OpSpec;

/** `GET /agents/{id}`. */
const getSpec = {
  method: 'get',
  path: '/{id}',
  summary: 'One agent by id or name (Caxton path)',
  tags,
  responses: {
    200: { description: 'the agent', schema: z.object({ name: z.string(), source: z.string() }).loose() },
    404: { description: 'not visible to you', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `DELETE /agents/{id}`. */
const deleteSpec = {
  method: 'delete',
  path: '/{id}',
  summary: 'Remove one of your agents by id or name (Caxton path)',
  tags,
  responses: { 204: { description: 'deleted' }, 404: { description: 'you have no such agent', schema: ErrorSchema } },
} satisfies OpSpec;

/** `POST /agents/{name}/message` `{"text"}` -> `{reply, conversation_id, execution_id, agent, ...}`. */
const messageSpec = {
  method: 'post',
  path: '/{name}/message',
  summary: 'Send one message to an agent (Caxton path)',
  tags,
  body: MessageBody,
  responses: {
    200: { description: 'reply', schema: ChatResultSchema.extend({ agent: z.string() }) },
    404: { description: 'agent or conversation not found', schema: ErrorSchema },
    503: { description: 'the agent is stopped, failed or busy', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** The agent the path's `{id}` names: a user agent's id (`agent_…`) or any visible agent's name. @throws DomainError NOT_FOUND. */
async function byId(deps: AppDeps, c: Context<AppEnv>): Promise<AgentListing> {
  const id = c.req.param('id')!;
  const userId = c.get('userId');
  const found = (await deps.catalog.listAgents(userId)).find((a) => a.entity?.id === id);
  return found ?? (await deps.catalog.resolveAgent(id, userId));
}

/** The Caxton `/agents` routes. */
export function caxtonRoutes(deps: AppDeps, startRun: StartAgentRun): Routes {
  const r = new Routes('/agents');
  const entities = deps.tenants.entities;
  const { create, parseBody, list, forgetRow } = agentHandlers(deps);
  r.op(listSpec, list);
  r.op(deploySpec, async (c) => {
    const { agent, isPublic, warnings } = await parseBody(c);
    return create(c, agent, isPublic ?? false, warnings);
  });
  r.op(getSpec, async (c) => {
    const a = await byId(deps, c);
    return c.json({ ...summary(a, lifecycleOf(deps.runtime.agents, a).state), agent: a.agent });
  });
  r.op(deleteSpec, async (c) => {
    const a = await byId(deps, c);
    if (a.entity?.user_id !== c.get('userId') || !(await entities.remove('agents', c.get('userId'), a.agent.name)))
      throw new DomainError('NOT_FOUND', `you have no agent ${c.req.param('id')}`);
    forgetRow(a.entity.id);
    return c.body(null, 204);
  });
  r.op(messageSpec, async (c) => {
    const body = c.req.valid('json');
    const name = c.req.param('name')!;
    const { events, provider } = await startRun(runRequest(c, name, body.text, body.conversation_id, body.trace));
    c.header(PROVIDER_HEADER, provider);
    const { type: _type, ...result } = await collectRun(events);
    return c.json({ agent: name, ...result });
  });
  return r;
}
