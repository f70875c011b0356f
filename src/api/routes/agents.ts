/**
 * Agent routes (SPEC §6): `GET /api/agents`, `GET /api/agents/:name`, `POST /api/agents/:name/chat`
 * (JSON, or SSE when `stream` or `Accept: text/event-stream`), and the Caxton paths `GET /agents` and
 * `POST /agents/:name/message {"text"}` -> `{reply, conversation_id, ...}`.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ResolvedAgent } from '../../catalog/catalog.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { collectRun, sseResponse } from '../sse.js';
import { readJson } from '../validate.js';

/** Summary of an agent as listed: name, source tier, model alias and tool names. */
function summary(r: ResolvedAgent) {
  return {
    name: r.agent.name,
    source: r.source,
    model: r.modelName,
    tools: r.agent.tools,
    display_name: r.agent.display_name ?? null,
    description: r.agent.description ?? null,
  };
}

const ChatBody = z
  .object({
    message: z.string().min(1, 'must not be empty'),
    conversation_id: z.string().min(1).optional(),
    stream: z.boolean().optional(),
  })
  .strict();

const MessageBody = z
  .object({ text: z.string().min(1, 'must not be empty'), conversation_id: z.string().min(1).optional() })
  .strict();

/** Agent routes. */
export function agentRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  const startRun = (c: Context<AppEnv>, name: string, message: string, conversationId: string | undefined) => {
    const userId = c.get('userId');
    const resolved = deps.catalog.resolveAgent(name, userId);
    const abort = new AbortController();
    c.req.raw.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const events = deps.runtime.run({
      agent: resolved.agent,
      source: resolved.source,
      model: resolved.model,
      message,
      userId,
      ...(conversationId ? { conversationId } : {}),
      signal: abort.signal,
    });
    return { events, abort };
  };

  /** GET /api/agents -> `{agents: [{name, source, model, tools, display_name, description}]}`. */
  r.get('/api/agents', (c) => c.json({ agents: deps.catalog.listAgents(c.get('userId')).map(summary) }));

  /** GET /api/agents/:name -> the full agent definition plus `source` and the effective `model`. 404 when not visible. */
  r.get('/api/agents/:name', (c) => {
    const resolved = deps.catalog.resolveAgent(c.req.param('name'), c.get('userId'));
    return c.json({ ...resolved.agent, model: resolved.modelName, source: resolved.source });
  });

  /**
   * POST /api/agents/:name/chat `{message, conversation_id?, stream?}` -> `{reply, conversation_id,
   * execution_id, finish_reason, usage, cost_usd, duration_ms}`; SSE of RunEvents when streaming.
   */
  r.post('/api/agents/:name/chat', async (c) => {
    const body = await readJson(c, ChatBody);
    const { events, abort } = startRun(c, c.req.param('name'), body.message, body.conversation_id);
    const wantsStream = body.stream ?? (c.req.header('accept') ?? '').includes('text/event-stream');
    if (wantsStream) return sseResponse(c, events, abort);
    const done = await collectRun(events);
    const { type: _type, ...result } = done;
    return c.json(result);
  });

  /** GET /agents -> `{agents: [...]}` (Caxton path; same as /api/agents). */
  r.get('/agents', (c) => c.json({ agents: deps.catalog.listAgents(c.get('userId')).map(summary) }));

  /** POST /agents/:name/message `{"text"}` -> `{reply, conversation_id, execution_id, agent, ...}` (Caxton path). */
  r.post('/agents/:name/message', async (c) => {
    const body = await readJson(c, MessageBody);
    const name = c.req.param('name');
    const { events } = startRun(c, name, body.text, body.conversation_id);
    const { type: _type, ...result } = await collectRun(events);
    return c.json({ agent: name, ...result });
  });

  return r;
}
