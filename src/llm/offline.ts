/**
 * The offline provider (SPEC §7): serves the providers of type `offline` (the first-run demo, `caxton
 * init --provider offline`), never a real provider that cannot serve (src/llm/registry.ts). Its reply
 * is deterministic, says that it is a canned reply, and tells the user how to connect a real model;
 * the API marks it too (`X-Caxton-Provider: offline`, README "Connect a model").
 */
import type { ChatRequest, Provider, ProviderEvent } from './types.js';

/** How to connect a real model; part of every offline reply. */
export const CONNECT_HINT =
  'To connect a real model: export OPENAI_API_KEY=sk-... and run `caxton init --force --provider openai` and `caxton server restart`, ' +
  'or start Ollama (`ollama serve`) and run `caxton init --force --provider ollama`, ' +
  'or point [providers.NAME] base_url in ares.toml at any OpenAI-compatible server.';

function lastUserMessage(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]!;
    if (m.role === 'user') return m.content;
  }
  return '';
}

/** Create the offline provider named `name` (its `[providers.NAME]`). */
export function createOfflineProvider(name: string): Provider {
  return {
    name,
    type: 'offline',
    async *chat(req: ChatRequest): AsyncIterable<ProviderEvent> {
      const message = lastUserMessage(req);
      const text =
        `[offline] No language model is connected, so this is a canned reply. ` +
        `You said: "${message.length > 200 ? `${message.slice(0, 200)}…` : message}". ${CONNECT_HINT}`;
      for (const part of text.match(/\S+\s*/g) ?? [text]) yield { type: 'text_delta', text: part };
      yield { type: 'usage', input_tokens: 0, output_tokens: 0 };
      yield { type: 'finish', reason: 'stop' };
    },
  };
}
