/**
 * Per-user history (SPEC §6, §7): `GET /api/executions` (the `agent_executions` log, filtered and
 * paged on the server), `GET /api/executions/stats` (per-agent runs, errors, p50 latency, tokens and
 * cost over a window), `GET /api/executions/:id/trace` (a run's stored trace, docs/testing.md) and
 * `GET /api/conversations`, `GET|DELETE /api/conversations/:id` (with the participants and authored
 * messages of shared conversations, src/api/routes/conversations.ts),
 * `DELETE /api/conversations/:id/messages`. Only the caller's own rows exist, except that the
 * admin's stats cover every user's runs (and the admin reads any run's trace).
 */
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { FINISH_REASONS } from '../../domain/finish-reasons.js';
import { RUN_STATUSES } from '../../domain/run-status.js';
import { parseTraceKinds, RunTraceSchema, TRACE_STEP_KINDS, type RunTrace } from '../../domain/run-trace.js';
import type { ExecutionRecord } from '../../store/types.js';
import type { AppDeps } from '../deps.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

/** The opaque page cursor of `GET /api/executions`: base64url of `created_at:id` of a page's last row. */
const cursorOf = (row: ExecutionRecord) => Buffer.from(`${row.created_at}:${row.id}`).toString('base64url');
const CURSOR = /^(\d{1,16}):(.+)$/s;

/** A time filter: ms since epoch. */
const Millis = z.coerce.number().int().min(0);

/** `GET /api/executions` filters (each applied when present; see ExecutionQuery). */
const ExecutionsQuery = ListQuery.extend({
  agent: z.string().optional().describe('agent name'),
  status: z.enum(RUN_STATUSES).optional(),
  finish_reason: z.enum(FINISH_REASONS).optional(),
  since: Millis.optional().describe('runs created at or after this time (ms since epoch)'),
  until: Millis.optional().describe('runs created before this time (ms since epoch)'),
  cursor: z
    .string()
    .optional()
    .describe('`next_cursor` of the previous page')
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const m = CURSOR.exec(Buffer.from(v, 'base64url').toString());
      if (m) return { created_at: Number(m[1]), id: m[2]! };
      ctx.addIssue({ code: 'custom', message: 'not a cursor of this listing; pass next_cursor of the previous page as it was returned' });
      return z.NEVER;
    }),
});

/** `GET /api/executions/stats` window: seconds back from now (1 minute to 7 days; the dashboard asks for the last hour). */
const StatsQuery = z.object({
  window: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(3600)
    .describe('seconds'),
});

const AgentStatsSchema = z.object({
  agent: z.string(),
  runs: z.number().int().describe('runs started in the window, in flight included'),
  errors: z.number().int().describe('runs ended in error or timeout'),
  p50_ms: z.number().nullable().describe('median duration of the ended runs (ms); null when none ended'),
  tokens: z.number().int().describe('input plus output tokens'),
  cost_usd: z.number(),
});

/** `?kind=model_call,tool_call`: only steps of these kinds (comma-separated). */
const TraceQuery = z.object({
  kind: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      const parsed = v === undefined ? undefined : parseTraceKinds(v);
      if (parsed && 'unknown' in parsed)
        ctx.addIssue({ code: 'custom', message: `unknown step kind ${parsed.unknown}; one of ${TRACE_STEP_KINDS.join(', ')}` });
    })
    .describe(`step kinds to keep, comma-separated: ${TRACE_STEP_KINDS.join(', ')}`),
});

const tags = ['history'];

/** `GET /api/executions`. */
const executionsSpec = {
  method: 'get',
  path: '/executions',
  summary: 'Your agent runs, newest first (tokens, cost USD, duration ms, status), filtered by agent, status, finish reason and time, paged by cursor',
  tags,
  query: ExecutionsQuery,
  responses: {
    200: {
      description: 'one page of executions; `next_cursor` is present when more match',
      schema: z.object({
        executions: z.array(z.object({ id: z.string(), agent_name: z.string(), status: z.string() }).loose()),
        next_cursor: z.string().optional().describe('pass as `cursor` for the next page'),
      }),
    },
  },
} satisfies OpSpec;

/** `GET /api/executions/stats`: per-agent figures over the last `window` seconds and each agent's latest run start (the dashboard's last activity). */
const statsSpec = {
  method: 'get',
  path: '/executions/stats',
  summary:
    "Per-agent runs, errors, p50 latency (ms), tokens and cost (USD) over the last `window` seconds, and each agent's latest run start: your runs (the admin: everyone's)",
  tags,
  query: StatsQuery,
  responses: {
    200: {
      description: 'stats per agent name, ordered by name; agents without runs in the window are absent',
      schema: z.object({
        since: z.number().int().describe('start of the window (ms since epoch)'),
        agents: z.array(AgentStatsSchema),
        last_run_at: z
          .record(z.string(), z.number().int())
          .describe('agent name -> when its latest run started (ms since epoch), over all time, not just the window; agents that never ran are absent'),
      }),
    },
  },
} satisfies OpSpec;

/** `GET /api/executions/{id}/trace`: the run trace stored with an execution (src/domain/run-trace.ts). */
const traceSpec = {
  method: 'get',
  path: '/executions/{id}/trace',
  summary: 'The step-by-step trace of one of your runs (prompt, variables, messages, model and tool calls, end), when it recorded one',
  tags,
  query: TraceQuery,
  responses: {
    200: { description: 'trace', schema: RunTraceSchema },
    404: { description: 'no trace recorded for that execution, or not yours', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `GET /api/conversations`. */
const conversationsSpec = {
  method: 'get',
  path: '/conversations',
  summary: 'Your conversations, most recent first',
  tags,
  query: ListQuery.pick({ limit: true }),
  responses: {
    200: { description: 'conversations', schema: z.object({ conversations: z.array(z.object({ id: z.string(), agent_name: z.string() }).loose()) }) },
  },
} satisfies OpSpec;

/** A conversation as `GET /api/conversations/{id}` answers it: messages, participants and summary (times in ms since epoch). */
const ConversationDetailSchema = z
  .object({
    id: z.string(),
    participants: z.array(z.object({ agent: z.string(), joined_at: z.number() })).describe('agents of a shared conversation in listed order; empty otherwise'),
    messages: z.array(
      z
        .object({
          role: z.string(),
          content: z.string(),
          author: z.string().optional().describe('`user`, or the agent that wrote it (shared conversations)'),
          to: z.string().optional().describe('a participant, `all`, or `user` (shared conversations)'),
        })
        .loose(),
    ),
    summary: z
      .object({
        text: z.string(),
        covers: z.number().int().describe('how many of the oldest messages it stands in for'),
        created_at: z.number().describe('ms since epoch'),
      })
      .optional()
      .describe("the summary standing in for the oldest messages in the agent's prompt (agent `memory.summarize`); absent when none was made"),
  })
  .loose();

/** `GET /api/conversations/{id}`. */
const conversationSpec = {
  method: 'get',
  path: '/conversations/{id}',
  summary:
    'One of your conversations with its messages (author and addressee where recorded), its participants (shared conversations) and the summary of its oldest messages',
  tags,
  responses: {
    200: { description: 'conversation', schema: ConversationDetailSchema },
    404: { description: 'not yours or absent', schema: ErrorSchema },
  },
} satisfies OpSpec;

/**
 * `DELETE /api/conversations/{id}` -> 204. 404 when not the caller's; 409 CONFLICT while a run is
 * continuing it (the run would write into a deleted conversation): nothing is deleted, the caller
 * waits for the run to end (or cancels it by closing that request) and deletes again.
 */
const deleteConversationSpec = {
  method: 'delete',
  path: '/conversations/{id}',
  summary: 'Delete one of your conversations (409 while a run is using it)',
  tags,
  responses: {
    204: { description: 'deleted' },
    404: { description: 'not yours or absent', schema: ErrorSchema },
    409: { description: 'a run is using the conversation; retry once it has ended', schema: ErrorSchema },
  },
} satisfies OpSpec;

/**
 * `DELETE /api/conversations/{id}/messages` -> `{deleted}` (STORY-019 clear a conversation's context):
 * its messages and its summary go, the conversation and its executions stay, and the next turn starts without
 * history. 404 when not the caller's; 409 CONFLICT while a run is continuing it.
 */
const clearMessagesSpec = {
  method: 'delete',
  path: '/conversations/{id}/messages',
  summary: "Clear one of your conversations' context: delete its messages and summary, keep the conversation (409 while a run is using it)",
  tags,
  responses: {
    200: { description: 'cleared', schema: z.object({ deleted: z.number().int().describe('messages deleted') }) },
    404: { description: 'not yours or absent', schema: ErrorSchema },
    409: { description: 'a run is using the conversation; retry once it has ended', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** One page of the caller's executions, newest first, with `next_cursor` when more match. */
async function listExecutions(deps: AppDeps, c: OpContext<typeof executionsSpec>): Promise<Response> {
  const { cursor, limit, ...filters } = c.req.valid('query');
  const rows = await deps.tenants.history.executions(c.get('userId'), { ...filters, limit: limit + 1, ...(cursor ? { after: cursor } : {}) });
  const page = rows.slice(0, limit);
  return c.json({ executions: page, ...(rows.length > limit ? { next_cursor: cursorOf(page[page.length - 1]!) } : {}) });
}

/** Per-agent stats over the window and each agent's latest run start: the caller's runs, the admin's: everyone's. */
async function executionStats(deps: AppDeps, c: OpContext<typeof statsSpec>): Promise<Response> {
  const history = deps.tenants.history;
  const since = Date.now() - c.req.valid('query').window * 1000;
  const userId = c.get('isAdmin') ? undefined : c.get('userId');
  const who = userId ? { userId } : {};
  const [agents, lastRunAt] = await Promise.all([history.agentStats({ since, ...who }), history.lastRunAt(who)]);
  return c.json({ since, agents, last_run_at: lastRunAt });
}

/**
 * The trace stored with execution `id`, its steps filtered by `?kind=`. The execution's user or an
 * admin only. @throws DomainError NOT_FOUND for anyone else, and when the run recorded no trace (tracing off).
 */
async function executionTrace(deps: AppDeps, c: OpContext<typeof traceSpec>): Promise<Response> {
  const id = c.req.param('id')!;
  const found = await deps.tenants.history.trace(id);
  if (!found || (found.user_id !== c.get('userId') && !c.get('isAdmin'))) {
    throw new DomainError('NOT_FOUND', `no trace recorded for execution ${id}`, [
      { field: 'id', message: 'no trace', hint: 'traces are recorded when asked: `trace: true` in the request, --trace, or [runtime] trace = true' },
    ]);
  }
  const trace = JSON.parse(found.trace) as RunTrace;
  const { kind } = c.req.valid('query');
  const parsed = kind === undefined ? undefined : parseTraceKinds(kind);
  if (parsed && 'kinds' in parsed && parsed.kinds.length) trace.steps = trace.steps.filter((s) => parsed.kinds.includes(s.kind));
  return c.json(trace);
}

/** One of the caller's conversations with its participants, authored messages and summary. @throws DomainError NOT_FOUND. */
async function getConversation(deps: AppDeps, c: OpContext<typeof conversationSpec>): Promise<Response> {
  const id = c.req.param('id')!;
  const conv = await deps.conversations.get(id, c.get('userId'));
  if (!conv) throw new DomainError('NOT_FOUND', `conversation ${id} not found`);
  const { conversations } = deps;
  const [participants, messages, summary] = await Promise.all([conversations.participants(id), conversations.authoredMessages(id), conversations.summary(id)]);
  return c.json({ ...conv, participants, messages, ...(summary ? { summary } : {}) });
}

/** Delete one of the caller's conversations. @throws DomainError NOT_FOUND (not the caller's), CONFLICT (a run is using it). */
async function deleteConversation(deps: AppDeps, c: OpContext<typeof deleteConversationSpec>): Promise<Response> {
  const id = c.req.param('id')!;
  const userId = c.get('userId');
  if (!(await deps.conversations.get(id, userId))) throw new DomainError('NOT_FOUND', `conversation ${id} not found`);
  if (deps.runtime.conversationInUse(id)) {
    const message = `conversation ${id} is in use by a run`;
    throw new DomainError('CONFLICT', message, [
      { field: 'id', message, hint: 'wait until the run ends (or cancel it by closing its request), then delete again' },
    ]);
  }
  await deps.tenants.history.deleteConversation(id, userId);
  return c.body(null, 204);
}

/** Delete the messages and summary of one of the caller's conversations. @throws DomainError NOT_FOUND (not the caller's), CONFLICT (a run is using it). */
async function clearMessages(deps: AppDeps, c: OpContext<typeof clearMessagesSpec>): Promise<Response> {
  const id = c.req.param('id')!;
  const userId = c.get('userId');
  if (!(await deps.conversations.get(id, userId))) throw new DomainError('NOT_FOUND', `conversation ${id} not found`);
  if (deps.runtime.conversationInUse(id)) {
    throw new DomainError('CONFLICT', `conversation ${id} is in use by a run`, [
      { field: 'id', message: 'in use by a run', hint: 'wait until the run ends (or cancel it by closing its request), then clear again' },
    ]);
  }
  return c.json({ deleted: await deps.tenants.history.clearMessages(id, userId) });
}

/** History routes under `/api`. */
export function historyRoutes(deps: AppDeps): Routes {
  const r = new Routes('/api');
  r.op(executionsSpec, (c) => listExecutions(deps, c));
  r.op(statsSpec, (c) => executionStats(deps, c));
  r.op(traceSpec, (c) => executionTrace(deps, c));
  r.op(conversationsSpec, async (c) => {
    const q = c.req.valid('query');
    return c.json({ conversations: await deps.tenants.history.conversations(c.get('userId'), { limit: q.limit }) });
  });
  r.op(conversationSpec, (c) => getConversation(deps, c));
  r.op(deleteConversationSpec, (c) => deleteConversation(deps, c));
  r.op(clearMessagesSpec, (c) => clearMessages(deps, c));
  return r;
}
