/**
 * `caxton mcp serve` (SPEC §3 MCP server): an MCP server on stdin/stdout that any MCP client (Claude Desktop,
 * editors, the SDK Client) can spawn. It runs in the CLI process and proxies to the daemon over the
 * control socket: `tools/list` is `GET /api/agents` (each agent one tool), `tools/call` is
 * `POST /api/agents/:name/chat`. Same tools and shape as the daemon's `/mcp` endpoint (own and system
 * agents by bare name; community agents are not offered). Stdout carries only
 * the protocol; messages go to stderr. The MCP SDK is imported here only, when the command runs.
 */
import { requestJson } from '../../client/http.js';
import { agentTool } from '../../domain/agent-tool.js';
import type { AgentSummary, ChatResult } from '../../domain/api-types.js';
import { versionInfo } from '../../ipc/version.js';
import { homePaths, type GlobalOptions } from '../context.js';

/**
 * Serve until stdin closes. Exits 3 at once when the daemon is not running (checked before serving),
 * so a misconfigured client sees a clear error instead of an empty tool list.
 */
export async function run(_args: string[], opts: GlobalOptions): Promise<number> {
  const socket = homePaths(opts).socket;
  await requestJson(socket, '/api/agents'); // throws NotRunningError -> exit 3
  const [{ Server }, { StdioServerTransport }, types] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/index.js'),
    import('@modelcontextprotocol/sdk/server/stdio.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]);
  const server = new Server({ name: 'caxton', version: versionInfo().version }, { capabilities: { tools: {} } });
  server.setRequestHandler(types.ListToolsRequestSchema, async () => {
    const { agents } = await requestJson<{ agents: AgentSummary[] }>(socket, '/api/agents');
    return {
      // As /mcp does: community agents (`OWNER/NAME`) have no valid MCP tool name, so they are not offered.
      tools: agents.filter((a) => a.source !== 'community').map(agentTool),
    };
  });
  server.setRequestHandler(types.CallToolRequestSchema, async (req, extra) => {
    const args = (req.params.arguments ?? {}) as { message?: unknown; conversation_id?: unknown };
    if (typeof args.message !== 'string' || args.message.length === 0) {
      return { isError: true, content: [{ type: 'text' as const, text: 'argument "message" (a non-empty string) is required' }] };
    }
    try {
      const body = {
        message: args.message,
        stream: false,
        ...(typeof args.conversation_id === 'string' && args.conversation_id ? { conversation_id: args.conversation_id } : {}),
      };
      const done = await requestJson<ChatResult>(socket, `/api/agents/${encodeURIComponent(req.params.name)}/chat`, {
        method: 'POST',
        body,
        timeoutMs: 10 * 60_000,
        signal: extra.signal,
      });
      return {
        content: [{ type: 'text' as const, text: done.reply }],
        structuredContent: { reply: done.reply, conversation_id: done.conversation_id, execution_id: done.execution_id },
      };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return { isError: true, content: [{ type: 'text' as const, text: `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}` }] };
    }
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    process.stdin.once('end', () => void server.close());
  });
  await server.connect(transport);
  process.stderr.write(`caxton mcp serve: serving the agents of ${homePaths(opts).home} on stdio\n`);
  await closed;
  return 0;
}
