/**
 * The Toolbox (SPEC §7): every ToolSet (builtin + one per MCP server) behind one permission check.
 * `forAgent` says which tools an agent is offered (and which it asked for but cannot have, with the
 * reason); `call` runs one tool the model asked for, checking permissions again AT CALL TIME whatever
 * name the model used, bounding it by the tool's timeout, and turning refusals, throws and timeouts
 * into error results for the model (never exceptions). An agent may call exactly the tools its
 * `tools[]` names: `calculator`, `everything.echo`, or every tool of a server with `everything.*`;
 * an agent with `memory.enabled` also gets `memory_get`/`memory_set`/`memory_search`/`memory_store`. The system-wide
 * `[tools] deny` list of ares.toml (same patterns) wins over any agent.
 */
import type { Agent } from '../domain/entities.js';
import { parseToolRef } from '../domain/tool-refs.js';
import type { ToolContext, ToolDefinition, ToolResult, ToolSet, UnavailableTool } from './types.js';

/** Names a model may be offered (OpenAI rejects others, SPEC §7). */
const OFFERED_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Builtin memory tools, granted implicitly to agents with `memory.enabled = true` (SPEC §3). */
const MEMORY_TOOLS = ['memory_get', 'memory_set', 'memory_search', 'memory_store'] as const;

/** Where refused calls are reported (pino's `warn(obj, msg)` fits). Never given arguments' secrets: only names. */
export interface ToolboxLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/**
 * Who the tools are for (SPEC §4: tools and MCP servers resolve per user): the agent being run and
 * the user it runs as (absent in callers that have no user, which then see the system tier only).
 */
export interface ToolScope {
  agent: Agent;
  userId?: string;
}

/** How the daemon builds the toolbox. */
export interface ToolboxOptions {
  /**
   * The tool sets in effect now for `scope` (read on every call, so MCP servers coming and going are
   * seen at once). Earlier sets win on a name clash, so a user's own tools and servers come first.
   * A Promise when resolving them reads the store (per-user rows); rejections reach the caller.
   */
  sets: (scope?: ToolScope) => readonly ToolSet[] | Promise<readonly ToolSet[]>;
  /**
   * Make the scope's tools ready before a run lists them (e.g. connect the user's MCP servers, which
   * start on first use). Resolves when done or failed; never rejects. Optional.
   */
  prepare?: (scope: ToolScope) => Promise<void>;
  /** System-wide deny patterns (`[tools] deny` in ares.toml): `http_fetch`, `everything.*`, `everything.echo`. */
  deny?: readonly string[];
  log?: ToolboxLog;
}

/** What one agent is offered: definitions (their `spec` goes to the model) and what it asked for but cannot have. */
export interface AgentTools {
  tools: ToolDefinition[];
  unavailable: UnavailableTool[];
}

/** Permission-checked access to every tool. */
export interface Toolbox {
  /** Tools `agent` may use now as `userId` (SPEC §4 tiers), and the tools it names that are unavailable (with the reason). */
  forAgent(agent: Agent, userId?: string): Promise<AgentTools>;
  /**
   * Connect what `agent` run as `userId` needs (user-tier MCP servers start on first use). Resolves
   * when that is done or failed, or at once when `signal` aborts (the run is cancelled); never rejects.
   */
  prepare(agent: Agent, userId?: string, signal?: AbortSignal): Promise<void>;
  /**
   * Run the tool the model called `offeredName` (a `spec.name` such as `everything__echo`, or a
   * configured name) with parsed JSON `args`, resolving tools as `ctx.userId` sees them. Never throws: an unknown tool, a refused call (logged),
   * a tool that throws, and a tool that runs past its `timeoutMs` all come back as `{isError: true}`
   * with text the model can read; `timedOut` marks the last case. A call whose `ctx.signal` is
   * aborted resolves at once with an error result.
   */
  call(agent: Agent, offeredName: string, args: unknown, ctx: ToolContext): Promise<ToolResult>;
}

/** True when the tool reference `pattern` (`calculator`, `srv.tool`, `srv.*`) covers configured tool `name`. */
export function matchesToolPattern(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  return pattern.endsWith('.*') && name.length > pattern.length - 1 && name.startsWith(pattern.slice(0, -1));
}

/** The tool references an agent holds: its `tools[]`, plus the memory tools when memory is enabled. */
function grantsOf(agent: Agent): readonly string[] {
  if (!agent.memory?.enabled) return agent.tools;
  const extra = MEMORY_TOOLS.filter((m) => !agent.tools.includes(m));
  return extra.length ? [...agent.tools, ...extra] : agent.tools;
}

/** Why tool reference `pattern` matched no tool any set lists (the sets gave no reason of their own). */
function unknownReason(pattern: string): string {
  const { server, tool } = parseToolRef(pattern);
  if (server === undefined) return `no tool named ${tool} is available (not a builtin tool, not defined in config/tools/)`;
  return tool === '*' ? `MCP server ${server} is not running or lists no tools` : `MCP server ${server} is not running or has no tool ${tool}`;
}

/** Build the toolbox over the daemon's tool sets. */
export function createToolbox(opts: ToolboxOptions): Toolbox {
  const deny = opts.deny ?? [];
  const denied = (name: string) => deny.some((p) => matchesToolPattern(p, name));
  const permitted = (agent: Agent, name: string) => grantsOf(agent).some((p) => matchesToolPattern(p, name));

  async function forAgent(agent: Agent, userId?: string): Promise<AgentTools> {
    const grants = grantsOf(agent);
    const tools: ToolDefinition[] = [];
    const unavailable: UnavailableTool[] = [];
    if (grants.length === 0) return { tools, unavailable };
    const sets = await opts.sets({ agent, ...(userId !== undefined ? { userId } : {}) });
    const all: ToolDefinition[] = [];
    const down: UnavailableTool[] = [];
    for (const set of sets) {
      all.push(...set.list());
      const u = (set as Partial<{ unavailable(): UnavailableTool[] }>).unavailable;
      if (typeof u === 'function') down.push(...u.call(set));
    }
    const seen = new Set<string>();
    for (const pattern of grants) {
      let matched = false;
      for (const def of all) {
        if (!matchesToolPattern(pattern, def.name)) continue;
        matched = true;
        if (seen.has(def.name)) continue;
        seen.add(def.name);
        if (denied(def.name)) unavailable.push({ name: def.name, reason: 'denied for every agent by [tools] deny in ares.toml' });
        else if (!OFFERED_NAME.test(def.spec.name)) {
          unavailable.push({ name: def.name, reason: `offered name ${JSON.stringify(def.spec.name)} does not match ^[a-zA-Z0-9_-]{1,64}$ (SPEC §7)` });
        } else if (tools.some((t) => t.spec.name === def.spec.name)) {
          unavailable.push({ name: def.name, reason: `offered name ${def.spec.name} clashes with another tool` });
        } else tools.push(def);
      }
      if (!matched && !seen.has(pattern)) {
        seen.add(pattern);
        const known = down.find((u) => u.name === pattern || matchesToolPattern(pattern, u.name));
        unavailable.push({ name: pattern, reason: known?.reason ?? unknownReason(pattern) });
      }
    }
    return { tools, unavailable };
  }

  function refuse(agent: Agent, tool: string, ctx: ToolContext, why: string, content: string): ToolResult {
    // The run's logger already names the agent (and the request, the run); the Toolbox's own does not.
    if (ctx.log) ctx.log.warn({ tool, reason: why }, `tool call refused: ${why}`);
    else opts.log?.warn({ agent: agent.name, user: ctx.userId, tool, reason: why }, `tool call refused: ${why}`);
    return { content, isError: true };
  }

  async function call(agent: Agent, offeredName: string, args: unknown, ctx: ToolContext): Promise<ToolResult> {
    let def: ToolDefinition | undefined;
    let owner: ToolSet | undefined;
    for (const set of await opts.sets({ agent, userId: ctx.userId })) {
      for (const d of set.list()) {
        if (d.spec.name === offeredName || d.name === offeredName) {
          def = d;
          owner = set;
          break;
        }
      }
      if (def) break;
    }
    if (!def || !owner) {
      return refuse(agent, offeredName, ctx, 'unknown tool', `error: there is no tool named ${offeredName}`);
    }
    if (!permitted(agent, def.name)) {
      return refuse(agent, def.name, ctx, "not in the agent's tools", `error: tool ${def.name} is not allowed for agent ${agent.name}`);
    }
    if (denied(def.name)) {
      return refuse(agent, def.name, ctx, 'denied by [tools] deny', `error: tool ${def.name} is disabled on this server`);
    }
    if (ctx.signal.aborted) return { content: `error: tool ${def.name} was cancelled`, isError: true };

    const timeoutMs = def.timeoutMs;
    const ctrl = new AbortController();
    let timedOut = false;
    let settle: ((r: ToolResult) => void) | undefined;
    const stopped = new Promise<ToolResult>((res) => (settle = res));
    const onCancel = () => {
      ctrl.abort(ctx.signal.reason);
      settle?.({ content: `error: tool ${def.name} was cancelled`, isError: true });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new Error(`tool ${def.name} timed out`));
      settle?.({ content: `error: tool ${def.name} timed out after ${timeoutMs / 1000} s`, isError: true, timedOut: true });
    }, timeoutMs);
    ctx.signal.addEventListener('abort', onCancel, { once: true });
    const callCtx: ToolContext = { ...ctx, signal: ctrl.signal, memoryScope: agent.memory?.scope ?? 'agent' };
    try {
      const running = owner.call(def.name, args, callCtx).then(
        (r) => r,
        (err: unknown) =>
          timedOut
            ? { content: `error: tool ${def.name} timed out after ${timeoutMs / 1000} s`, isError: true, timedOut: true }
            : { content: `error: tool ${def.name} failed: ${(err as Error)?.message ?? String(err)}`, isError: true },
      );
      return await Promise.race([running, stopped]);
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onCancel);
    }
  }

  async function prepare(agent: Agent, userId?: string, signal?: AbortSignal): Promise<void> {
    if (!opts.prepare || signal?.aborted) return;
    let onAbort: (() => void) | undefined;
    try {
      const ready = opts.prepare({ agent, ...(userId !== undefined ? { userId } : {}) });
      await (signal ? Promise.race([ready, new Promise<void>((res) => signal.addEventListener('abort', (onAbort = () => res()), { once: true }))]) : ready);
    } catch (err) {
      opts.log?.warn({ agent: agent.name, user: userId, err: (err as Error)?.message }, 'preparing tools failed');
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  return { forAgent, call, prepare };
}
