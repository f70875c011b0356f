/**
 * Prompt assembly (SPEC §7): system prompt + conversation history + the rendered
 * `user_prompt_template` (`{{message}}`, `{{parameters.X}}`, `{{memory_context}}`, `{{agent.name}}`).
 */
import type { Agent } from '../domain/entities.js';
import type { ChatMessage, ToolCallRequest } from '../llm/types.js';
import type { StoredMessage } from '../store/types.js';

/** Render the agent's user prompt template for `message`; unknown placeholders render empty. */
export function renderUserPrompt(agent: Agent, message: string, memoryContext = ''): string {
  const template = agent.user_prompt_template;
  if (!template) return message;
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, key: string) => {
    if (key === 'message') return message;
    if (key === 'memory_context') return memoryContext;
    if (key === 'agent.name') return agent.name;
    if (key.startsWith('parameters.')) {
      const v = agent.parameters[key.slice('parameters.'.length)];
      return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    }
    return '';
  });
}

/** The messages sent to the provider for one turn: the agent's system prompt, then `turns` (history and the new turn, in order). */
export function buildMessages(agent: Agent, turns: readonly StoredMessage[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: agent.system_prompt }];
  for (const m of turns) {
    if (m.role === 'tool') messages.push({ role: 'tool', content: m.content, tool_call_id: m.tool_call_id ?? '' });
    else if (m.role === 'assistant') {
      if (m.tool_calls?.length) {
        messages.push({ role: 'assistant', content: m.content === '' ? null : m.content, tool_calls: m.tool_calls as ToolCallRequest[] });
      } else messages.push({ role: 'assistant', content: m.content });
    } else messages.push({ role: m.role, content: m.content });
  }
  return messages;
}
