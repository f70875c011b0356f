/**
 * Per-user history (SPEC §6, §7): `GET /api/executions` (the `agent_executions` log), `GET
 * /api/executions/:id/trace` (a run's stored trace, docs/testing.md) and
 * `GET /api/conversations`, `GET|DELETE /api/conversations/:id`, `DELETE /api/conversations/:id/messages`. Only the caller's own rows exist.
 */
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { parseTraceKinds, RunTraceSchema, TRACE_STEP_KINDS, type RunTrace } from '../../domain/run-trace.js';
import type { AppDeps } from '../deps.js';
import { ErrorSchema, Routes } from '../openapi.js';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50), agent: z.string().optional() });

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

/** History routes. */
export function historyRoutes(deps: AppDeps): Routes {
  const r = new Routes('/api');
  const history = deps.tenants.history;

  r.op(
    {
      method: 'get',
      path: '/executions',
      summary: 'Your agent runs, newest first (tokens, cost USD, duration ms, status)',
      tags: ['history'],
      query: ListQuery,
      responses: {
        200: {
          description: 'executions',
          schema: z.object({ executions: z.array(z.object({ id: z.string(), agent_name: z.string(), status: z.string() }).loose()) }),
        },
      },
    },
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ executions: await history.executions(c.get('userId'), { limit: q.limit, ...(q.agent ? { agent: q.agent } : {}) }) });
    },
  );

  /**
   * GET /api/executions/:id/trace -> the run trace stored with execution `id` (src/domain/run-trace.ts),
   * its steps filtered by `?kind=`. The execution's user or an admin only: 404 for anyone else, and
   * when the run recorded no trace (tracing off).
   */
  r.op(
    {
      method: 'get',
      path: '/executions/{id}/trace',
      summary: 'The step-by-step trace of one of your runs (prompt, variables, messages, model and tool calls, end), when it recorded one',
      tags: ['history'],
      query: TraceQuery,
      responses: {
        200: { description: 'trace', schema: RunTraceSchema },
        404: { description: 'no trace recorded for that execution, or not yours', schema: ErrorSchema },
      },
    },
    async (c) => {
      const id = c.req.param('id')!;
      const found = await history.trace(id);
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
    },
  );

  r.op(
    {
      method: 'get',
      path: '/conversations',
      summary: 'Your conversations, most recent first',
      tags: ['history'],
      query: ListQuery.pick({ limit: true }),
      responses: {
        200: { description: 'conversations', schema: z.object({ conversations: z.array(z.object({ id: z.string(), agent_name: z.string() }).loose()) }) },
      },
    },
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ conversations: await history.conversations(c.get('userId'), { limit: q.limit }) });
    },
  );

  r.op(
    {
      method: 'get',
      path: '/conversations/{id}',
      summary: 'One of your conversations with its messages',
      tags: ['history'],
      responses: {
        200: {
          description: 'conversation',
          schema: z.object({ id: z.string(), messages: z.array(z.object({ role: z.string(), content: z.string() }).loose()) }).loose(),
        },
        404: { description: 'not yours or absent', schema: ErrorSchema },
      },
    },
    async (c) => {
      const id = c.req.param('id')!;
      const conv = await deps.conversations.get(id, c.get('userId'));
      if (!conv) throw new DomainError('NOT_FOUND', `conversation ${id} not found`);
      return c.json({ ...conv, messages: await deps.conversations.messages(id) });
    },
  );

  /**
   * DELETE /api/conversations/:id -> 204. 404 when not the caller's; 409 CONFLICT while a run is
   * continuing it (the run would write into a deleted conversation): nothing is deleted, the caller
   * waits for the run to end (or cancels it by closing that request) and deletes again.
   */
  r.op(
    {
      method: 'delete',
      path: '/conversations/{id}',
      summary: 'Delete one of your conversations (409 while a run is using it)',
      tags: ['history'],
      responses: {
        204: { description: 'deleted' },
        404: { description: 'not yours or absent', schema: ErrorSchema },
        409: { description: 'a run is using the conversation; retry once it has ended', schema: ErrorSchema },
      },
    },
    async (c) => {
      const id = c.req.param('id')!;
      const userId = c.get('userId');
      if (!(await deps.conversations.get(id, userId))) throw new DomainError('NOT_FOUND', `conversation ${id} not found`);
      if (deps.runtime.conversationInUse(id)) {
        const message = `conversation ${id} is in use by a run`;
        throw new DomainError('CONFLICT', message, [
          { field: 'id', message, hint: 'wait until the run ends (or cancel it by closing its request), then delete again' },
        ]);
      }
      await history.deleteConversation(id, userId);
      return c.body(null, 204);
    },
  );

  /**
   * DELETE /api/conversations/:id/messages -> `{deleted}` (STORY-019 clear a conversation's context):
   * its messages go, the conversation and its executions stay, and the next turn starts without
   * history. 404 when not the caller's; 409 CONFLICT while a run is continuing it.
   */
  r.op(
    {
      method: 'delete',
      path: '/conversations/{id}/messages',
      summary: "Clear one of your conversations' context: delete its messages, keep the conversation (409 while a run is using it)",
      tags: ['history'],
      responses: {
        200: { description: 'cleared', schema: z.object({ deleted: z.number().int().describe('messages deleted') }) },
        404: { description: 'not yours or absent', schema: ErrorSchema },
        409: { description: 'a run is using the conversation; retry once it has ended', schema: ErrorSchema },
      },
    },
    async (c) => {
      const id = c.req.param('id')!;
      const userId = c.get('userId');
      if (!(await deps.conversations.get(id, userId))) throw new DomainError('NOT_FOUND', `conversation ${id} not found`);
      if (deps.runtime.conversationInUse(id)) {
        throw new DomainError('CONFLICT', `conversation ${id} is in use by a run`, [
          { field: 'id', message: 'in use by a run', hint: 'wait until the run ends (or cancel it by closing its request), then clear again' },
        ]);
      }
      return c.json({ deleted: await history.clearMessages(id, userId) });
    },
  );
  return r;
}
