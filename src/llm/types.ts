/**
 * The Provider interface (SPEC §7, STORY-041): one shape for every LLM backend. A provider streams
 * `ProviderEvent`s for one chat request and can be cancelled with an AbortSignal.
 */
import type { Model } from '../domain/entities.js';

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
 * Sampling settings of a model entity (SPEC §3 Model) under their Chat Completions names; a field
 * that is absent is not sent (the server's default applies).
 */
export type Sampling = Partial<Pick<Model, 'temperature' | 'max_tokens' | 'top_p' | 'frequency_penalty' | 'presence_penalty'>>;

/**
 * Which tool the model must call (Chat Completions `tool_choice`): `auto` (it decides), `none`,
 * `required` (some tool), or the named function.
 */
export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** One chat request. */
export interface ChatRequest {
  /** The provider's model id, e.g. `gpt-4o-mini` or `llama3.2`. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  /** Whether the model may ask for several tool calls in one turn (agent `parallel_tools`); sent only with tools. */
  parallel_tool_calls?: boolean;
  /** The caller's `tool_choice`, sent only with tools; absent: the server's default (`auto`). */
  tool_choice?: ToolChoice;
  /** The model entity's sampling settings, sent as they are. */
  sampling?: Sampling;
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
  /** `ready`: requests go to it; `offline`: requests are answered by the offline provider. */
  state: 'ready' | 'offline' | 'checking';
  /** Why it is offline, in words a user can act on. */
  reason?: string;
}
