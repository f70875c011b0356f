/**
 * Workflow routes (DIR-12 "workflows"; src/api/workflow-run.ts says how a workflow runs):
 * `GET /api/workflows` lists the workflows of config/workflows, `POST /api/workflows/{name}/run`
 * runs one with the chat body `{message, conversation_id?, stream?}` and answers JSON (the chat
 * result plus `workflow` and `path`) or, with `stream` or Accept: text/event-stream, SSE of the chat
 * events plus `agent_started` / `agent_finished` around each agent's run.
 */
import { z } from 'zod';
import { WorkflowResultSchema, WorkflowSummarySchema, type WorkflowSummary } from '../../domain/api-types.js';
import type { Workflow } from '../../domain/entities.js';
import type { AppDeps } from '../deps.js';
import type { WireErrors } from '../errors.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';
import { PROVIDER_HEADER } from '../run.js';
import { sseResponse } from '../sse.js';
import { collectWorkflow, type StartWorkflowRun } from '../workflow-run.js';
import { runRequest } from './agents.js';

const tags = ['workflows'];

const RunBody = z
  .object({ message: z.string().min(1, 'must not be empty'), conversation_id: z.string().min(1).optional(), stream: z.boolean().optional() })
  .strict();

/** The `text/event-stream` body of a streamed workflow run, as documented in the OpenAPI document. */
const WorkflowEventStreamSchema = z
  .string()
  .describe(
    'Server-Sent Events: `start` (the entry run), then per agent `agent_started` {agent, step, execution_id, model, provider}, its run events (text_delta, tool_call, tool_result, usage) and `agent_finished` {agent, step, execution_id, finish_reason, reply, next?}; the workflow ends with `done` (the chat result plus `workflow` and `path`) or `error` {type, code, message}',
  );

/** A workflow as listed. */
export const workflowSummary = (w: Workflow): WorkflowSummary => ({
  name: w.name,
  entry_agent: w.entry_agent,
  fallback_agent: w.fallback_agent ?? null,
  max_depth: w.max_depth,
  max_iterations: w.max_iterations,
  parallel_subagents: w.parallel_subagents,
});

/** `GET /api/workflows`. */
const listSpec = {
  method: 'get',
  path: '/',
  summary: 'The workflows of config/workflows: entry agent, fallback agent and limits',
  tags,
  responses: { 200: { description: 'workflows, sorted by name', schema: z.object({ workflows: z.array(WorkflowSummarySchema) }) } },
} satisfies OpSpec;

/** `POST /api/workflows/{name}/run`. */
const runSpec = {
  method: 'post',
  path: '/{name}/run',
  summary:
    'Run a workflow: its entry agent answers, a reply naming an agent hands the message on (up to max_depth hops); JSON, or SSE when `stream` or Accept: text/event-stream',
  tags,
  body: RunBody,
  responses: {
    200: {
      description: 'the final answer with the path of agents, or an SSE stream of workflow events',
      schema: WorkflowResultSchema,
      alternatives: { 'text/event-stream': WorkflowEventStreamSchema },
    },
    404: { description: 'workflow, its entry agent or the conversation not found', schema: ErrorSchema },
    429: { description: 'rate limit or budget reached (`Retry-After`)', schema: ErrorSchema },
    503: { description: 'the entry agent is stopped, failed or busy, or its provider is unavailable (checked before the stream starts)', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** Run the workflow `name` for the caller. @throws DomainError NOT_FOUND, UNAVAILABLE, TOO_MANY_REQUESTS (from the entry run). */
async function runWorkflow(c: OpContext<typeof runSpec>, startWorkflow: StartWorkflowRun, wire: WireErrors): Promise<Response> {
  const body = c.req.valid('json');
  const { name: _name, ...req } = runRequest(c, c.req.param('name')!, body.message, body.conversation_id);
  const { events, abort, provider } = await startWorkflow({ ...req, workflow: c.req.param('name')! });
  c.header(PROVIDER_HEADER, provider);
  if (body.stream ?? (c.req.header('accept') ?? '').includes('text/event-stream')) return sseResponse(c, events, abort, wire);
  const { type: _type, ...result } = await collectWorkflow(events);
  return c.json(result);
}

/** Workflow routes under `/api/workflows`. */
export function workflowRoutes(deps: AppDeps, startWorkflow: StartWorkflowRun, wire: WireErrors): Routes {
  const r = new Routes('/api/workflows');
  r.op(listSpec, (c) => c.json({ workflows: deps.catalog.workflows().map(workflowSummary) }));
  r.op(runSpec, (c) => runWorkflow(c, startWorkflow, wire));
  return r;
}
