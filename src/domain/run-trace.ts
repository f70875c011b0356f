/**
 * Run traces (STORY-018 debugging, docs/testing.md "Run traces"): every step of one run in order, as
 * the runtime records it when asked (`[runtime] trace`, a request's `trace: true`, `caxton agent test
 * --trace`) and stores it with the execution (`GET /api/executions/:id/trace`, `caxton run trace ID`).
 * Times in ms, tokens as the provider reported them. Text fields are scrubbed of secret values and
 * cut to `MAX_TRACE_TEXT_CHARS`; a whole trace is kept under `MAX_TRACE_BYTES` by leaving out steps
 * from the middle (`omitted_steps` says how many), never its first steps nor its end.
 */
import { z } from 'zod';

/** Longest text (characters) a trace keeps in one field (prompts, messages, tool results); longer text is cut and marked. */
export const MAX_TRACE_TEXT_CHARS = 8_000;

/** Largest stored trace (bytes of its JSON): 256 KiB. */
export const MAX_TRACE_BYTES = 256 * 1024;

/** The step kinds, in the order a run produces them (`?kind=` filters on these). */
export const TRACE_STEP_KINDS = ['prompt', 'messages', 'model_call', 'tool_call', 'end'] as const;
export type TraceStepKind = (typeof TRACE_STEP_KINDS)[number];

/** One message sent to the model: its role, text (cut) and, for an assistant turn, the tools it called. */
const TracedMessage = z.object({ role: z.string(), content: z.string(), tool_calls: z.array(z.string()).optional() });

/** One step of a run trace. */
export const RunTraceStepSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('prompt'),
    system_prompt: z.string().describe('the system prompt as sent (with recalled memories when any)'),
    variables: z.object({
      parameters: z.record(z.string(), z.unknown()).describe("the agent's `parameters.*`"),
      memory_context: z.string().describe('what `{{memory_context}}` rendered to (empty when nothing)'),
    }),
    user_prompt: z.string().describe('the rendered `user_prompt_template` (the message itself without one)'),
  }),
  z.object({
    kind: z.literal('messages'),
    messages: z.array(TracedMessage).describe("the first request's messages, system prompt first"),
    history_trimmed: z.number().describe("older history messages left out to fit the model's context budget (0: none)"),
  }),
  z.object({
    kind: z.literal('model_call'),
    call: z.number().describe('1 for the first model call of the run'),
    model: z.string(),
    messages: z.number().describe('messages sent in this call'),
    duration_ms: z.number(),
    input_tokens: z.number(),
    output_tokens: z.number(),
    finish: z.string().describe("the provider's finish reason, or `error`/`cancelled` when the call failed"),
    text: z.string(),
    tool_calls: z.array(z.object({ name: z.string(), arguments: z.string() })),
  }),
  z.object({
    kind: z.literal('tool_call'),
    name: z.string(),
    iteration: z.number(),
    arguments: z.string(),
    result: z.string(),
    is_error: z.boolean(),
    timed_out: z.boolean().optional(),
    duration_ms: z.number(),
  }),
  z.object({
    kind: z.literal('end'),
    status: z.string(),
    finish_reason: z.string().describe('closed set of docs/finish-reasons.md'),
    message: z.string().optional().describe('the stated end message or error, when the run did not simply stop'),
    duration_ms: z.number(),
  }),
]);
export type RunTraceStep = z.infer<typeof RunTraceStepSchema>;

/** A stored run trace. */
export const RunTraceSchema = z.object({
  execution_id: z.string(),
  steps: z.array(RunTraceStepSchema),
  omitted_steps: z.number().optional().describe('steps left out of the middle to keep the trace under 256 KiB'),
});
export type RunTrace = z.infer<typeof RunTraceSchema>;

/**
 * The kinds a `?kind=` / `--kind` value names (comma-separated), or the unknown one as an error.
 * @returns the kinds, or `{ unknown }` naming the first value that is not a step kind.
 */
export function parseTraceKinds(value: string): { kinds: TraceStepKind[] } | { unknown: string } {
  const kinds: TraceStepKind[] = [];
  for (const raw of value.split(',')) {
    const k = raw.trim();
    if (k === '') continue;
    if (!(TRACE_STEP_KINDS as readonly string[]).includes(k)) return { unknown: k };
    kinds.push(k as TraceStepKind);
  }
  return { kinds };
}
