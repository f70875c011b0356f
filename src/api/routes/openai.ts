/**
 * OpenAI-compatible endpoints (SPEC §6): `GET /v1/models` lists the agents the caller can reach as
 * models and `POST /v1/chat/completions` runs the agent named by `model`, as JSON or as
 * `chat.completion.chunk` SSE ending in `data: [DONE]`, so any OpenAI client can talk to an agent.
 * Model names follow SPEC §4: a bare name is the caller's own agent, else the system's; another
 * user's public agent is `OWNER/NAME` (e.g. `bob/helper`), and is listed under that id.
 *
 * How `messages` become a run (OpenAI clients send the whole conversation on every call;
 * src/api/openai-messages.ts):
 * - the LAST message is the run's input: a `user` message, or the client's `tool` results after the
 *   assistant message whose `tool_calls` they answer (they continue the run; no new user input);
 * - the messages before it are the run's history, sent to the model as they are. Such a run is
 *   stateless: the daemon stores no conversation for it (the client holds the history), only the
 *   execution row;
 * - with the extension field `conversation_id`, the stored conversation is the history and wins: the
 *   earlier `messages` are ignored, and the turn (or the tool results) is appended to that
 *   conversation (the response then carries `conversation_id`). Without it, the response has no
 *   `conversation_id`.
 * Client-side tools (src/runtime/client-tools.ts): the request's function `tools` are offered next to
 * the agent's own (a name the agent offers is a 400 naming `tools[i].function.name`), `tool_choice`
 * goes to the provider as it is. When the model calls client tools, the agent's own tools of that
 * step run first, then the response carries the client's calls as `message.tool_calls` (streamed as
 * `delta.tool_calls` chunks right before the finish chunk) with `finish_reason: "tool_calls"`; the
 * assistant message carries only the client's calls, so a stateless client's history never holds the
 * agent's calls of that step (a stored conversation keeps them).
 * `finish_reason`: OpenAI's `stop`, `length`, `tool_calls` or `content_filter`, the closest to the run's own finish
 * reason (src/domain/finish-reasons.ts `openAiFinishReason`: a limit that cut the run short, such as
 * `max_iterations`, `loop_detected` or `timeout`, is `length`; `error` is `stop`), which the extension
 * field `caxton_finish_reason` carries as it is (on the choice, and on the streamed finish chunk), with
 * `caxton_error` when the run ended as a stated failure; the reply then ends with the run's final
 * message. Usage is the whole run's (every provider call, tool rounds included). The agent's own
 * tool calls and results are not streamed.
 */
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { FINISH_REASONS, openAiFinishReason } from '../../domain/finish-reasons.js';
import type { DoneEvent } from '../../runtime/events.js';
import type { AppDeps } from '../deps.js';
import { ChatTool, ChatToolChoice, Message, chatClientTools, chatToolCalls, chatToolChoice, toRunInput } from '../openai-messages.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';
import { collectRun, runError, type StartAgentRun, type StartedRun } from '../run.js';
import type { WireErrors } from '../errors.js';

const CompletionBody = z
  .object({
    model: z.string().min(1),
    messages: z.array(Message).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
    conversation_id: z.string().min(1).optional().describe('Caxton extension: continue this stored conversation (the earlier `messages` are then ignored)'),
    tools: z.array(ChatTool).optional().describe("function tools the client runs itself, offered next to the agent's own"),
    tool_choice: ChatToolChoice.optional(),
  })
  .loose();

/** The choice fields that say why a run ended: OpenAI's value and the extension fields (module comment). */
const finishFields = (done: DoneEvent) => ({
  finish_reason: openAiFinishReason(done.finish_reason),
  caxton_finish_reason: done.finish_reason,
  ...(done.error !== undefined ? { caxton_error: done.error } : {}),
});

const tags = ['openai'];

/** `GET /v1/models`. */
const modelsSpec = {
  method: 'get',
  path: '/models',
  summary: "The agents you can reach as OpenAI models: yours and the system's by name, other users' public ones as OWNER/NAME",
  tags,
  responses: {
    200: {
      description: 'model list',
      schema: z.object({
        object: z.literal('list'),
        data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() })),
      }),
    },
  },
} satisfies OpSpec;

/** `POST /v1/chat/completions`. */
const chatSpec = {
  method: 'post',
  path: '/chat/completions',
  summary: "Chat with the agent named by `model`: NAME (yours, else the system's) or OWNER/NAME (another user's public agent); stream supported",
  tags,
  body: CompletionBody,
  responses: {
    200: {
      description: 'chat.completion, or SSE of chat.completion.chunk',
      schema: z
        .object({
          id: z.string(),
          object: z.literal('chat.completion'),
          choices: z.array(
            z
              .object({
                finish_reason: z.enum(['stop', 'length', 'tool_calls', 'content_filter']),
                caxton_finish_reason: z.enum(FINISH_REASONS).describe("Caxton extension: the run's own finish reason (docs/finish-reasons.md)"),
                caxton_error: z.string().optional().describe('Caxton extension: what went wrong, when the run ended as a stated failure'),
              })
              .loose(),
          ),
        })
        .loose(),
    },
    400: { description: 'invalid messages, a client tool named like an agent tool, or tool results that answer no pending tool call', schema: ErrorSchema },
    404: { description: 'no such agent, or conversation_id not found', schema: ErrorSchema },
    429: { description: 'rate limit reached (`Retry-After`; src/api/middleware/rate-limit.ts)', schema: ErrorSchema },
    503: { description: 'the agent is stopped, failed or busy (streaming requests too: checked before the stream starts)', schema: ErrorSchema },
  },
} satisfies OpSpec;

type ChatContext = OpContext<typeof chatSpec>;
type ChatRequest = z.output<typeof CompletionBody>;

/** The reply as an OpenAI assistant message: with the client tools' calls when the run ended on them (content null when it has no text). */
const assistantMessage = (done: DoneEvent) =>
  done.tool_calls
    ? { role: 'assistant', content: done.reply || null, refusal: null, tool_calls: chatToolCalls(done.tool_calls) }
    : { role: 'assistant', content: done.reply, refusal: null };

/** OpenAI `usage` (token counts) of a finished run. */
const usageOf = (d: DoneEvent) => ({
  prompt_tokens: d.usage.input_tokens,
  completion_tokens: d.usage.output_tokens,
  total_tokens: d.usage.input_tokens + d.usage.output_tokens,
});

/** The agents the caller can reach, as an OpenAI model list (`created` in Unix seconds). */
async function listModels(c: OpContext<typeof modelsSpec>, deps: AppDeps): Promise<Response> {
  const data = (await deps.catalog.listAgents(c.get('userId'))).map((a) => ({
    id: a.name,
    object: 'model' as const,
    created: Math.floor((a.entity?.created_at ?? deps.startedAt) / 1000),
    owned_by: a.source,
  }));
  return c.json({ object: 'list', data });
}

/**
 * `POST /v1/chat/completions`: start the run (a stored conversation wins over the request's earlier
 * messages, module comment), then answer one `chat.completion` or a chunk stream.
 * @throws DomainError BAD_REQUEST (messages, client tools, tool results), NOT_FOUND, UNAVAILABLE (from `startRun`).
 */
async function chatCompletions(c: ChatContext, startRun: StartAgentRun, wire: WireErrors): Promise<Response> {
  const body = c.req.valid('json');
  const { input, history, toolResults } = toRunInput(body.messages, { stored: body.conversation_id !== undefined });
  const clientTools = chatClientTools(body.tools);
  const toolChoice = chatToolChoice(body.tool_choice);
  const { events, abort } = await startRun({
    name: body.model,
    message: input,
    userId: c.get('userId'),
    ...(c.get('apiKeyId') ? { apiKeyId: c.get('apiKeyId') } : {}),
    signal: c.req.raw.signal,
    log: c.var.log,
    ...(body.conversation_id ? { conversationId: body.conversation_id } : { history }),
    options: { ...(clientTools ? { clientTools } : {}), ...(toolChoice ? { toolChoice } : {}), ...(toolResults ? { toolResults } : {}) },
  });
  const created = Math.floor(Date.now() / 1000);
  if (body.stream) return streamChunks(c, body, { events, abort }, created, wire);
  const done = await collectRun(events);
  return c.json({
    id: `chatcmpl-${done.execution_id}`,
    object: 'chat.completion',
    created,
    model: body.model,
    choices: [{ index: 0, message: assistantMessage(done), logprobs: null, ...finishFields(done) }],
    usage: usageOf(done),
    ...(done.conversation_id ? { conversation_id: done.conversation_id } : {}),
  });
}

/**
 * The run as SSE `chat.completion.chunk`s ending in `data: [DONE]`: a role chunk at start, one per
 * text delta, a finish chunk (and a usage chunk with `stream_options.include_usage`); an error becomes
 * an `{"error": ...}` chunk. Closing the stream aborts the run. `created` is in Unix seconds.
 */
function streamChunks(c: ChatContext, body: ChatRequest, run: Pick<StartedRun, 'events' | 'abort'>, created: number, wire: WireErrors): Response {
  const { events, abort } = run;
  const includeUsage = body.stream_options?.include_usage === true;
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => abort.abort());
    let id = 'chatcmpl-pending';
    const errorChunk = (err: unknown) => {
      const { code, message } = wire(err);
      return stream.writeSSE({ data: JSON.stringify({ error: { code, message, type: 'server_error' } }) });
    };
    const chunk = (delta: object, finish: object = { finish_reason: null }, extra: object = {}) =>
      stream.writeSSE({
        data: JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model: body.model,
          choices: [{ index: 0, delta, logprobs: null, ...finish }],
          ...extra,
        }),
      });
    try {
      for await (const ev of events) {
        if (stream.aborted) break;
        if (ev.type === 'start') {
          id = `chatcmpl-${ev.execution_id}`;
          await chunk({ role: 'assistant', content: '' });
        } else if (ev.type === 'text_delta') {
          await chunk({ content: ev.text });
        } else if (ev.type === 'done') {
          if (ev.tool_calls) await chunk({ tool_calls: chatToolCalls(ev.tool_calls).map((c, index) => ({ index, ...c })) });
          await chunk({}, finishFields(ev));
          if (includeUsage)
            await stream.writeSSE({
              data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: usageOf(ev) }),
            });
        } else if (ev.type === 'error') {
          await errorChunk(runError(ev));
        }
        // Other event types (usage, tool_call, tool_result, future ones) have no OpenAI chunk: skipped.
      }
    } catch (err) {
      await errorChunk(err);
    }
    await stream.writeSSE({ data: '[DONE]' });
  });
}

/** OpenAI-compatible routes. */
export function openaiRoutes(deps: AppDeps, startRun: StartAgentRun, wire: WireErrors): Routes {
  const r = new Routes('/v1');
  r.op(modelsSpec, (c) => listModels(c, deps));
  r.op(chatSpec, (c) => chatCompletions(c, startRun, wire));
  return r;
}
