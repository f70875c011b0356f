/**
 * OpenAI-compatible endpoints (SPEC §6): `GET /v1/models` lists the caller's agents as models and
 * `POST /v1/chat/completions` runs the agent named by `model`, as JSON or as `chat.completion.chunk`
 * SSE ending in `data: [DONE]`, so any OpenAI client can talk to an agent. The last `user` message is
 * the input; the agent's own system prompt and persisted conversation (`conversation_id`, an
 * extension field) provide the rest. Unknown run events (tool calls etc.) are skipped.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import type { DoneEvent, RunEvent } from '../../runtime/events.js';
import type { AppDeps, AppEnv } from '../deps.js';
import type { ApiMetrics } from '../metrics.js';
import { ErrorSchema, op, type Registry } from '../openapi.js';
import { collectRun } from '../sse.js';
import { readJson } from '../validate.js';

const Part = z.object({ type: z.string(), text: z.string().optional() }).loose();
const Message = z.object({ role: z.string(), content: z.union([z.string(), z.array(Part), z.null()]).optional() }).loose();
const CompletionBody = z
  .object({
    model: z.string().min(1),
    messages: z.array(Message).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
    conversation_id: z.string().min(1).optional(),
  })
  .loose();

const FINISH = new Set(['stop', 'length', 'tool_calls', 'content_filter']);
const finishReason = (r: string) => (FINISH.has(r) ? r : r === 'max_iterations' ? 'length' : 'stop');

/** OpenAI-compatible routes. */
export function openaiRoutes(deps: AppDeps, registry: Registry, metrics: ApiMetrics): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const tags = ['openai'];

  op(r, registry, { method: 'get', path: '/v1/models', summary: 'Your agents as OpenAI models', tags, responses: { 200: { description: 'model list', schema: z.object({ object: z.literal('list'), data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() })) }) } } }, (c) => {
    const data = deps.catalog.listAgents(c.get('userId')).map((a) => ({
      id: a.agent.name,
      object: 'model' as const,
      created: Math.floor((a.entity?.created_at ?? deps.startedAt) / 1000),
      owned_by: a.source,
    }));
    return c.json({ object: 'list', data });
  });

  op(r, registry, { method: 'post', path: '/v1/chat/completions', summary: 'Chat with the agent named by `model` (stream supported)', tags, body: CompletionBody, responses: { 200: { description: 'chat.completion, or SSE of chat.completion.chunk', schema: z.object({ id: z.string(), object: z.literal('chat.completion') }).loose() }, 404: { description: 'no such agent', schema: ErrorSchema } } }, async (c) => {
    const body = await readJson(c, CompletionBody);
    const last = [...body.messages].reverse().find((m) => m.role === 'user');
    const text = typeof last?.content === 'string' ? last.content : (last?.content ?? []).map((p) => p.text ?? '').join('');
    if (!text) throw new DomainError('BAD_REQUEST', 'messages must contain a user message with text', [{ field: 'messages', message: 'no user message' }]);
    const userId = c.get('userId');
    const resolved = deps.catalog.resolveAgent(body.model, userId);
    if (resolved.entity) deps.tenants.entities.countUse(resolved.entity.id);
    metrics.run(resolved.source, 'started');
    const abort = new AbortController();
    c.req.raw.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const events = deps.runtime.run({ agent: resolved.agent, source: resolved.source, model: resolved.model, message: text, userId, ...(body.conversation_id ? { conversationId: body.conversation_id } : {}), signal: abort.signal });
    const created = Math.floor(Date.now() / 1000);
    const usageOf = (d: DoneEvent) => ({ prompt_tokens: d.usage.input_tokens, completion_tokens: d.usage.output_tokens, total_tokens: d.usage.input_tokens + d.usage.output_tokens });

    if (!body.stream) {
      const done = await collectRun(events);
      return c.json({
        id: `chatcmpl-${done.execution_id}`,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: done.reply, refusal: null }, logprobs: null, finish_reason: finishReason(done.finish_reason) }],
        usage: usageOf(done),
        conversation_id: done.conversation_id,
      });
    }

    const includeUsage = body.stream_options?.include_usage === true;
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      let id = 'chatcmpl-pending';
      const chunk = (delta: object, finish: string | null, extra: object = {}) =>
        stream.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra }) });
      try {
        for await (const ev of events as AsyncIterable<RunEvent>) {
          if (stream.aborted) break;
          if (ev.type === 'start') {
            id = `chatcmpl-${ev.execution_id}`;
            await chunk({ role: 'assistant', content: '' }, null);
          } else if (ev.type === 'text_delta') {
            await chunk({ content: ev.text }, null);
          } else if (ev.type === 'done') {
            await chunk({}, finishReason(ev.finish_reason));
            if (includeUsage) await stream.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: usageOf(ev) }) });
          } else if (ev.type === 'error') {
            await stream.writeSSE({ data: JSON.stringify({ error: { code: ev.code, message: ev.message, type: 'server_error' } }) });
          }
          // Other event types (usage, tool_call, tool_result, future ones) have no OpenAI chunk: skipped.
        }
      } catch (err) {
        const message = err instanceof DomainError ? err.message : 'internal error';
        await stream.writeSSE({ data: JSON.stringify({ error: { code: err instanceof DomainError ? err.code : 'INTERNAL', message, type: 'server_error' } }) });
      }
      await stream.writeSSE({ data: '[DONE]' });
    });
  });
  return r;
}
