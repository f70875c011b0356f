/**
 * The Provider interface (SPEC §7, STORY-041): one shape for every LLM backend. A provider streams
 * `ProviderEvent`s for one chat request and can be cancelled with an AbortSignal.
 */
/** A message in OpenAI Chat Completions shape (the lingua franca of every provider we speak to). */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCallRequest[] }
  | { role: 'tool'; content: string; tool_call_id: string };

/** A tool call requested by the model; `arguments` is JSON text as the model wrote it. */
export interface ToolCallRequest {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A tool offered to the model (name must match `^[a-zA-Z0-9_-]{1,64}$`, SPEC §7). */
export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

/**
 * Generation settings under their Chat Completions names: the model entity's (SPEC §3 Model:
 * `temperature`, `max_tokens`, `top_p`, `frequency_penalty`, `presence_penalty`), with what one
 * request sets over them (src/runtime/overrides.ts). A field that is absent is not sent (the
 * server's default applies). `max_tokens` bounds the reply (tokens); the `openai` provider sends it
 * as `max_completion_tokens` (src/llm/openai.ts).
 */
export interface Sampling {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  seed?: number;
  /** Up to 4 sequences where the model stops. */
  stop?: string | string[];
  /** Token id (as a string) -> bias, -100..100. */
  logit_bias?: Record<string, number>;
  /** Reasoning models' effort (OpenAI's values). */
  reasoning_effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
  verbosity?: 'low' | 'medium' | 'high';
}

/** The reply's format (Chat Completions `response_format`): text, any JSON object, or JSON matching `json_schema.schema`. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } };

/**
 * Which tool the model must call (Chat Completions `tool_choice`): `auto` (it decides), `none`,
 * `required` (some tool), or the named function.
 */
export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

/** One chat request. */
export interface ChatRequest {
  /** The provider's model id, e.g. `gpt-4o-mini` or `llama3.2`. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  /** Whether the model may ask for several tool calls in one turn (agent `parallel_tools`, or the request's); sent only with tools. */
  parallel_tool_calls?: boolean;
  /** Whether and which tool the model must call; sent only with tools. */
  tool_choice?: ToolChoice;
  /** The model entity's sampling settings with the request's over them, sent as they are. */
  sampling?: Sampling;
  response_format?: ResponseFormat;
  /** The end user the request is made for, as the caller names them (providers use it to detect abuse). */
  user?: string;
}

/** What a provider streams back. Token counts are the provider's own (usage may be absent). */
export type ProviderEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'tool_call'; call: ToolCallRequest }
  | { type: 'usage'; input_tokens: number; output_tokens: number }
  | { type: 'finish'; reason: string };

/** An LLM backend. Errors are thrown as DomainError (PROVIDER_ERROR, TIMEOUT) with no secrets in them. */
export interface Provider {
  /** The `[providers.NAME]` this instance serves. */
  readonly name: string;
  /** `openai`, `openai-compatible`, `offline` or `scripted`. */
  readonly type: string;
  chat(request: ChatRequest, signal?: AbortSignal): AsyncIterable<ProviderEvent>;
}

/** Whether a configured provider can serve requests now, and if not why (for `server status`). */
export interface ProviderState {
  name: string;
  type: string;
  base_url?: string;
  /** `ready`: requests go to it; `offline`: it cannot serve now, and runs on it fail with PROVIDER_UNAVAILABLE (`reason`). */
  state: 'ready' | 'offline' | 'checking';
  /** Why it is offline, in words a user can act on. */
  reason?: string;
}
