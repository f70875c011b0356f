/**
 * Capability routing over HTTP (Caxton STORY-006; src/catalog/capabilities.ts): `GET /api/capabilities`
 * lists each capability the caller's agents offer with those agents and their state, and `POST
 * /api/capabilities/{capability}/chat` runs the agent routing chooses (running agents only, fewest
 * runs in flight, then round-robin), with the body and answer of agent chat plus `agent` (who answered).
 */
import { z } from 'zod';
import { ChatResultSchema } from '../../domain/api-types.js';
import type { AppDeps } from '../deps.js';
import type { WireErrors } from '../errors.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';
import { collectRun, PROVIDER_HEADER, type StartAgentRun } from '../run.js';
import { RunEventStreamSchema, sseResponse } from '../sse.js';
import { ChatBody, runRequest } from './agents.js';

const tags = ['capabilities'];

/** One agent offering a capability: its lifecycle state, runs in flight (count) and why it failed. */
const CandidateSchema = z.object({ agent: z.string(), state: z.string(), in_flight: z.number(), reason: z.string().optional() });

const listSpec = {
  method: 'get',
  path: '/',
  summary: 'Capabilities your agents offer, each with its agents and their state',
  tags,
  responses: {
    200: {
      description: 'capabilities, sorted',
      schema: z.object({ capabilities: z.array(z.object({ capability: z.string(), agents: z.array(CandidateSchema) })) }),
    },
  },
} satisfies OpSpec;

const chatSpec = {
  method: 'post',
  path: '/{capability}/chat',
  summary: 'Run the agent routing chooses for the capability: JSON (with `agent`), or SSE when `stream` or Accept: text/event-stream',
  tags,
  body: ChatBody,
  responses: {
    200: {
      description: 'the reply and the agent that gave it, or an SSE stream of run events (the `start` event names the agent)',
      schema: ChatResultSchema.extend({ agent: z.string().describe('the agent routing chose') }),
      alternatives: { 'text/event-stream': RunEventStreamSchema },
    },
    404: { description: 'no agent you can use offers the capability, or conversation not found', schema: ErrorSchema },
    503: { description: 'no agent offering it can run now (the message names each with its state), or the chosen one is busy', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** Route, start the chosen agent's run with the decision recorded on it, and answer as agent chat does. @throws DomainError NOT_FOUND, UNAVAILABLE. */
async function chat(deps: AppDeps, c: OpContext<typeof chatSpec>, startRun: StartAgentRun, wire: WireErrors): Promise<Response> {
  const body = c.req.valid('json');
  const { agent, decision } = await deps.capabilities.route(c.req.param('capability')!, c.get('userId'));
  const req = { ...runRequest(c, agent.name, body.message, body.conversation_id), routing: decision };
  const { events, abort, provider } = await startRun(req);
  c.header(PROVIDER_HEADER, provider);
  if (body.stream ?? (c.req.header('accept') ?? '').includes('text/event-stream')) return sseResponse(c, events, abort, wire);
  const { type: _type, ...result } = await collectRun(events);
  return c.json({ ...result, agent: agent.name });
}

/** Routes under `/api/capabilities`. */
export function capabilityRoutes(deps: AppDeps, startRun: StartAgentRun, wire: WireErrors): Routes {
  const r = new Routes('/api/capabilities');
  r.op(listSpec, async (c) => c.json({ capabilities: await deps.capabilities.list(c.get('userId')) }));
  r.op(chatSpec, (c) => chat(deps, c, startRun, wire));
  return r;
}
