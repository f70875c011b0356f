/**
 * The request parameters of `POST /v1/chat/completions` beyond `model`, `messages` and `stream`
 * (SPEC §6; OpenAI's Chat Completions API): `completionParams` declares them with OpenAI's ranges in
 * the body's zod schema (so in /openapi.json too), which makes a value out of range or of the wrong
 * type a 400 naming the field before any run starts; `runOverrides` turns the accepted ones into the
 * run's overrides (src/runtime/overrides.ts), which hold for that request only. Every parameter of
 * the API is honoured, refused or ignored as listed here (README's OpenAI section has the same table):
 *
 * | parameter | |
 * | --- | --- |
 * | `temperature` 0..2, `top_p` 0..1, `frequency_penalty` / `presence_penalty` -2..2 | honoured: over the model file's value, sent to the provider |
 * | `max_completion_tokens`, `max_tokens` (integers >= 1; `max_completion_tokens` wins when both) | honoured: the reply's token bound over the model file's `max_tokens`, sent as `max_completion_tokens` to `type = "openai"` providers and `max_tokens` to `openai-compatible` ones; budgets reserve it |
 * | `seed` (integer), `stop` (a string or 1-4 strings), `logit_bias` (token id -> -100..100), `user`, `reasoning_effort`, `verbosity` | honoured: sent to the provider |
 * | `response_format` (`text`, `json_object`, `json_schema`) | honoured: sent to the provider, and the final reply is checked (below) |
 * | `tool_choice` (`none`, `auto`, `required`, a named function), `parallel_tool_calls` | honoured for the agent's tools (src/runtime/overrides.ts: a forced choice holds for the first model call; a name the agent is not offered is a 400) |
 * | `n` | 1 honoured; more refused (400): one run gives one choice, send the request n times |
 * | `logprobs: true`, `top_logprobs` > 0 | refused (400): a run's events carry no token probabilities |
 * | `modalities` with `audio`, `audio` | refused (400): agents reply in text |
 * | `functions`, `function_call` | refused (400): deprecated by OpenAI; use `tools` and `tool_choice` |
 * | `store: true` | refused (400): there are no stored completions to fetch back (the run is in `GET /api/executions`) |
 * | `web_search_options`, `moderation` | refused (400): web search is an agent's tool, and no moderation results are produced |
 * | `metadata`, `service_tier`, `prediction`, `prompt_cache_key`, `prompt_cache_retention`, `prompt_cache_options`, `safety_identifier` | ignored: hints about OpenAI's own service that change nothing in the reply |
 * | anything else | ignored, as OpenAI does |
 *
 * The final reply's check: with `json_object` it must be a JSON object; with `json_schema` it must be
 * JSON valid against `json_schema.schema` (ajv; whether or not `strict` is set: a caller that sends a
 * schema parses the reply with it). It applies to a run the model ended itself (`finish_reason`
 * `stop`; a reply cut by a token limit says `length`, as OpenAI's does). A reply that fails it is
 * never a 200: the run fails with PROVIDER_ERROR (HTTP 502; on a stream, the text already sent is
 * followed by an error chunk) saying what does not match, and its execution row is `error` with the
 * same message. A schema ajv cannot compile is a 400 naming `response_format.json_schema.schema`.
 * Compiled schemas are cached by their JSON text (at most `SCHEMA_CACHE_MAX`); ajv is loaded on first use.
 */
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import type { RunOverrides } from '../runtime/overrides.js';

type Sampling = NonNullable<RunOverrides['sampling']>;
type ResponseFormat = NonNullable<RunOverrides['response_format']>;

const penalty = () => z.number().min(-2).max(2).nullish();
const tokens = () => z.number().int().min(1).nullish();
const refused = (why: string) => z.null(why).optional().describe(`refused: ${why}`);

/** OpenAI's `response_format`. */
const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).loose(),
  z.object({ type: z.literal('json_object') }).loose(),
  z
    .object({
      type: z.literal('json_schema'),
      json_schema: z
        .object({
          name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a name of 1-64 letters, digits, _ or -'),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        })
        .loose(),
    })
    .loose(),
]);

/** OpenAI's `tool_choice`: a mode, or the one function the model must call. */
const ToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }).loose() }).loose(),
]);

/** The parameters' zod shape, spread into the body schema of `POST /v1/chat/completions` (module comment). */
export const completionParams = {
  temperature: z.number().min(0).max(2).nullish().describe('Sampling temperature for this request, over the model file'),
  top_p: z.number().min(0).max(1).nullish().describe('Nucleus sampling mass for this request, over the model file'),
  frequency_penalty: penalty().describe('Over the model file for this request'),
  presence_penalty: penalty().describe('Over the model file for this request'),
  max_completion_tokens: tokens().describe("Bound on the reply's tokens for this request (wins over max_tokens)"),
  max_tokens: tokens().describe("Bound on the reply's tokens for this request (OpenAI's deprecated name)"),
  seed: z.number().int().nullish(),
  stop: z
    .union([z.string(), z.array(z.string()).min(1).max(4)])
    .nullish()
    .describe('Up to 4 sequences where the model stops'),
  logit_bias: z.record(z.string().regex(/^\d+$/, 'a token id'), z.number().min(-100).max(100)).nullish().describe('Token id -> bias (-100..100)'),
  user: z.string().optional(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  verbosity: z.enum(['low', 'medium', 'high']).nullish(),
  response_format: ResponseFormatSchema.optional().describe('json_object / json_schema replies are checked: a reply that does not match is a 502'),
  tool_choice: ToolChoiceSchema.optional().describe("For the agent's tools; a forced choice holds for the first model call"),
  parallel_tool_calls: z.boolean().optional().describe("Over the agent's parallel_tools for this request"),
  n: z.number().int().min(1).max(1, 'n > 1 is not supported: one run gives one choice; send the request n times').nullish(),
  logprobs: z.literal(false, 'logprobs are not available: a run carries no token probabilities').nullish(),
  top_logprobs: z.literal(0, 'top_logprobs are not available: a run carries no token probabilities').nullish(),
  modalities: z.array(z.literal('text', 'agents reply in text only')).nullish(),
  audio: refused('audio output is not available: agents reply in text'),
  functions: refused('functions is deprecated and not supported: use tools'),
  function_call: refused('function_call is deprecated and not supported: use tool_choice'),
  store: z.literal(false, 'store is not supported: there are no stored completions to fetch (see GET /api/executions)').nullish(),
  web_search_options: refused("web_search_options is not supported: web search is one of an agent's tools"),
  moderation: refused('moderation is not supported: no moderation results are produced'),
};

/** The parameters as parsed by `completionParams`. */
export type CompletionParams = z.output<z.ZodObject<typeof completionParams>>;

/** Sampling fields sent under the same name; `max_tokens` is set apart (module comment). */
const SAMPLING_KEYS = ['temperature', 'top_p', 'frequency_penalty', 'presence_penalty', 'seed', 'stop', 'logit_bias', 'reasoning_effort', 'verbosity'] as const;

/** The sampling fields `p` sets, or undefined when it sets none. */
function samplingOf(p: CompletionParams): Sampling | undefined {
  let sampling: Record<string, unknown> | undefined;
  for (const key of SAMPLING_KEYS) if (p[key] != null) (sampling ??= {})[key] = p[key];
  const maxTokens = p.max_completion_tokens ?? p.max_tokens;
  if (maxTokens != null) (sampling ??= {}).max_tokens = maxTokens;
  return sampling as Sampling | undefined;
}

/**
 * The run's overrides from a validated body, or undefined when it sets none.
 * @throws DomainError BAD_REQUEST naming `response_format.json_schema.schema` when ajv cannot compile it.
 */
export async function runOverrides(p: CompletionParams): Promise<RunOverrides | undefined> {
  const sampling = samplingOf(p);
  const format = p.response_format as ResponseFormat | undefined;
  if (!sampling && !format && p.user === undefined && p.tool_choice === undefined && p.parallel_tool_calls === undefined) return undefined;
  const checkReply = format ? await replyCheck(format) : undefined;
  return {
    ...(sampling ? { sampling } : {}),
    ...(format ? { response_format: format } : {}),
    ...(checkReply ? { checkReply } : {}),
    ...(p.user !== undefined ? { user: p.user } : {}),
    ...(p.tool_choice !== undefined ? { tool_choice: p.tool_choice } : {}),
    ...(p.parallel_tool_calls !== undefined ? { parallel_tool_calls: p.parallel_tool_calls } : {}),
  };
}

/**
 * The overrides a paused run kept (src/runtime/overrides.ts `pausedOverrides`), with the reply check
 * of their `response_format` rebuilt, for the resumed run.
 */
export async function resumedOverrides(kept: Record<string, unknown>): Promise<RunOverrides> {
  const overrides = kept as RunOverrides;
  const checkReply = overrides.response_format ? await replyCheck(overrides.response_format) : undefined;
  return { ...overrides, ...(checkReply ? { checkReply } : {}) };
}

/** A JSON Schema check: why a parsed value does not match, or undefined. */
type SchemaCheck = (value: unknown) => string | undefined;

/** Compiled schemas kept at most (the cache is emptied when full: it refills from the schemas in use). */
const SCHEMA_CACHE_MAX = 256;
const compiled = new Map<string, SchemaCheck>();
let compilers: Promise<(schema: Record<string, unknown>) => SchemaCheck> | undefined;

/** ajv, loaded once: draft 2020-12 for schemas that declare it, else draft-07 (what OpenAI's helpers emit); formats known. */
async function loadCompilers(): Promise<(schema: Record<string, unknown>) => SchemaCheck> {
  const [{ Ajv }, { Ajv2020 }, formats] = await Promise.all([import('ajv'), import('ajv/dist/2020.js'), import('ajv-formats')]);
  const addFormats = formats.default as unknown as (ajv: InstanceType<typeof Ajv>) => void;
  const options = { strict: false, allErrors: false, validateSchema: true };
  const draft7 = new Ajv(options);
  const draft2020 = new Ajv2020(options);
  addFormats(draft7);
  addFormats(draft2020 as unknown as InstanceType<typeof Ajv>);
  return (schema) => {
    const ajv = String(schema.$schema ?? '').includes('2020-12') ? draft2020 : draft7;
    const validate = ajv.compile(schema);
    return (value) => (validate(value) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'reply' }));
  };
}

/** The compiled check of `schema`, from the cache when the same schema text was compiled before. */
async function schemaCheck(schema: Record<string, unknown>): Promise<SchemaCheck> {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return hit;
  const compile = await (compilers ??= loadCompilers());
  let check: SchemaCheck;
  try {
    check = compile(schema);
  } catch (err) {
    const message = `the JSON Schema cannot be compiled: ${(err as Error).message}`;
    throw new DomainError('BAD_REQUEST', `invalid response_format: ${message}`, [{ field: 'response_format.json_schema.schema', message }]);
  }
  if (compiled.size >= SCHEMA_CACHE_MAX) compiled.clear();
  compiled.set(key, check);
  return check;
}

/** The final reply's check for `format` (module comment), or undefined for `text`. */
async function replyCheck(format: ResponseFormat): Promise<((reply: string) => string | undefined) | undefined> {
  if (format.type === 'text') return undefined;
  const schema = format.type === 'json_schema' ? format.json_schema.schema : undefined;
  const matches = schema ? await schemaCheck(schema) : undefined;
  return (reply) => {
    let value: unknown;
    try {
      value = JSON.parse(reply);
    } catch {
      return `it is not JSON (${reply.length > 80 ? `${reply.slice(0, 80)}...` : reply})`;
    }
    if (matches) return matches(value);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? undefined : 'it is not a JSON object';
  };
}
