/**
 * Context budget (SPEC §7: history "trimmed to the model's context budget, oldest first"). Tokens
 * are estimated at ~4 characters each plus a small per-message overhead, which errs on the side of
 * sending less. The budget is the model's context window (known model families, else 8,192 tokens)
 * minus the room reserved for the reply (`max_tokens`, else 1,024) and for the offered tools.
 * History is dropped a whole turn at a time (a user message and everything up to the next one), so a
 * tool result never loses the assistant message that asked for it.
 */
import type { Model } from '../domain/entities.js';
import type { StoredMessage } from '../store/types.js';

/** Context windows (tokens) by model id prefix, longest prefix first; a local server's default is small. */
const WINDOWS: [prefix: string, tokens: number][] = [
  ['gpt-4.1', 1_000_000],
  ['gpt-4o', 128_000],
  ['gpt-4-turbo', 128_000],
  ['gpt-5', 400_000],
  ['o1', 200_000],
  ['o3', 200_000],
  ['o4', 200_000],
  ['gpt-4', 8_192],
  ['gpt-3.5', 16_385],
  ['llama3.1', 128_000],
  ['llama3.2', 128_000],
  ['llama3', 8_192],
  ['qwen2.5', 32_768],
  ['mistral', 32_768],
];

/** Context window of `model` in tokens (default 8,192 for models this build does not know). */
export function contextWindow(model: Pick<Model, 'model'>): number {
  const id = model.model.toLowerCase().replace(/^.*\//, '');
  for (const [prefix, tokens] of WINDOWS) if (id.startsWith(prefix)) return tokens;
  return 8_192;
}

/** Estimated tokens of a text (~4 characters per token). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Estimated tokens of one message: its content, its tool calls' JSON, and ~4 tokens of framing. */
export function messageTokens(m: StoredMessage): number {
  let n = 4 + estimateTokens(m.content);
  if (m.tool_calls) n += estimateTokens(JSON.stringify(m.tool_calls));
  return n;
}

/**
 * The newest part of `history` that fits in `budget` tokens, cut at turn boundaries (a turn starts at
 * a user message). Returns `history` itself when it all fits (no copy on the common path).
 */
export function trimHistory(history: readonly StoredMessage[], budget: number): readonly StoredMessage[] {
  if (history.length === 0) return history;
  let total = 0;
  for (const m of history) total += messageTokens(m);
  if (total <= budget) return history;
  // Walk back from the newest message, remembering the oldest turn start that still fits.
  let used = 0;
  let cut = history.length;
  for (let i = history.length - 1; i >= 0; i--) {
    used += messageTokens(history[i]!);
    if (used > budget) break;
    if (history[i]!.role === 'user') cut = i;
  }
  return history.slice(cut);
}
