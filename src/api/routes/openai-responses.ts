/**
 * The OpenAI Responses API (`POST /v1/responses`, SPEC §6 `/v1`): runs the agent named by `model`
 * (as on `/v1/chat/completions`: NAME or OWNER/NAME), or the workflow `workflow:NAME`
 * (src/api/workflow-run.ts: the final answer is the output, usage summed over its agent runs), as one
 * `response` object or as the Responses API's SSE events, so current OpenAI clients and agent SDKs
 * can talk to an agent. A workflow takes no function tools, tool results or instructions (400 naming
 * the field).
 *
 * Request:
 * - `input`: a string (one user turn) or a list of items: messages (`role` user/assistant/system/
 *   developer, `content` a string or `input_text`/`output_text` parts), `function_call` items (the
 *   model's earlier calls, as a client that keeps its own history sends them back) and
 *   `function_call_output` items (the client's tool results). They become Chat Completions messages
 *   (src/api/openai-messages.ts): the last user message, or the trailing tool results, is the run's
 *   input; the items before it are its history.
 * - `instructions`: an extra system turn after the agent's own system prompt (not carried over to later responses).
 * - `tools` (function tools) and `tool_choice`: client tools, as on `/v1/chat/completions`
 *   (src/runtime/client-tools.ts); a name the agent offers is a 400 naming `tools[i].name`; other
 *   tool types are refused.
 * - `max_output_tokens`, `temperature`, `top_p`: this run's sampling over the model's.
 * - `store` (default true) and `previous_response_id`: a stored response's id names its conversation.
 *   A request whose input has no earlier turns (and `store` not false) starts a stored conversation;
 *   `previous_response_id` continues the conversation of that response (from its latest turn: the
 *   conversation is linear), appending the new turn or the tool results, and the items before the new
 *   input are then ignored. A response with `store: false`, or one whose input carried its own earlier
 *   turns, is stateless (nothing stored) and cannot be continued; another user's response id is 404.
 *
 * Response: `object: "response"`, `output` holding a `message` item (one `output_text` part, the
 * whole reply) and one `function_call` item per client tool call; `usage` {input_tokens,
 * output_tokens, total_tokens} of the whole run; `status` `completed`, or `incomplete` with
 * `incomplete_details.reason` (`content_filter`, or `max_output_tokens` for every limit that cut the
 * run short), or `failed` with `error` for a stated failure (finish reason `error`/`timeout`); the
 * extension fields `caxton_finish_reason` (src/domain/finish-reasons.ts) and `conversation_id` (stored
 * responses) say more. `output_text` is the client SDK's convenience, not sent.
 * Stream: `response.created`, `response.in_progress`, for the text `response.output_item.added`,
 * `response.content_part.added`, `response.output_text.delta`..., `response.output_text.done`,
 * `response.content_part.done`, `response.output_item.done`, for each client tool call
 * `response.output_item.added`, `response.function_call_arguments.delta`/`.done`,
 * `response.output_item.done`, then `response.completed`, `response.incomplete` or `response.failed`;
 * each with `sequence_number` from 0. A run that fails after the start ends with an `error` event.
 */
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { FINISH_REASONS, openAiFinishReason } from '../../domain/finish-reasons.js';
import type { DoneEvent, RunEvent, StartEvent } from '../../runtime/events.js';
import type { RunOverrides } from '../../runtime/overrides.js';
import type { ClientTool, RunOptions, ToolChoice } from '../../runtime/run.js';
import type { AppDeps } from '../deps.js';
import { statusOf, type WireErrors } from '../errors.js';
import { Routes, type OpContext, type OpSpec } from '../openapi.js';
import { asModelNotFound, OpenAIErrorSchema, openAiError } from '../openai-errors.js';
import { ToolName, toRunInput, type CompletionMessage } from '../openai-messages.js';
import { collectRun, runError, type StartAgentRun } from '../run.js';
import { refuseForWorkflow, workflowOfModel, type StartWorkflowRun } from '../workflow-run.js';

const Text = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())]);
const InputItem = z
  .object({
    type: z.enum(['message', 'function_call', 'function_call_output']).optional().describe('default: message'),
    role: z.enum(['user', 'assistant', 'system', 'developer']).optional(),
    content: Text.optional(),
    call_id: z.string().optional(),
    name: z.string().optional(),
    arguments: z.string().optional(),
    output: Text.optional(),
  })
  .loose();
type Item = z.infer<typeof InputItem>;
const FunctionTool = z
  .object({
    type: z.literal('function'),
    name: ToolName,
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  })
  .loose();
const ResponsesBody = z
  .object({
    model: z.string().min(1),
    input: z.union([z.string().min(1), z.array(InputItem).min(1)]),
    instructions: z.string().nullish(),
    tools: z.array(FunctionTool).optional(),
    tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function'), name: z.string() }).loose()]).optional(),
    stream: z.boolean().nullish(),
    store: z.boolean().nullish(),
    previous_response_id: z.string().nullish(),
    max_output_tokens: z.number().int().min(1).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
  })
  .loose();
type ResponsesRequest = z.output<typeof ResponsesBody>;

const OutputItem = z.object({ type: z.enum(['message', 'function_call']), id: z.string() }).loose();
const ResponseObject = z
  .object({
    id: z.string(),
    object: z.literal('response'),
    created_at: z.number(),
    status: z.enum(['completed', 'incomplete', 'failed', 'in_progress']),
    incomplete_details: z.object({ reason: z.enum(['max_output_tokens', 'content_filter']) }).nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    model: z.string(),
    output: z.array(OutputItem),
    usage: z.object({ input_tokens: z.number(), output_tokens: z.number(), total_tokens: z.number() }).loose().nullable(),
    caxton_finish_reason: z.enum(FINISH_REASONS).optional().describe("Caxton extension: the run's own finish reason (docs/finish-reasons.md)"),
    conversation_id: z.string().optional().describe('Caxton extension: the stored conversation the response belongs to'),
  })
  .loose();

/** `POST /v1/responses`. */
const responsesSpec = {
  method: 'post',
  path: '/responses',
  summary:
    'The Responses API over the agent named by `model`, or the workflow `workflow:NAME`; stream supported; `previous_response_id` continues a stored conversation',
  tags: ['openai'],
  body: ResponsesBody,
  responses: {
    200: {
      description: 'response, or SSE of Responses API events (module comment)',
      schema: ResponseObject,
      alternatives: {
        'text/event-stream': z
          .string()
          .describe(
            'with `stream: true`: `event: <type>` and `data: <event JSON with sequence_number>`, from response.created to response.completed, incomplete or failed',
          ),
      },
    },
    400: {
      description:
        'invalid input, a client tool named like an agent tool, tool results that answer no pending call, or function tools, tool results or instructions sent to a `workflow:NAME` model (`param` names it)',
      schema: OpenAIErrorSchema,
    },
    404: { description: 'no such agent or workflow, or previous_response_id unknown to the caller', schema: OpenAIErrorSchema },
    429: { description: 'rate limit reached', schema: OpenAIErrorSchema },
    503: { description: 'the agent is stopped, failed or busy', schema: OpenAIErrorSchema },
  },
} satisfies OpSpec;
type ResponsesContext = OpContext<typeof responsesSpec>;

/** A stored response's id: `resp_c` + its conversation's 32 hex digits + its execution's; a stateless one `resp_` + its execution's. */
const responseId = (start: Pick<StartEvent, 'conversation_id' | 'execution_id'>): string => {
  const hex = (id: string) => id.slice(id.indexOf('_') + 1);
  return start.conversation_id ? `resp_c${hex(start.conversation_id)}${hex(start.execution_id)}` : `resp_${hex(start.execution_id)}`;
};

/** NOT_FOUND for `previous_response_id`. */
function responseNotFound(previous: string): DomainError {
  const message = `response ${previous} not found`;
  return new DomainError('NOT_FOUND', message, [
    { field: 'previous_response_id', message, hint: 'only your stored responses can be continued (store not false, input without earlier turns)' },
  ]);
}

/**
 * The stored conversation `previous` (a response id) continues, when it is the caller's.
 * @throws DomainError NOT_FOUND for a stateless response's id, another user's or an unknown one.
 */
async function conversationOf(deps: AppDeps, previous: string, userId: string): Promise<string> {
  const m = /^resp_c([0-9a-f]{32})[0-9a-f]{32}$/.exec(previous);
  const id = m ? `conv_${m[1]}` : undefined;
  if (!id || !(await deps.conversations.get(id, userId))) throw responseNotFound(previous);
  return id;
}

/** Text of an item's content or output. */
const textOf = (t: z.infer<typeof Text> | undefined): string => (typeof t === 'string' ? t : (t ?? []).map((p) => p.text ?? '').join(''));

/**
 * The input items as Chat Completions messages (consecutive `function_call` items form one assistant
 * message), with the index of the item each message came from (for errors).
 * @throws DomainError BAD_REQUEST naming the item that lacks a field.
 */
function toMessages(input: ResponsesRequest['input']): { messages: CompletionMessage[]; itemOf: number[] } {
  if (typeof input === 'string') return { messages: [{ role: 'user', content: input }], itemOf: [0] };
  const messages: CompletionMessage[] = [];
  const itemOf: number[] = [];
  let afterCall = false;
  const need = (item: Item, i: number, field: 'call_id' | 'name') => {
    const value = item[field];
    if (value) return value;
    const message = `a ${item.type} item needs ${field}`;
    throw new DomainError('BAD_REQUEST', message, [{ field: `input[${i}].${field}`, message }]);
  };
  input.forEach((item, i) => {
    if (item.type === 'function_call') {
      const call = { id: need(item, i, 'call_id'), type: 'function', function: { name: need(item, i, 'name'), arguments: item.arguments ?? '' } };
      const prev = messages.at(-1);
      if (afterCall && prev?.tool_calls) prev.tool_calls.push(call);
      else {
        messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        itemOf.push(i);
      }
      afterCall = true;
      return;
    }
    afterCall = false;
    if (item.type === 'function_call_output') messages.push({ role: 'tool', content: textOf(item.output), tool_call_id: need(item, i, 'call_id') });
    else messages.push({ role: item.role ?? 'user', content: textOf(item.content) });
    itemOf.push(i);
  });
  return { messages, itemOf };
}

/** The request's tools as client tools, each named in errors by `tools[i].name`. */
const clientToolsOf = (tools: ResponsesRequest['tools']): ClientTool[] | undefined =>
  tools?.map((t, i) => ({
    spec: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters ?? { type: 'object', properties: {} } },
    field: `tools[${i}].name`,
  }));

/**
 * The run's options (client tools, tool results, instructions) and what the request sets over the
 * model and the agent for this run (`tool_choice`, sampling; src/runtime/overrides.ts).
 */
function runSettingsOf(body: ResponsesRequest, toolResults: RunOptions['toolResults']): { options: RunOptions; overrides?: RunOverrides } {
  const clientTools = clientToolsOf(body.tools);
  const choice = body.tool_choice;
  const toolChoice: ToolChoice | undefined = typeof choice === 'object' ? { type: 'function', function: { name: choice.name } } : choice;
  const sampling = {
    ...(body.max_output_tokens != null ? { max_tokens: body.max_output_tokens } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { top_p: body.top_p } : {}),
  };
  const overrides: RunOverrides = { ...(toolChoice ? { tool_choice: toolChoice } : {}), ...(Object.keys(sampling).length ? { sampling } : {}) };
  const options: RunOptions = {
    ...(clientTools ? { clientTools } : {}),
    ...(toolResults ? { toolResults } : {}),
    ...(body.instructions ? { instructions: body.instructions } : {}),
  };
  return { options, ...(Object.keys(overrides).length ? { overrides } : {}) };
}

/** The `response` object's fields that do not depend on the run's end. `created_at` in Unix seconds. */
function baseResponse(body: ResponsesRequest, start: Pick<StartEvent, 'conversation_id' | 'execution_id'>, createdAt: number) {
  return {
    id: responseId(start),
    object: 'response' as const,
    created_at: createdAt,
    model: body.model,
    instructions: body.instructions ?? null,
    previous_response_id: body.previous_response_id ?? null,
    tools: body.tools ?? [],
    tool_choice: body.tool_choice ?? 'auto',
    parallel_tool_calls: true,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    store: start.conversation_id !== '',
    text: { format: { type: 'text' } },
    truncation: 'disabled',
    metadata: {},
    ...(start.conversation_id ? { conversation_id: start.conversation_id } : {}),
  };
}

/** The output items of a finished run: its text as a `message`, then one `function_call` per client tool call. */
function outputOf(done: DoneEvent, messageId: string) {
  return [
    ...(done.reply ? [messageItem(messageId, done.reply, 'completed')] : []),
    ...(done.tool_calls ?? []).map((c) => functionCallItem(c.id, c.function.name, c.function.arguments, 'completed')),
  ];
}

const outputText = (text: string) => ({ type: 'output_text' as const, text, annotations: [], logprobs: [] });
const messageItem = (id: string, text: string | undefined, status: 'in_progress' | 'completed') => ({
  type: 'message' as const,
  id,
  status,
  role: 'assistant' as const,
  content: text === undefined ? [] : [outputText(text)],
});
const functionCallItem = (callId: string, name: string, args: string, status: 'in_progress' | 'completed') => ({
  type: 'function_call' as const,
  id: `fc_${callId}`,
  call_id: callId,
  name,
  arguments: args,
  status,
});

/** How the run ended, in the Responses API's terms (module comment). */
function endOf(done: DoneEvent) {
  const openai = openAiFinishReason(done.finish_reason);
  const failed = done.error !== undefined && (done.finish_reason === 'error' || done.finish_reason === 'timeout');
  const reason = failed ? undefined : openai === 'content_filter' ? 'content_filter' : openai === 'length' ? 'max_output_tokens' : undefined;
  return {
    status: failed ? ('failed' as const) : reason ? ('incomplete' as const) : ('completed' as const),
    incomplete_details: reason ? { reason } : null,
    error: failed ? { code: 'server_error', message: done.error! } : null,
    usage: {
      input_tokens: done.usage.input_tokens,
      output_tokens: done.usage.output_tokens,
      total_tokens: done.usage.input_tokens + done.usage.output_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    },
    caxton_finish_reason: done.finish_reason,
  };
}

const messageIdOf = (executionId: string) => `msg_${executionId.slice(executionId.indexOf('_') + 1)}`;

/**
 * `POST /v1/responses` (module comment).
 * @throws DomainError BAD_REQUEST (input, tools, tool results), NOT_FOUND (agent, previous_response_id), UNAVAILABLE.
 */
async function createResponse(c: ResponsesContext, deps: AppDeps, starters: Starters, wire: WireErrors): Promise<Response> {
  const body = c.req.valid('json');
  const userId = c.get('userId');
  const { messages, itemOf } = toMessages(body.input);
  const conversationId = body.previous_response_id ? await conversationOf(deps, body.previous_response_id, userId) : undefined;
  const { input, history, toolResults } = toRunInput(messages, { fieldOf: (i) => `input[${itemOf[i] ?? i}]`, stored: conversationId !== undefined });
  // A stored response keeps its conversation in the store: it starts from a single turn, not a client-held history.
  const stateless = conversationId === undefined && (body.store === false || history.length > 0);
  const { options, overrides } = runSettingsOf(body, toolResults);
  const req = {
    message: input,
    userId,
    ...(c.get('apiKeyId') ? { apiKeyId: c.get('apiKeyId') } : {}),
    signal: c.req.raw.signal,
    log: c.var.log,
    ...(conversationId ? { conversationId } : stateless ? { history } : {}),
    ...(overrides ? { overrides } : {}),
  };
  const workflow = workflowOfModel(body.model);
  if (workflow !== undefined) refuseForWorkflow(workflow, workflowRefusal(body, toolResults));
  const started = await (workflow !== undefined ? starters.workflow({ ...req, workflow }) : starters.run({ ...req, name: body.model, options })).catch(
    (err: unknown) => {
      throw asModelNotFound(err, body.model);
    },
  );
  const events = started.events as AsyncIterable<RunEvent>;
  const createdAt = Math.floor(Date.now() / 1000);
  if (body.stream) return streamSSE(c, (stream) => streamEvents(stream, body, events, started.abort, createdAt, wire));
  const done = await collectRun(events);
  return c.json({ ...baseResponse(body, done, createdAt), ...endOf(done), output: outputOf(done, messageIdOf(done.execution_id)) });
}

/** The first request field a workflow model cannot take (function tools, tool results, instructions), if any. */
const workflowRefusal = (body: ResponsesRequest, toolResults: RunOptions['toolResults']): string | undefined =>
  body.tools?.length ? 'tools' : toolResults ? 'input' : body.instructions ? 'instructions' : undefined;

/** The run as Responses API SSE events (module comment); closing the stream aborts the run. */
async function streamEvents(
  stream: SSEStreamingApi,
  body: ResponsesRequest,
  events: AsyncIterable<RunEvent>,
  abort: AbortController,
  createdAt: number,
  wire: WireErrors,
): Promise<void> {
  stream.onAbort(() => abort.abort());
  let seq = 0;
  const send = (type: string, data: object) => stream.writeSSE({ event: type, data: JSON.stringify({ type, sequence_number: seq++, ...data }) });
  let base: ReturnType<typeof baseResponse> | undefined;
  let messageId = '';
  let text: string | undefined;
  try {
    for await (const ev of events) {
      if (stream.aborted) break;
      if (ev.type === 'start') {
        base = baseResponse(body, ev, createdAt);
        messageId = messageIdOf(ev.execution_id);
        const response = { ...base, status: 'in_progress', incomplete_details: null, error: null, output: [], usage: null };
        await send('response.created', { response });
        await send('response.in_progress', { response });
      } else if (ev.type === 'text_delta') {
        if (text === undefined) {
          text = '';
          await send('response.output_item.added', { output_index: 0, item: messageItem(messageId, undefined, 'in_progress') });
          await send('response.content_part.added', { item_id: messageId, output_index: 0, content_index: 0, part: outputText('') });
        }
        text += ev.text;
        await send('response.output_text.delta', { item_id: messageId, output_index: 0, content_index: 0, delta: ev.text, logprobs: [] });
      } else if (ev.type === 'done') {
        await finish(send, ev, base!, messageId, text);
      } else if (ev.type === 'error') {
        throw runError(ev);
      }
    }
  } catch (err) {
    const w = wire(err);
    const { code, message, param } = openAiError(w, statusOf(w.code)).error;
    await send('error', { code, message, param });
  }
}

/** The closing events of a streamed response: the text item's, each client tool call's, then the response's end. */
async function finish(
  send: (type: string, data: object) => Promise<void>,
  done: DoneEvent,
  base: ReturnType<typeof baseResponse>,
  messageId: string,
  text: string | undefined,
): Promise<void> {
  let index = 0;
  if (text !== undefined) {
    await send('response.output_text.done', { item_id: messageId, output_index: 0, content_index: 0, text: done.reply, logprobs: [] });
    await send('response.content_part.done', { item_id: messageId, output_index: 0, content_index: 0, part: outputText(done.reply) });
    await send('response.output_item.done', { output_index: 0, item: messageItem(messageId, done.reply, 'completed') });
    index = 1;
  }
  for (const call of done.tool_calls ?? []) {
    const { name, arguments: args } = call.function;
    const item = functionCallItem(call.id, name, args, 'completed');
    await send('response.output_item.added', { output_index: index, item: { ...item, arguments: '', status: 'in_progress' } });
    await send('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: args });
    await send('response.function_call_arguments.done', { item_id: item.id, output_index: index, name, arguments: args });
    await send('response.output_item.done', { output_index: index, item });
    index++;
  }
  const end = endOf(done);
  const type = end.status === 'completed' ? 'response.completed' : end.status === 'incomplete' ? 'response.incomplete' : 'response.failed';
  await send(type, { response: { ...base, ...end, output: outputOf(done, messageId) } });
}

/** How a response's run starts: an agent's run, or a workflow's for `model: "workflow:NAME"`. */
interface Starters {
  run: StartAgentRun;
  workflow: StartWorkflowRun;
}

/** The Responses API route. */
export function openaiResponsesRoutes(deps: AppDeps, startRun: StartAgentRun, wire: WireErrors, startWorkflow: StartWorkflowRun): Routes {
  const r = new Routes('/v1');
  r.op(responsesSpec, (c) => createResponse(c, deps, { run: startRun, workflow: startWorkflow }, wire));
  return r;
}
