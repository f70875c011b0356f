/**
 * The approval gate's routes (src/api/approvals.ts): `POST /api/executions/{id}/approve` and
 * `/reject {reason?}` resume a paused run and answer like agent chat (JSON, or SSE with `stream` or
 * Accept: text/event-stream); `GET /api/approvals` lists the runs waiting for a decision. Only the
 * run's user (or the admin) sees or decides a paused run: anyone else gets 404.
 */
import { z } from 'zod';
import { ChatResultSchema } from '../../domain/api-types.js';
import type { Context } from 'hono';
import type { Approvals } from '../approvals.js';
import type { AppEnv } from '../deps.js';
import type { WireErrors } from '../errors.js';
import { ErrorSchema, Routes } from '../openapi.js';
import { collectRun, PROVIDER_HEADER } from '../run.js';
import { RunEventStreamSchema, sseResponse } from '../sse.js';

const tags = ['approvals'];

const PendingCallSchema = z.object({ id: z.string(), name: z.string(), arguments: z.string().describe('the JSON text the model wrote') });

/** A paused run as listed (`GET /api/approvals`). Times in ms since epoch. */
export const PendingApprovalSchema = z.object({
  execution_id: z.string(),
  user_id: z.string(),
  agent: z.string().describe('the agent as its user addresses it'),
  conversation_id: z.string().optional(),
  calls: z.array(PendingCallSchema),
  input: z.string().describe("the run's user message"),
  created_at: z.number(),
  expires_at: z.number().describe("when the calls are rejected by `system` unless decided (the agent's `approval_timeout_secs`)"),
});

const DecisionBody = z.object({ stream: z.boolean().optional() }).strict();
const RejectBody = DecisionBody.extend({ reason: z.string().max(2000).optional().describe('sent to the model as `rejected by USER: reason`') }).strict();

const decisionResponses = {
  200: {
    description: 'the rest of the run (as agent chat answers), or an SSE stream of its events',
    schema: ChatResultSchema,
    alternatives: { 'text/event-stream': RunEventStreamSchema },
  },
  404: { description: 'no run awaiting approval with that id that you may decide', schema: ErrorSchema },
  409: { description: 'already approved or rejected (the first decision won)', schema: ErrorSchema },
  503: { description: 'the agent is stopped, failed or busy: the decision was not taken', schema: ErrorSchema },
};

const approveSpec = {
  method: 'post',
  path: '/executions/{id}/approve',
  summary: "Approve a paused run's tool calls: they run once and the run goes on",
  tags,
  body: DecisionBody,
  bodyOptional: true,
  responses: decisionResponses,
} as const;

const rejectSpec = {
  method: 'post',
  path: '/executions/{id}/reject',
  summary: "Reject a paused run's tool calls: the model gets `rejected by USER: reason` and the run goes on",
  tags,
  body: RejectBody,
  bodyOptional: true,
  responses: decisionResponses,
} as const;

/** Decide as `body` says, then answer with the resumed run as chat does. */
async function decide(
  c: Context<AppEnv>,
  body: { stream?: boolean | undefined; reason?: string | undefined },
  approvals: Approvals,
  wire: WireErrors,
  decision: 'approved' | 'rejected',
): Promise<Response> {
  const { events, abort, provider } = await approvals.decide(
    c.req.param('id')!,
    { userId: c.get('userId'), isAdmin: c.get('isAdmin') },
    { decision, ...(body.reason ? { reason: body.reason } : {}), signal: c.req.raw.signal, log: c.var.log },
  );
  c.header(PROVIDER_HEADER, provider);
  if (body.stream ?? (c.req.header('accept') ?? '').includes('text/event-stream')) return sseResponse(c, events, abort, wire);
  const { type: _type, ...result } = await collectRun(events);
  return c.json(result);
}

/** Approval routes under `/api`. */
export function approvalRoutes(approvals: Approvals, wire: WireErrors): Routes {
  const r = new Routes('/api');
  r.op(approveSpec, (c) => decide(c, c.req.valid('json'), approvals, wire, 'approved'));
  r.op(rejectSpec, (c) => decide(c, c.req.valid('json'), approvals, wire, 'rejected'));
  r.op(
    {
      method: 'get',
      path: '/approvals',
      summary: "Runs paused for approval of their tool calls, oldest first (yours; everyone's for the admin with `all=true`)",
      tags,
      query: z.object({ all: z.enum(['true', 'false']).optional() }),
      responses: { 200: { description: 'paused runs', schema: z.object({ approvals: z.array(PendingApprovalSchema) }) } },
    },
    async (c) => {
      const who = { userId: c.get('userId'), isAdmin: c.get('isAdmin') };
      const rows = await approvals.pending(who, c.req.valid('query').all === 'true');
      return c.json({
        approvals: rows.map((a) => ({
          execution_id: a.execution_id,
          user_id: a.user_id,
          agent: a.agent_ref,
          ...(a.conversation_id ? { conversation_id: a.conversation_id } : {}),
          calls: a.calls,
          input: a.progress.input,
          created_at: a.created_at,
          expires_at: a.expires_at,
        })),
      });
    },
  );
  return r;
}
