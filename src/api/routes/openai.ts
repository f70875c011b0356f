/**
 * OpenAI-compatible endpoints (SPEC §6): `GET /v1/models` lists the agents the caller can reach as
 * models, `GET /v1/models/{id}` describes one of them, and `POST /v1/chat/completions` runs the
 * agent named by `model`, as JSON or as `chat.completion.chunk` SSE ending in `data: [DONE]`, so any
 * OpenAI client can talk to an agent.
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
 * message. A run paused for approval of an agent tool's call (src/runtime/approvals.ts) answers
 * `finish_reason: "stop"` with `caxton_finish_reason: "awaiting_approval"` and `caxton_approval`
 * {execution_id, calls, expires_at}; the rest of the run comes from `POST /api/executions/{id}/approve`. Usage is the whole run's (every provider call, tool rounds included). The agent's own
 * tool calls and results are not streamed. A reply of the offline demo provider carries `system_fingerprint:
 * "caxton-offline"` (every chunk of a stream too) and the `X-Caxton-Provider: offline` header.
 * Errors, streamed ones included, are in OpenAI's shape (src/api/openai-errors.ts).
 * The other Chat Completions parameters (sampling, length, `stop`, `seed`, `response_format`, `n`,
 * `logprobs`, `tool_choice`...) are honoured for that request, refused with a 400 naming them, or
 * ignored, as src/api/openai-params.ts lists.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { FINISH_REASONS, openAiFinishReason } from '../../domain/finish-reasons.js';
import type { DoneEvent, RunEvent } from '../../runtime/events.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { ChatTool, Message, chatClientTools, chatToolCalls, toRunInput } from '../openai-messages.js';
import { completionParams, runOverrides } from '../openai-params.js';
import { Routes, type OpContext, type OpSpec } from '../openapi.js';
import { asModelNotFound, OpenAIErrorSchema, openAiError } from '../openai-errors.js';
import { collectRun, PROVIDER_HEADER, runError, type StartAgentRun, type StartedRun } from '../run.js';
import { collectWorkflow, refuseForWorkflow, WORKFLOW_MODEL_PREFIX, workflowOfModel, type StartWorkflowRun, type WorkflowEvent } from '../workflow-run.js';
import { statusOf, type WireErrors } from '../errors.js';

const CompletionBody = z
  .object({
    model: z.string().min(1),
    messages: z.array(Message).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
    conversation_id: z.string().min(1).optional().describe('Caxton extension: continue this stored conversation (the earlier `messages` are then ignored)'),
    ...completionParams,
    tools: z.array(ChatTool).optional().describe("function tools the client runs itself, offered next to the agent's own"),
  })
  .loose();

/** The choice fields that say why a run ended: OpenAI's value and the extension fields (module comment). */
const finishFields = (done: DoneEvent) => ({
  finish_reason: openAiFinishReason(done.finish_reason),
  caxton_finish_reason: done.finish_reason,
  ...(done.error !== undefined ? { caxton_error: done.error } : {}),
  ...(done.approval ? { caxton_approval: done.approval } : {}),
});

const tags = ['openai'];

/** `system_fingerprint` of a reply from the offline demo provider (canned text, not a model's). */
const OFFLINE_FINGERPRINT = 'caxton-offline';

/** The `system_fingerprint` field of a run served by `provider` (present only for the offline provider). */
const fingerprintOf = (provider: string) => (provider === 'offline' ? { system_fingerprint: OFFLINE_FINGERPRINT } : {});

const Model = z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() });

/** `GET /v1/models`. */
const modelsSpec = {
  method: 'get',
  path: '/models',
  summary:
    "The agents you can reach as OpenAI models: yours and the system's by name, other users' public ones as OWNER/NAME; then the workflows as workflow:NAME",
  tags,
  responses: {
    200: {
      description: 'model list',
      schema: z.object({ object: z.literal('list'), data: z.array(Model) }),
    },
  },
} satisfies OpSpec;

/** `GET /v1/models/{id}`: one model by the id `/v1/models` lists (`bob%2Fhelper`, as OpenAI clients encode `bob/helper`). */
const modelSpec = {
  method: 'get',
  path: '/models/{id}',
  summary: 'One agent you can reach, as an OpenAI model: NAME, or OWNER/NAME URL-encoded (OWNER%2FNAME)',
  tags,
  responses: {
    200: { description: 'the model', schema: Model },
    404: { description: 'no agent of that id that you can reach (code `model_not_found`)', schema: OpenAIErrorSchema },
  },
} satisfies OpSpec;

/** `GET /v1/models/{owner}/{name}`: another user's public agent, its id `OWNER/NAME` written with its slash. */
const ownedModelSpec = {
  method: 'get',
  path: '/models/{owner}/{name}',
  summary: "Another user's public agent as an OpenAI model, by its id OWNER/NAME",
  tags,
  responses: modelSpec.responses,
} satisfies OpSpec;

/** `POST /v1/chat/completions`. */
const chatSpec = {
  method: 'post',
  path: '/chat/completions',
  summary:
    "Chat with the agent named by `model`: NAME (yours, else the system's) or OWNER/NAME (another user's public agent), or run the workflow `workflow:NAME`; stream supported",
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
                caxton_approval: z
                  .object({
                    execution_id: z.string(),
                    calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
                    expires_at: z.number(),
                  })
                  .optional()
                  .describe(
                    'Caxton extension, with caxton_finish_reason `awaiting_approval` (finish_reason `stop`): the tool calls waiting for `POST /api/executions/{execution_id}/approve` or `/reject`',
                  ),
              })
              .loose(),
          ),
        })
        .loose(),
      alternatives: {
        'text/event-stream': z
          .string()
          .describe('with `stream: true`: `data: <chat.completion.chunk JSON>` lines (an error as `data: {"error": ...}`), ending with `data: [DONE]`'),
      },
    },
    400: {
      description:
        'invalid messages, a parameter out of range or refused, a client tool named like an agent tool, tool results that answer no pending tool call, tool_choice naming a tool not offered, or client tools or tool results sent to a `workflow:NAME` model (`param` names it)',
      schema: OpenAIErrorSchema,
    },
    404: { description: 'no such agent (code `model_not_found`), or conversation_id not found', schema: OpenAIErrorSchema },
    429: { description: 'rate limit (`rate_limit_exceeded`) or budget (`insufficient_quota`) reached; `Retry-After`', schema: OpenAIErrorSchema },
    502: { description: 'the provider failed (`provider_error`), or the reply does not match the requested response_format', schema: OpenAIErrorSchema },
    503: {
      description:
        "the agent is stopped, failed or busy (`unavailable`), or its model's provider is unreachable or unconfigured (`provider_unavailable`); streaming requests too: checked before the stream starts",
      schema: OpenAIErrorSchema,
    },
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

/** The agents the caller can reach, then the workflows as `workflow:NAME`, as OpenAI models (`created` in Unix seconds). */
async function modelsOf(c: Context<AppEnv>, deps: AppDeps): Promise<z.output<typeof Model>[]> {
  const agents = (await deps.catalog.listAgents(c.get('userId'))).map((a) => ({
    id: a.name,
    object: 'model' as const,
    created: Math.floor((a.entity?.created_at ?? deps.startedAt) / 1000),
    owned_by: a.source,
  }));
  const created = Math.floor(deps.startedAt / 1000);
  const workflows = deps.catalog.workflows().map((w) => ({ id: `${WORKFLOW_MODEL_PREFIX}${w.name}`, object: 'model' as const, created, owned_by: 'system' }));
  return [...agents, ...workflows];
}

/** One model of `modelsOf` by `id`. @throws DomainError NOT_FOUND (`model_not_found`) when the caller cannot reach it. */
async function retrieveModel(c: Context<AppEnv>, deps: AppDeps, id: string): Promise<Response> {
  const model = (await modelsOf(c, deps)).find((m) => m.id === id);
  if (!model) throw asModelNotFound(new DomainError('NOT_FOUND', `agent ${id} not found`, [{ field: 'name', message: `no agent named ${id}` }]), id);
  return c.json(model);
}

/**
 * `POST /v1/chat/completions`: start the run (a stored conversation wins over the request's earlier
 * messages, module comment), then answer one `chat.completion` or a chunk stream.
 * @throws DomainError BAD_REQUEST (messages, parameters, client tools, tool results), NOT_FOUND, UNAVAILABLE (from `startRun`),
 *   PROVIDER_ERROR (the provider failed, or the reply does not match `response_format`).
 */
async function chatCompletions(c: ChatContext, startRun: StartAgentRun, startWorkflow: StartWorkflowRun, wire: WireErrors): Promise<Response> {
  const body = c.req.valid('json');
  const { input, history, toolResults } = toRunInput(body.messages, { stored: body.conversation_id !== undefined });
  const clientTools = chatClientTools(body.tools);
  const overrides = await runOverrides(body);
  const req = {
    message: input,
    userId: c.get('userId'),
    ...(c.get('apiKeyId') ? { apiKeyId: c.get('apiKeyId') } : {}),
    ...(overrides ? { overrides } : {}),
    signal: c.req.raw.signal,
    log: c.var.log,
    ...(body.conversation_id ? { conversationId: body.conversation_id } : { history }),
  };
  const workflow = workflowOfModel(body.model);
  if (workflow !== undefined) refuseForWorkflow(workflow, clientTools ? 'tools' : toolResults ? 'messages' : undefined);
  const run = await (
    workflow !== undefined
      ? startWorkflow({ ...req, workflow })
      : startRun({ ...req, name: body.model, options: { ...(clientTools ? { clientTools } : {}), ...(toolResults ? { toolResults } : {}) } })
  ).catch((err: unknown) => {
    throw asModelNotFound(err, body.model);
  });
  const created = Math.floor(Date.now() / 1000);
  c.header(PROVIDER_HEADER, run.provider);
  if (body.stream) return streamChunks(c, body, run, created, wire);
  const done =
    workflow !== undefined ? await collectWorkflow(run.events as AsyncIterable<WorkflowEvent>) : await collectRun(run.events as AsyncIterable<RunEvent>);
  return c.json({
    id: `chatcmpl-${done.execution_id}`,
    object: 'chat.completion',
    created,
    model: body.model,
    ...fingerprintOf(run.provider),
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
function streamChunks(
  c: ChatContext,
  body: ChatRequest,
  run: Pick<StartedRun, 'abort' | 'provider'> & { events: AsyncIterable<RunEvent | WorkflowEvent> },
  created: number,
  wire: WireErrors,
): Response {
  const { events, abort } = run;
  const fingerprint = fingerprintOf(run.provider);
  const includeUsage = body.stream_options?.include_usage === true;
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => abort.abort());
    let id = 'chatcmpl-pending';
    const errorChunk = (err: unknown) => {
      const w = wire(err);
      return stream.writeSSE({ data: JSON.stringify(openAiError(w, statusOf(w.code))) });
    };
    const chunk = (delta: object, finish: object = { finish_reason: null }, extra: object = {}) =>
      stream.writeSSE({
        data: JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model: body.model,
          ...fingerprint,
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
              data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, ...fingerprint, choices: [], usage: usageOf(ev) }),
            });
        } else if (ev.type === 'error') {
          await errorChunk(runError(ev));
        }
        // Other event types (usage, tool_call, tool_result, a workflow's agent_started/agent_finished) have no OpenAI chunk: skipped.
      }
    } catch (err) {
      await errorChunk(err);
    }
    await stream.writeSSE({ data: '[DONE]' });
  });
}

/** OpenAI-compatible routes. */
export function openaiRoutes(deps: AppDeps, startRun: StartAgentRun, wire: WireErrors, startWorkflow: StartWorkflowRun): Routes {
  const r = new Routes('/v1');
  r.op(modelsSpec, async (c) => c.json({ object: 'list', data: await modelsOf(c, deps) }));
  r.op(modelSpec, (c) => retrieveModel(c, deps, c.req.param('id')!));
  r.op(ownedModelSpec, (c) => retrieveModel(c, deps, `${c.req.param('owner')}/${c.req.param('name')}`));
  r.op(chatSpec, (c) => chatCompletions(c, startRun, startWorkflow, wire));
  return r;
}
