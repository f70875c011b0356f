/**
 * MCP routes (SPEC §3 MCP server, §6):
 * - `GET /api/mcp/servers`: read-only state of the MCP servers the caller may know of (`caxton mcp list`):
 *   every system server (config/mcps/), then user-tier rows. The admin sees every live
 *   user-tier connection with its owner's email; any other user sees only the rows the catalog lists
 *   for them (their own by name, other users' public ones as `OWNER/NAME`; SPEC §4), live or not
 *   yet started (`idle`: connects on first use) — never another user's private row, never an owner.
 * - `/mcp`: the daemon as an MCP server over Streamable HTTP (stateless, JSON responses). Every agent
 *   the caller reaches by bare name (their own, else the system's) is one tool named after the agent;
 *   input `{message, conversation_id?}`, output the reply (text) plus `{reply, conversation_id,
 *   execution_id}` as structured content. Community agents are not offered: an MCP tool name must
 *   match `^[a-zA-Z0-9_-]{1,64}$`, which has no room for the `/` of `OWNER/NAME`, and any encoding
 *   of it could be taken by someone's bare agent name; reach them through `/v1` (`model:
 *   "OWNER/NAME"`) or `POST /api/agents/OWNER%2FNAME/chat`. A `tools/call` naming one is an unknown
 *   tool. The caller's tenant is the request's user (set by the auth middleware), so another user's
 *   private agents are neither listed nor callable. The MCP SDK loads on the first `/mcp` request.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Context } from 'hono';
import { z } from 'zod';
import { agentTool } from '../../domain/agent-tool.js';
import { McpServerRowSchema } from '../../domain/api-types.js';
import type { McpServer } from '../../domain/entities.js';
import { isDomainError } from '../../domain/errors.js';
import type { McpServerStatus, PooledServerStatus } from '../../domain/mcp-status.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { Routes, type OpSpec } from '../openapi.js';
import type { WireErrors } from '../errors.js';
import { collectRun, type StartAgentRun } from '../run.js';
import { API_LINE } from '../middleware/request-log.js';

type Sdk = [
  typeof import('@modelcontextprotocol/sdk/server/index.js'),
  typeof import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
  typeof import('@modelcontextprotocol/sdk/types.js'),
];
let sdk: Promise<Sdk> | undefined;
const loadSdk = () =>
  (sdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/index.js'),
    import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]));

/** A user-tier row nobody has used since it was (re)configured: no connection yet. */
function notStarted(server: McpServer): McpServerStatus {
  return {
    name: server.name,
    state: server.enabled ? 'idle' : 'disabled',
    transport: server.url ? 'http' : 'stdio',
    tools: 0,
    tool_names: [],
    last_error: null,
    restarts: 0,
  };
}

/**
 * One entry of `GET /api/mcp/servers`: a server's status with its tier, and for user-tier rows the
 * row id (`key`) and — for the admin only — the owner's email.
 */
export type ListedMcpServer = McpServerStatus & { source: 'system' | 'user' | 'community'; key?: string; owner?: string };

/** The servers `userId` may see, as described in the module header. */
async function listServers(deps: AppDeps, userId: string, isAdmin: boolean): Promise<ListedMcpServer[]> {
  const out: ListedMcpServer[] = (deps.mcpServers?.() ?? []).map((s) => ({ ...s, source: 'system' }));
  const pooled = deps.userMcpServers?.() ?? [];
  const live = new Map(pooled.map((p) => [p.key, p]));
  const shown = new Set<string>();
  // The caller's own view first: the rows that resolve for them, live or not.
  for (const e of await deps.catalog.list('mcps', userId)) {
    if (e.source === 'system' || !e.entity) continue;
    const found = live.get(e.entity.id);
    const status: McpServerStatus = found ? connectionStatus(found) : notStarted(e.value);
    shown.add(e.entity.id);
    out.push({ ...status, name: e.name, source: e.source, key: e.entity.id, ...(isAdmin ? { owner: await ownerEmail(deps, e.entity.user_id) } : {}) });
  }
  // The admin also sees every other live user-tier connection, with its owner.
  if (isAdmin) {
    for (const p of pooled) {
      if (shown.has(p.key)) continue;
      out.push({ ...connectionStatus(p), source: 'user', key: p.key, ...(p.owner ? { owner: await ownerEmail(deps, p.owner) } : {}) });
    }
  }
  return out;
}

const ownerEmail = async (deps: AppDeps, id: string) => (await deps.tenants.users.byId(id))?.email ?? id;

/** A pool entry's status without the pool's own fields (row id and owner id). */
function connectionStatus(p: PooledServerStatus): McpServerStatus {
  const { key: _key, owner: _owner, ...status } = p;
  return status;
}

/** A JSON-RPC 2.0 message (MCP Streamable HTTP); the MCP SDK validates it in full. */
const JsonRpcSchema = z.object({ jsonrpc: z.literal('2.0'), method: z.string().optional(), id: z.union([z.string(), z.number()]).nullish() }).loose();

/** What POST /mcp answers with 200: one JSON-RPC response, or an array of them for a batch request. */
const JsonRpcReply = z.union([JsonRpcSchema, z.array(JsonRpcSchema)]);

const tags = ['mcp'];

/**
 * `GET /api/mcp/servers` -> `{servers: [{name, source, state, transport, tools, tool_names, last_error,
 * pid?, restarts, key?, owner?, ...}]}`: system servers, then the user-tier rows the caller may see.
 */
const serversSpec = {
  method: 'get',
  path: '/api/mcp/servers',
  summary: 'State of the MCP servers the caller may know of (`caxton mcp list`)',
  tags,
  responses: {
    200: { description: 'system servers, then the user-tier rows visible to the caller', schema: z.object({ servers: z.array(McpServerRowSchema) }) },
  },
} satisfies OpSpec;

/**
 * `GET|DELETE /mcp` -> 405: stateless, so there is no session to stream to or end (the MCP spec lets
 * a server refuse them). Answered as a JSON-RPC error, which MCP clients expect.
 */
const statelessSpec = (method: 'get' | 'delete') =>
  ({
    method,
    path: '/mcp',
    summary: 'Refused: the MCP endpoint is stateless (no session to stream to or end)',
    tags,
    responses: { 405: { description: 'JSON-RPC error; send JSON-RPC with POST', schema: JsonRpcSchema } },
  }) satisfies OpSpec;

/**
 * `POST /mcp`: one stateless MCP server per request (Streamable HTTP, JSON responses).
 * Tools: the agents the caller reaches by bare name (module header). A failed run is an `isError` tool result, not a protocol error.
 */
const mcpSpec = {
  method: 'post',
  path: '/mcp',
  summary:
    'The daemon as an MCP server (Streamable HTTP, stateless): the agents the caller reaches by bare name (own, else system) as tools; community agents are not offered',
  tags,
  body: JsonRpcSchema,
  bodyReadByHandler: true,
  responses: {
    200: { description: "JSON-RPC response (tools/list, tools/call: the agent's reply), or an array of them for a batch", schema: JsonRpcReply },
    202: { description: 'accepted: the body held only notifications or responses (no reply)' },
    400: { description: 'JSON-RPC error: not JSON, not JSON-RPC, or an unsupported MCP-Protocol-Version', schema: JsonRpcSchema },
    406: { description: 'JSON-RPC error: Accept must list both application/json and text/event-stream', schema: JsonRpcSchema },
    415: { description: 'JSON-RPC error: Content-Type must be application/json (control socket)', schema: JsonRpcSchema },
  },
} satisfies OpSpec;

/** What `POST /mcp` runs agents with: the run starter and how errors read on the wire. */
interface McpRunDeps {
  startRun: StartAgentRun;
  wire: WireErrors;
}

/** A tool result that is only an error text. */
const toolError = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

/**
 * A `tools/call` of agent `name` with `args` `{message, conversation_id?}`, run for the request's user:
 * the reply as text plus `{reply, finish_reason, conversation_id, execution_id, provider}` as structured
 * content. A missing message, an `OWNER/NAME` tool or a failed run is an `isError` result (a failure
 * other than a DomainError is logged, and reads "see the daemon log").
 */
async function callAgent(
  c: Context<AppEnv>,
  run: McpRunDeps,
  name: string,
  args: Record<string, unknown> | undefined,
  signal: AbortSignal,
): Promise<CallToolResult> {
  const { message, conversation_id } = (args ?? {}) as { message?: unknown; conversation_id?: unknown };
  if (typeof message !== 'string' || message.length === 0) return toolError('argument "message" (a non-empty string) is required');
  if (name.includes('/')) return toolError(`unknown tool ${name}: other users' agents are not offered over MCP; use /v1 or POST /api/agents/OWNER%2FNAME/chat`);
  try {
    const conversationId = typeof conversation_id === 'string' && conversation_id ? conversation_id : undefined;
    const apiKeyId = c.get('apiKeyId');
    const { events, provider } = await run.startRun({
      name,
      message,
      userId: c.get('userId'),
      ...(apiKeyId ? { apiKeyId } : {}),
      signal,
      log: c.var.log,
      ...(conversationId ? { conversationId } : {}),
    });
    const done = await collectRun(events);
    return {
      ...(done.error !== undefined ? { isError: true } : {}),
      content: [{ type: 'text', text: done.reply }],
      structuredContent: {
        reply: done.reply,
        finish_reason: done.finish_reason,
        conversation_id: done.conversation_id,
        execution_id: done.execution_id,
        provider,
      },
    };
  } catch (err) {
    if (!isDomainError(err)) c.var.log.error({ ...API_LINE, err, agent: name }, 'mcp: agent run failed');
    const { code, message: text } = run.wire(err);
    return toolError(isDomainError(err) ? `${code}: ${text}` : 'the agent run failed (see the daemon log)');
  }
}

/** Answer one `POST /mcp` request with a stateless MCP server offering the caller's agents as tools. */
async function serveMcp(deps: AppDeps, run: McpRunDeps, c: Context<AppEnv>): Promise<Response> {
  const userId = c.get('userId');
  const [{ Server }, { WebStandardStreamableHTTPServerTransport }, types] = await loadSdk();
  const server = new Server({ name: 'caxton', version: deps.version }, { capabilities: { tools: {} } });
  const offered = async () => (await deps.catalog.listAgents(userId)).filter((a) => a.source !== 'community');
  server.setRequestHandler(types.ListToolsRequestSchema, async () => ({ tools: (await offered()).map((l) => agentTool({ ...l.agent, name: l.name })) }));
  server.setRequestHandler(types.CallToolRequestSchema, (req, extra) => callAgent(c, run, req.params.name, req.params.arguments, extra.signal));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c.req.raw);
  } finally {
    void server.close();
  }
}

/** MCP routes, registered in the OpenAPI document like every other route. */
export function mcpRoutes(deps: AppDeps, startRun: StartAgentRun, wire: WireErrors): Routes {
  const r = new Routes('/');
  r.op(serversSpec, async (c) => c.json({ servers: await listServers(deps, c.get('userId'), c.get('isAdmin')) }));
  for (const method of ['get', 'delete'] as const) {
    r.op(statelessSpec(method), (c) =>
      c.json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this endpoint is stateless; send JSON-RPC with POST' }, id: null }, 405, {
        Allow: 'POST',
      }),
    );
  }
  r.op(mcpSpec, (c) => serveMcp(deps, { startRun, wire }, c));
  return r;
}
