/**
 * One MCP server as a ToolSet (SPEC §3 MCP server, §7; STORY-020): an SDK `Client` over stdio (a
 * child process with only the configured env plus the SDK's safe minimum) or Streamable HTTP. Tools
 * are listed once per connection and cached (refreshed on `tools/list_changed`); a call runs with the
 * server's `timeout_secs`. When the server dies, pending calls fail with an error result and the
 * connection is retried with exponential backoff. `close()` ends the child (stdin EOF, then SIGTERM,
 * then SIGKILL: the SDK's own sequence).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServer } from '../../domain/entities.js';
import { refusedIn } from '../net-policy.js';
import type { ToolContext, ToolDefinition, ToolResult, ToolSetWithUnavailable, UnavailableTool } from '../types.js';
import { allowedByServer, offeredName, qualifiedName } from './names.js';
import { cpuSeconds, residentBytes } from './proc.js';
import type { McpServerState, McpServerStatus, McpTransportKind } from '../../domain/mcp-status.js';

/** Structured log sink (a pino logger fits). */
export interface McpLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A transport made for one connection attempt, with what the manager needs to watch it. */
export interface OpenedTransport {
  transport: Transport;
  /** Pid of the stdio child, once started (read after `connect`). */
  pid?: () => number | null;
  /** Last stderr output of the stdio child (for error messages), already redacted. */
  stderrTail?: () => string;
  /** Once the stdio child has exited: the limit it broke ("exceeded memory_mb=64"), or undefined. */
  breach?: () => string | undefined;
}

/** Builds the transport of one attempt; tests pass in-memory pairs. @throws DomainError-free Error with a user-facing message. */
export type TransportFactory = (server: McpServer, env: Readonly<Record<string, string | undefined>>) => Promise<OpenedTransport>;

/** Retry policy after a crash or failed connect: delay = min(maxMs, initialMs * 2^attempt), ms. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** Options of one connection. */
export interface ConnectionOptions {
  server: McpServer;
  log: McpLog;
  createTransport: TransportFactory;
  /** Where `${VAR}` references in `env` values are looked up (the daemon's environment). */
  env: Readonly<Record<string, string | undefined>>;
  backoff: Backoff;
  clientInfo: { name: string; version: string };
  /** Enabled but no agent may use it (none names it, or `[tools] deny` has `server.*`): listed as `idle`, never started. */
  idle?: boolean;
  /** Called when the stdio child's pid changes (started, lost, closed). */
  onChildChange?: () => void;
}

/** SDK error codes we tell apart (JSON-RPC codes of `@modelcontextprotocol/sdk` ErrorCode). */
const REQUEST_TIMEOUT = -32001;
const CONNECTION_CLOSED = -32000;
/** This many calls in a row timing out means the server is wedged: it is restarted. */
const MAX_CONSECUTIVE_TIMEOUTS = 3;

let sdkClient: Promise<typeof import('@modelcontextprotocol/sdk/client/index.js')> | undefined;
let sdkTypes: Promise<typeof import('@modelcontextprotocol/sdk/types.js')> | undefined;

/** The transport kind a server config selects. */
function transportKind(server: McpServer): McpTransportKind {
  return server.url ? 'http' : 'stdio';
}

/** A tool result's MCP content as the text given back to the model. */
function resultText(result: { content?: unknown; structuredContent?: unknown; toolResult?: unknown }): string {
  const parts: string[] = [];
  const content = Array.isArray(result.content) ? (result.content as Record<string, unknown>[]) : [];
  for (const item of content) {
    switch (item.type) {
      case 'text':
        parts.push(String(item.text ?? ''));
        break;
      case 'image':
      case 'audio':
        parts.push(`[${String(item.type)} ${String(item.mimeType ?? '')}, ${Math.floor((String(item.data ?? '').length * 3) / 4)} bytes]`);
        break;
      case 'resource': {
        const r = (item.resource ?? {}) as Record<string, unknown>;
        parts.push(typeof r.text === 'string' ? r.text : `[resource ${String(r.uri ?? '')}]`);
        break;
      }
      case 'resource_link':
        parts.push(`[resource ${String(item.uri ?? '')}${item.name ? ` ${String(item.name)}` : ''}]`);
        break;
      default:
        parts.push(JSON.stringify(item));
    }
  }
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  if (parts.length === 0 && result.toolResult !== undefined) return JSON.stringify(result.toolResult);
  return parts.join('\n');
}

/**
 * Expand `${NAME}` references in a server's `env` values from `source` (secrets stay in the daemon's
 * environment and never in config files or exports).
 * @throws Error naming the missing variable (never its value).
 */
export function expandEnv(env: Readonly<Record<string, string>>, source: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    out[key] = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = source[name];
      if (v === undefined) throw new Error(`environment variable ${name} is not set (referenced by env.${key})`);
      return v;
    });
  }
  return out;
}

/** One MCP server: connects, caches tools, calls them, reconnects after a crash. */
export class McpConnection implements ToolSetWithUnavailable {
  readonly server: McpServer;
  private readonly opts: ConnectionOptions;
  private readonly timeoutMs: number;
  private state: McpServerState;
  private tools: ToolDefinition[] = [];
  /** `server.tool` names of the last successful listing, kept while the server is down. */
  private known: string[] = [];
  /** `server.tool` -> the MCP tool name. */
  private byName = new Map<string, string>();
  private client: Client | undefined;
  private opened: OpenedTransport | undefined;
  private generation = 0;
  private attempt = 0;
  private restarts = 0;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private lastError: string | null = null;
  private connectedAt: number | undefined;
  private nextRetryAt: number | undefined;
  private pid: number | undefined;
  private connecting: Promise<void> | undefined;
  private timeoutsInARow = 0;

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
    this.server = opts.server;
    this.timeoutMs = Math.round(opts.server.timeout_secs * 1000);
    this.state = !opts.server.enabled ? 'disabled' : opts.idle ? 'idle' : 'connecting';
  }

  /** Start connecting (no-op for a disabled or idle server). */
  start(): void {
    if (this.state === 'connecting' && !this.closed) this.connecting = this.connect();
  }

  /** Resolves when the current connect attempt is over (ready or failed). */
  async settled(): Promise<void> {
    await this.connecting;
  }

  /** Tools offered now: none unless connected. */
  list(): ToolDefinition[] {
    return this.tools;
  }

  /**
   * While the server is not ready: `server.*` and every tool it listed before, each with the reason
   * (the Toolbox shows these to users instead of "no such tool"). Empty when ready.
   */
  unavailable(): UnavailableTool[] {
    if (this.state === 'ready') return [];
    const reason =
      this.state === 'disabled'
        ? `MCP server ${this.server.name} is disabled (enabled = false)`
        : this.state === 'idle'
          ? `MCP server ${this.server.name} is not started: no agent may use its tools`
          : `MCP server ${this.server.name} is ${this.state === 'connecting' ? 'still connecting' : `unavailable: ${this.lastError ?? 'not connected'}`}`;
    return [`${this.server.name}.*`, ...this.known].map((name) => ({ name, reason }));
  }

  /** Status for `caxton mcp list`. */
  status(): McpServerStatus {
    return {
      name: this.server.name,
      state: this.state,
      transport: transportKind(this.server),
      tools: this.tools.length,
      tool_names: this.tools.map((t) => t.name),
      last_error: this.lastError,
      ...(this.pid !== undefined && this.state === 'ready' ? childUsage(this.pid) : {}),
      ...(this.connectedAt !== undefined && this.state === 'ready' ? { connected_at: this.connectedAt } : {}),
      restarts: this.restarts,
      ...(this.nextRetryAt !== undefined && this.state === 'failed' ? { next_retry_at: this.nextRetryAt } : {}),
    };
  }

  /**
   * Call tool `name` (`server.tool`) with `args` (a JSON object), bounded by the server's
   * `timeout_secs` and `ctx.signal`. Every failure (unknown tool, server down, timeout, crash
   * mid-call, the tool's own error) is an `{isError: true}` result for the model.
   */
  async call(name: string, args: unknown, ctx: ToolContext): Promise<ToolResult> {
    const server = this.server.name;
    const tool = this.byName.get(name);
    const client = this.client;
    if (this.state !== 'ready' || !client) {
      return { isError: true, content: `MCP server ${server} is not available (${this.state}${this.lastError ? `: ${this.lastError}` : ''}); try again later` };
    }
    if (tool === undefined) return { isError: true, content: `MCP server ${server} has no tool ${name}` };
    const generation = this.generation;
    const started = Date.now();
    try {
      const params = { name: tool, arguments: (args && typeof args === 'object' ? args : {}) as Record<string, unknown> };
      const result = await client.callTool(params, undefined, { signal: ctx.signal, timeout: this.timeoutMs });
      this.timeoutsInARow = 0;
      return { content: resultText(result), ...(result.isError === true ? { isError: true } : {}) };
    } catch (err) {
      const e = err as { code?: unknown; message?: string };
      // A caller's own timer (the toolbox's, set to the same limit) may abort just before ours fires:
      // an abort after the whole time limit counts as a timeout too, for wedge detection.
      // (The SDK reports every abort as a RequestTimeout error, so `aborted` is checked first.)
      const timedOut = ctx.signal.aborted ? Date.now() - started >= this.timeoutMs - 10 : e.code === REQUEST_TIMEOUT;
      if (timedOut && ++this.timeoutsInARow >= MAX_CONSECUTIVE_TIMEOUTS && generation === this.generation) {
        this.lost(generation, `${this.timeoutsInARow} calls in a row timed out; restarting the server`);
      }
      if (ctx.signal.aborted) return { isError: true, content: `call to ${name} was cancelled` };
      if (timedOut) return { isError: true, content: `${name} timed out after ${this.server.timeout_secs} s (MCP server ${server} timeout_secs)` };
      const crashed = generation !== this.generation || this.state !== 'ready';
      // Streamable HTTP has no process to watch: a transport-level failure (not a JSON-RPC error) means the server is gone.
      if (!crashed && typeof e.code !== 'number' && transportKind(this.server) === 'http') this.lost(generation, `request failed: ${e.message ?? String(err)}`);
      const why =
        crashed || this.state !== 'ready'
          ? `MCP server ${server} stopped during the call${this.lastError ? ` (${this.lastError})` : ''}; it is being restarted`
          : `MCP server ${server} failed: ${e.message ?? String(err)}`;
      return { isError: true, content: why };
    }
  }

  /** Stop for good: no reconnect; the stdio child is ended. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.tools = [];
    this.byName = new Map();
    const client = this.client;
    const opened = this.opened;
    this.client = undefined;
    this.opened = undefined;
    await closeQuietly(client, opened);
    this.pid = undefined;
    this.opts.onChildChange?.();
  }

  /** Pid of the stdio child while one runs (also while connecting or closing). */
  childPid(): number | undefined {
    return this.pid;
  }

  /** Last resort on process exit: SIGKILL the stdio child now (synchronous). */
  killNow(): void {
    const pid = this.opened?.pid?.() ?? this.pid;
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.state = 'connecting';
    this.nextRetryAt = undefined;
    let client: Client | undefined;
    let opened: OpenedTransport | undefined;
    try {
      sdkClient ??= import('@modelcontextprotocol/sdk/client/index.js');
      sdkTypes ??= import('@modelcontextprotocol/sdk/types.js');
      const [{ Client }, types] = await Promise.all([sdkClient, sdkTypes]);
      opened = await this.opts.createTransport(this.server, this.opts.env);
      if (generation !== this.generation) {
        await closeQuietly(undefined, opened);
        return;
      }
      this.opened = opened;
      client = new Client(this.opts.clientInfo, { capabilities: {} });
      const c = client;
      const o = opened;
      await client.connect(opened.transport, { timeout: this.timeoutMs });
      if (generation !== this.generation) {
        await closeQuietly(client, opened);
        return;
      }
      // Watch for a crash only once connected: a failure while connecting rejects connect() instead.
      client.onclose = () => this.lost(generation, this.exitMessage(o));
      this.pid = opened.pid?.() ?? undefined;
      this.opts.onChildChange?.();
      await this.refreshTools(c);
      if (generation !== this.generation) return;
      client.setNotificationHandler(types.ToolListChangedNotificationSchema, () => {
        this.refreshTools(c).catch((err: Error) => this.opts.log.warn({ server: this.server.name, err: err.message }, 'mcp: refreshing tools failed'));
      });
      this.client = client;
      this.state = 'ready';
      this.attempt = 0;
      this.timeoutsInARow = 0;
      this.connectedAt = Date.now();
      this.opts.log.info({ server: this.server.name, tools: this.tools.length, pid: this.pid }, 'mcp server ready');
    } catch (err) {
      if (generation !== this.generation) return;
      const stderr = opened?.stderrTail?.();
      const breach = opened?.breach?.();
      this.client = undefined;
      this.opened = undefined;
      void closeQuietly(client, opened);
      this.fail(`${breach ? `${breach}: ` : ''}${describeConnectError(err, this.server)}${stderr ? ` (stderr: ${stderr})` : ''}`);
    }
  }

  /** List every page of tools and rebuild the cache (applying the server's allowlist). */
  private async refreshTools(client: Client): Promise<void> {
    const server = this.server.name;
    const found: ToolDefinition[] = [];
    const byName = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.timeoutMs });
      for (const t of page.tools) {
        if (!allowedByServer(server, t.name, this.server.tools)) continue;
        const name = qualifiedName(server, t.name);
        byName.set(name, t.name);
        const description = t.description ?? t.title;
        found.push({
          name,
          spec: { name: offeredName(server, t.name), ...(description ? { description } : {}), parameters: t.inputSchema as Record<string, unknown> },
          timeoutMs: this.timeoutMs,
        });
      }
      cursor = page.nextCursor;
    } while (cursor);
    found.sort((a, b) => a.name.localeCompare(b.name));
    this.tools = found;
    this.byName = byName;
    this.known = found.map((t) => t.name);
  }

  /** Why the connection ended: the broken limit first when the child broke one, then stderr's last telling line. */
  private exitMessage(opened: OpenedTransport): string {
    const stderr = opened.stderrTail?.();
    const breach = opened.breach?.();
    const ended = transportKind(this.server) === 'stdio' ? `${breach ? `${breach}: ` : ''}the server process exited` : 'the connection closed';
    return `${ended}${stderr ? ` (stderr: ${stderr})` : ''}`;
  }

  /** The connection of `generation` is gone (crash, EOF, HTTP failure): drop it and retry later. */
  private lost(generation: number, why: string): void {
    if (generation !== this.generation || this.closed) return;
    this.generation++;
    const client = this.client;
    const opened = this.opened;
    this.client = undefined;
    this.opened = undefined;
    this.tools = [];
    this.byName = new Map();
    this.pid = undefined;
    void closeQuietly(client, opened);
    this.opts.onChildChange?.();
    this.opts.log.warn({ server: this.server.name, reason: why }, 'mcp server connection lost; reconnecting');
    this.fail(why);
  }

  private fail(why: string): void {
    this.state = 'failed';
    this.lastError = why.length > 500 ? `${why.slice(0, 497)}...` : why;
    const delay = Math.min(this.opts.backoff.maxMs, this.opts.backoff.initialMs * 2 ** this.attempt);
    this.attempt++;
    this.nextRetryAt = Date.now() + delay;
    this.opts.log.warn({ server: this.server.name, error: this.lastError, retry_in_ms: delay }, 'mcp server unavailable');
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.restarts++;
      this.connecting = this.connect();
    }, delay);
    this.timer.unref();
  }
}

/** The pid of a running stdio child with its resident memory (bytes) and CPU time (seconds) where /proc tells them. */
function childUsage(pid: number): Pick<McpServerStatus, 'pid' | 'rss_bytes' | 'cpu_seconds'> {
  const rss = residentBytes(pid);
  const cpu = cpuSeconds(pid);
  return { pid, ...(rss !== undefined ? { rss_bytes: rss } : {}), ...(cpu !== undefined ? { cpu_seconds: cpu } : {}) };
}

/** A connect failure in words a user can act on (the SDK's "Connection closed" says little). */
function describeConnectError(err: unknown, server: McpServer): string {
  const e = err as { code?: unknown; message?: string; cause?: { code?: string; message?: string } };
  const refused = refusedIn(err);
  if (refused)
    return `refused: ${refused.message}; this server may only reach public addresses (an admin can allow private ones with [mcp] allow_private_urls = true in ares.toml)`;
  if (e.code === CONNECTION_CLOSED) {
    return server.url ? 'the server closed the connection while starting' : 'the server process exited while starting';
  }
  const cause = e.cause?.code ?? e.cause?.message;
  return `${e.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

async function closeQuietly(client: Client | undefined, opened: OpenedTransport | undefined): Promise<void> {
  try {
    if (client) {
      client.onclose = undefined;
      await client.close();
    } else if (opened) await opened.transport.close();
  } catch {
    /* already closed */
  }
}
