/**
 * OpenAI Chat Completions messages and function tools as a run (SPEC §6 `/v1`): how `messages` split
 * into a run's history and its new input, and how the client's `tools`/`tool_choice` become client
 * tools (src/runtime/client-tools.ts). `/v1/chat/completions` uses these as they are; `/v1/responses`
 * turns its input items into the same messages first.
 *
 * - The LAST message is the run's new input: a `user` message (rendered through the agent's
 *   `user_prompt_template`), or the client's `tool` results following an assistant message with
 *   `tool_calls`, which continue the run the client's tools paused (no new user input). A trailing
 *   assistant prefill is a 400.
 * - The messages before it are the run's history, sent to the model as they are (`user`, `assistant`
 *   with or without `tool_calls`, `tool`); `system`/`developer` messages go right after the agent's own
 *   system prompt, which always stays first.
 */
import { z } from 'zod';
import { DomainError, type ErrorDetail } from '../domain/errors.js';
import type { ClientTool, ToolCallRequest } from '../runtime/run.js';
import type { StoredMessage } from '../store/types.js';

const Part = z.object({ type: z.string(), text: z.string().optional() }).loose();
const ToolCall = z.object({ id: z.string(), type: z.string().optional(), function: z.object({ name: z.string(), arguments: z.string() }).loose() }).loose();

/** One Chat Completions message as clients send it. */
export const Message = z
  .object({
    role: z.string(),
    content: z.union([z.string(), z.array(Part), z.null()]).optional(),
    tool_calls: z.array(ToolCall).nullish(),
    tool_call_id: z.string().optional(),
  })
  .loose();
export type CompletionMessage = z.infer<typeof Message>;

/** A tool name a model may be offered (SPEC §7). */
export const ToolName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a tool name is 1 to 64 letters, digits, _ or -');
/** JSON Schema of a function's arguments (default: an object with no declared properties). */
const Parameters = z.record(z.string(), z.unknown());

/** A Chat Completions function tool (`tools[]`), run by the client. */
export const ChatTool = z
  .object({
    type: z.literal('function'),
    function: z.object({ name: ToolName, description: z.string().nullish(), parameters: Parameters.nullish(), strict: z.boolean().nullish() }).loose(),
  })
  .loose();

/** Text of a message's content: a string, or its text parts joined (other parts, e.g. images, are skipped). */
export const textOf = (content: CompletionMessage['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((p) => p.text ?? '').join('');

const bad = (message: string, field: string, hint?: string): DomainError =>
  new DomainError('BAD_REQUEST', message, [{ field, message, ...(hint ? { hint } : {}) } satisfies ErrorDetail]);

/** A run's input from OpenAI messages: the new text, the history before it, and the client's tool results when they are the input. */
export interface RunInput {
  /** The user's text, or (for tool results) their contents one per line: the execution row's `input`. */
  input: string;
  history: StoredMessage[];
  toolResults?: StoredMessage[];
}

/** One history message as stored; `field` names it in errors. */
function historyMessage(m: CompletionMessage, field: string): StoredMessage {
  const content = textOf(m.content);
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content };
    case 'user':
      return { role: 'user', content };
    case 'assistant':
      return {
        role: 'assistant',
        content,
        ...(m.tool_calls?.length
          ? { tool_calls: m.tool_calls.map((t) => ({ id: t.id, type: 'function', function: { name: t.function.name, arguments: t.function.arguments } })) }
          : {}),
      };
    case 'tool':
      if (!m.tool_call_id) throw bad('a tool message needs tool_call_id', `${field}.tool_call_id`);
      return { role: 'tool', content, tool_call_id: m.tool_call_id };
    default:
      throw bad(`unsupported message role ${m.role}`, `${field}.role`, 'use system, developer, user, assistant or tool');
  }
}

/**
 * Split OpenAI `messages` into the run's input and the history before it (module comment). Options:
 * `fieldOf` names message `i` in errors (default `messages[i]`); `stored` says the history is a
 * stored conversation, so tool results may come alone (they answer the calls it ends with).
 * @throws DomainError BAD_REQUEST naming the offending message's field.
 */
export function toRunInput(messages: readonly CompletionMessage[], opts: { fieldOf?: (i: number) => string; stored?: boolean } = {}): RunInput {
  const fieldOf = opts.fieldOf ?? ((i: number) => `messages[${i}]`);
  const lastIndex = messages.length - 1;
  let start = lastIndex;
  while (start >= 0 && messages[start]!.role === 'tool') start--;
  const history = messages.slice(0, start < lastIndex ? start + 1 : lastIndex).map((m, i) => historyMessage(m, fieldOf(i)));
  if (start < lastIndex) {
    if (!opts.stored && (start < 0 || !messages[start]!.tool_calls?.length)) {
      throw bad('tool results must follow the assistant message with the tool calls they answer', `${fieldOf(start + 1)}.role`);
    }
    const toolResults = messages.slice(start + 1).map((m, i) => historyMessage(m, fieldOf(start + 1 + i)));
    return { input: toolResults.map((r) => r.content).join('\n'), history, toolResults };
  }
  const last = messages[lastIndex]!;
  if (last.role !== 'user') {
    throw bad(
      `the last message must be a user message or tool results, not ${last.role}`,
      `${fieldOf(lastIndex)}.role`,
      'end with the user turn, or with the results of the tool calls of the last assistant message; assistant prefill is not supported',
    );
  }
  const input = textOf(last.content);
  if (!input) throw bad('the last user message has no text', `${fieldOf(lastIndex)}.content`);
  return { input, history };
}

/** The client tools of a Chat Completions request, each named in errors by its `tools[i].function.name`. */
export function chatClientTools(tools: readonly z.infer<typeof ChatTool>[] | undefined): ClientTool[] | undefined {
  return tools?.map((t, i) => ({
    spec: {
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      parameters: t.function.parameters ?? { type: 'object', properties: {} },
    },
    field: `tools[${i}].function.name`,
  }));
}

/** Tool calls in the Chat Completions message shape. */
export function chatToolCalls(calls: readonly ToolCallRequest[]) {
  return calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.function.name, arguments: c.function.arguments } }));
}
