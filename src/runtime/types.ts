/**
 * What the runtime takes and gives (SPEC §7): its dependencies and limits, one run's request, and
 * the runtime as the API and the daemon use it. src/runtime/run.ts implements it.
 */
import type { PendingApproval } from '../domain/approvals.js';
import type { Agent, Model, Source } from '../domain/entities.js';
import type { Log } from '../domain/log.js';
import type { SemanticMemory } from '../domain/memory-items.js';
import type { AgentRow } from '../domain/memory-scope.js';
import type { ChatRequest, Provider, ToolSpec } from '../llm/types.js';
import type { MemoryStore, Store, StoredMessage, UserEntityStore } from '../store/types.js';
import type { Toolbox } from '../tools/toolbox.js';
import type { AgentControls } from './agent-controls.js';
import type { Budgets } from './budgets.js';
import type { RunEvent } from './events.js';
import type { RunObserver } from './observer.js';
import type { RunOverrides } from './overrides.js';
import type { RoutingDecision } from '../domain/routing.js';

/** Runtime limits. Counts, characters and tokens. */
export interface RuntimeLimits {
  /** Runs of one agent at the same time (`[runtime] max_concurrent_runs_per_agent`). */
  maxConcurrentPerAgent: number;
  /** Runs of one agent waiting for a slot; beyond this a run is refused as busy. */
  maxQueuedPerAgent: number;
  /** Runs waiting for a slot across all agents (`[runtime] max_queued_runs`); beyond this runs are refused as busy. */
  maxQueuedTotal: number;
  /** Runs of all agents at the same time (`[runtime] max_concurrent_runs`, the global pool); more wait in the global queue. */
  maxConcurrentRuns: number;
  /** A tool result longer than this (characters) is cut before it goes to the model and the store. */
  maxToolResultChars: number;
  /** Default `max_run_seconds` of a run (seconds; `[runtime] max_run_seconds`); absent: none. */
  maxRunSeconds?: number;
  /** Default `max_tokens_per_run` (tokens; `[runtime] max_tokens_per_run`); absent: none. */
  maxTokensPerRun?: number;
  /** Default `max_tool_calls_per_run` (`[runtime] max_tool_calls_per_run`); absent: none. */
  maxToolCallsPerRun?: number;
  /** Identical tool calls in one run that end it as `loop_detected` (`[runtime] repeat_tool_call_limit`). */
  repeatToolCallLimit: number;
  /** Sub-agent hops below a request's first run (`[runtime] max_delegation_depth`); a deeper delegation is refused. */
  maxDelegationDepth: number;
  /** Runs under one request, its first included (`[runtime] max_runs_per_request`); a delegation past it is refused. */
  maxRunsPerRequest: number;
}

/** Defaults of `RuntimeLimits`. */
export const DEFAULT_RUNTIME_LIMITS: RuntimeLimits = {
  maxConcurrentPerAgent: 8,
  maxQueuedPerAgent: 256,
  maxQueuedTotal: 1024,
  maxConcurrentRuns: 64,
  maxToolResultChars: 32_000,
  repeatToolCallLimit: 3,
  maxDelegationDepth: 3,
  maxRunsPerRequest: 25,
};

/** What the runtime needs: persistence, the provider serving a model, and (optionally) tools. */
export interface RuntimeDeps {
  store: Pick<Store, 'conversations' | 'executions'>;
  providers: { get(name: string): Promise<Provider> };
  /** The permission-checked tools; without it agents are offered no tools. */
  toolbox?: Toolbox;
  limits?: Partial<RuntimeLimits>;
  /** Where the runtime logs what operators should see when the run request brings no logger of its own. Default: nothing. */
  log?: Log;
  /** Context window of a model in tokens (default: src/runtime/context.ts `contextWindow`). */
  contextWindow?: (model: Model) => number;
  /** Memory entries for `{{memory_context}}` in `user_prompt_template` (agents with `memory.enabled`). */
  memory?: Pick<MemoryStore, 'search'>;
  /** Memory items for `memory.recall` and `memory.auto_store` (src/runtime/memory-recall.ts). */
  items?: SemanticMemory;
  /**
   * Where completed runs of user-tier agents (`RunRequest.agentRow`) are counted for ranking; the
   * store keeps one per user, agent and UTC day and never counts the owner. Without it nothing is counted.
   */
  usage?: Pick<UserEntityStore, 'countUse'>;
  /**
   * Removes configured secret values from text (src/domain/secrets.ts `SecretScrubber.scrub`): applied
   * to every error message (events and `error_message`) and to every tool result before the model,
   * the events or the store see it. Default: none.
   */
  scrub?: (text: string) => string;
  /** Told about every run's end, busy refusals and provider requests (the daemon's metrics). Default: nobody. */
  observer?: RunObserver;
  /** Budgets reserved before every model call (src/runtime/budgets.ts); none enforced when absent. */
  budgets?: Budgets;
  /** Record a run trace for every run that does not say otherwise (`[runtime] trace`; src/runtime/run-trace.ts). Default: false. */
  trace?: boolean;
  /** Where agents' `agents[]` sub-agents are found (src/runtime/sub-agents.ts); without it no sub-agent tools are offered. */
  subAgents?: SubAgentDirectory;
}

export type { ToolCallRequest, ToolChoice } from '../llm/types.js';

/** A function tool the client holds (src/runtime/client-tools.ts), with the request field that names it (for errors, e.g. `tools[0].function.name`). */
export interface ClientTool {
  spec: ToolSpec;
  field: string;
}

/**
 * What an OpenAI-compatible client adds to one run besides its message (`/v1/chat/completions`,
 * `/v1/responses`); src/runtime/client-tools.ts says how client tools and tool results run.
 */
export interface RunOptions {
  /**
   * Function tools the client runs itself, offered next to the agent's own (a name the agent already
   * offers is refused: BAD_REQUEST naming the tool's field). When the model calls one, the run ends at
   * that step with `finish_reason: "tool_calls"` and those calls on its `done` event.
   */
  clientTools?: readonly ClientTool[];
  /**
   * The client's results for the tool calls the previous run ended on (`tool` messages): the run has
   * no new user input; the model is called with the history followed by these results (which a
   * stored conversation appends). They must answer exactly the pending calls, else BAD_REQUEST.
   */
  toolResults?: readonly StoredMessage[];
  /** An extra system turn put right after the agent's system prompt (Responses API `instructions`). */
  instructions?: string;
  /**
   * Record this run's step-by-step trace and store it with the execution (`GET
   * /api/executions/:id/trace`; src/runtime/run-trace.ts); absent: `RuntimeDeps.trace`.
   */
  trace?: boolean;
}

/** One run: an agent already resolved by the catalog, with its model. */
export interface RunRequest extends RunOptions {
  agent: Agent;
  source: Source;
  model: Model;
  message: string;
  userId: string;
  /** Continue this conversation (must belong to `userId`), or start a new one when absent. */
  conversationId?: string;
  /**
   * Earlier turns supplied by the caller instead of a stored conversation (stateless clients such as
   * OpenAI's `/v1/chat/completions`, which send the whole conversation on every call). The run then
   * stores no conversation: only its execution row is written (without `conversation_id`), and its
   * events carry `conversation_id: ''`. `system` turns are put right after the agent's own system
   * prompt (which stays first) and are never trimmed; the other turns are trimmed to the context
   * budget like stored history. Conversation-scoped memory lasts the one run. With `conversationId`
   * too the run fails with BAD_REQUEST (the caller picks one).
   */
  history?: readonly StoredMessage[];
  /**
   * Key of the agent's lifecycle state and concurrency slots (default `agent.name`). Callers serving
   * several tenants pass something unique per agent (e.g. a user agent's id), so one user's agent
   * failing or being stopped never affects another user's agent of the same name (SPEC §7).
   */
  agentKey?: string;
  /**
   * The user-tier row of the agent (`id`, and `owner`: its user id); absent for system agents. Memory
   * is keyed on it (src/domain/memory-scope.ts): an agent owned by someone other than `userId` gets
   * memory confined to (`userId`, this row) whatever its declared scope. A run of it that
   * completes (status `success`) counts one use towards its ranking through `RuntimeDeps.usage`;
   * refused, failed and cancelled runs count nothing.
   */
  agentRow?: AgentRow;
  /** The API key the request authenticated with: its budget applies too (src/runtime/budgets.ts). */
  apiKeyId?: string;
  /** The agent as the user addressed it (`OWNER/NAME` for another user's public agent), kept with a pending approval to resolve it again. Default: `agent.name`. */
  agentRef?: string;
  /** Resume the run paused on this decided approval (src/runtime/approvals.ts): same execution, its decided calls answered first. */
  resume?: PendingApproval;
  /** What this request sets over the model file's sampling and the agent's tool settings, for this run only (src/runtime/overrides.ts). */
  overrides?: RunOverrides;
  /** Aborting cancels the provider request and running tools; the run ends with an `error` event (code `CANCELLED`). */
  signal?: AbortSignal;
  /** Set on a sub-agent's run (src/runtime/sub-agents.ts): its parent, the request's first run, the chain of agents and the request's run count. */
  delegation?: DelegationLink;
  /** How capability routing chose this run's agent; recorded on its execution row. */
  routing?: RoutingDecision;
  /**
   * The logger of the request that starts the run (its lines carry `request_id`); the run's lines and
   * its tools' go to a child with `execution_id` (src/runtime/run-record.ts). Default: `RuntimeDeps.log`.
   */
  log?: Log;
}

/** The runtime as the API uses it: run an agent, get its events. */
export interface Runtime {
  run(request: RunRequest): AsyncIterable<RunEvent>;
}

/** The runtime with operator controls over agents' lifecycle (what `createRuntime` returns). */
export interface ManagedRuntime extends Runtime {
  agents: AgentControls;
  /**
   * Cancel every run in flight or queued, and every run started afterwards, with `reason` (daemon
   * shutdown: `daemon shutting down`). Each ends with an `error` event (code `CANCELLED`, message
   * `reason`) and its row says `cancelled` with `reason` as the error. Returns at once; see `idle`.
   */
  cancelAll(reason: string): void;
  /** Resolves once no run is in flight or queued (at once when none is). */
  idle(): Promise<void>;
  /** True while a run (queued or in flight) continues or writes stored conversation `id`. */
  conversationInUse(id: string): boolean;
}

/** An agent a delegation can run, as the directory resolved it for the run's user. */
export interface SubAgentTarget {
  agent: Agent;
  model: Model;
  source: Source;
  /** Its lifecycle key (src/catalog/catalog.ts `agentKey`). */
  agentKey: string;
  agentRow?: AgentRow;
}

/**
 * Where delegations find their agents, always as `userId` sees them (the daemon backs it with the
 * catalog and its capability index).
 */
export interface SubAgentDirectory {
  /** Agent `name` (bare: own or system) for `userId`; undefined when that user cannot see one. */
  agent(name: string, userId: string): Promise<SubAgentTarget | undefined>;
  /** Names of the agents offering `capability` to `userId`, sorted (for the tool's description). */
  offering(capability: string, userId: string): Promise<string[]>;
  /**
   * The agent routing chooses for `capability`, with the decision.
   * @throws DomainError NOT_FOUND (no visible agent offers it) or UNAVAILABLE (none can run now: the message names each with its state).
   */
  route(capability: string, userId: string): Promise<{ target: SubAgentTarget; decision: RoutingDecision }>;
}

/** Where a child run sits in its request: its parent's row, the request's first row, the agents on the chain and the request's run counter. */
export interface DelegationLink {
  parentId: string;
  rootId: string;
  /** Agent names from the request's first run to this one. */
  chain: readonly string[];
  /** Runs started under the request so far (shared by every run of it). */
  runs: { count: number };
}

/** The first turn of a run: the request to send and the run's new messages as stored (the user's turn, or the client's tool results). */
export interface FirstTurn {
  request: ChatRequest;
  first: StoredMessage[];
  /** Older history messages left out to fit the context budget (0 when all of it fits). */
  historyTrimmed: number;
  /** What `{{memory_context}}` rendered to (absent when nothing was looked up), for the run trace. */
  memoryContext?: string;
}
