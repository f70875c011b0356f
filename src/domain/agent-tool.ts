/**
 * An agent offered as an MCP tool (SPEC §3 MCP server), the same by the daemon's `/mcp` endpoint
 * (src/api/routes/mcp.ts) and by `caxton mcp serve` (src/cli/commands/mcp-serve.ts): its arguments
 * and its structured result, as JSON Schema.
 */

/** JSON Schema of an agent tool's arguments: the message, and optionally the conversation to continue. */
export const AGENT_TOOL_INPUT = {
  type: 'object',
  properties: {
    message: { type: 'string', description: 'The message to send to the agent' },
    conversation_id: { type: 'string', description: 'Continue this conversation (from an earlier result); omit to start a new one' },
  },
  required: ['message'],
} as const;

/** JSON Schema of an agent tool's structured result. */
export const AGENT_TOOL_OUTPUT = {
  type: 'object',
  properties: {
    reply: { type: 'string' },
    conversation_id: { type: 'string' },
    execution_id: { type: 'string' },
    provider: { type: 'string', description: 'the provider that served the run; `offline` for the offline demo provider, whose reply is canned text' },
  },
  required: ['reply', 'conversation_id'],
} as const;

/** An agent as an MCP tool definition: named after the agent, described by its description or display name. */
export function agentTool(a: { name: string; display_name?: string | null; description?: string | null }) {
  return {
    name: a.name,
    ...(a.display_name ? { title: a.display_name } : {}),
    description: a.description ?? a.display_name ?? `Caxton agent ${a.name}`,
    inputSchema: AGENT_TOOL_INPUT,
    outputSchema: AGENT_TOOL_OUTPUT,
  };
}
