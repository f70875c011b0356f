/**
 * Store interfaces (ARCHITECTURE "Small interfaces with two implementations"). The runtime, catalog
 * and API depend on these; only the daemon constructs the SQLite implementation.
 *
 * Every method that reads or writes the database returns a Promise, so a network database (a pooled
 * client whose every query is a round trip) fits behind the same interfaces as embedded SQLite, whose
 * implementation does its work synchronously and returns settled Promises. Errors documented with
 * `@throws` are rejections of the returned Promise. Transactions stay inside the store: each method
 * (and each `commitStep`) is one transaction; callers never hold one open across an `await`.
 */

/** A chat message as persisted per conversation (SPEC §7). `content` may be empty for tool-call turns. */
export interface StoredMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Tool calls requested by an assistant turn, as sent to the provider. */
  tool_calls?: unknown[];
  /** For role `tool`: the id of the call this result answers. */
  tool_call_id?: string;
}

/** A conversation row. Times in ms since epoch. */
export interface Conversation {
  id: string;
  agent_name: string;
  user_id: string;
  created_at: number;
  updated_at: number;
}

/** A conversation as runs may use it: `plain` (one agent's chat, continued by runs) or `shared` (STORY-032: continued only by posting to it). */
export type ConversationKind = 'plain' | 'shared';

/** A participant of a shared conversation (STORY-032): an agent name as the catalog resolves it, in listed order. Time in ms since epoch. */
export interface Participant {
  agent: string;
  joined_at: number;
}

/**
 * A message of a conversation with who wrote it and whom it addresses (STORY-032). `author`: `user`
 * for the conversation's owner, else the agent's name; `to`: an agent's name, `all` (every
 * participant) or `user` (an agent's answer to a message addressed to it alone). Both are absent on
 * messages written by a plain agent chat.
 */
export interface AuthoredMessage extends StoredMessage {
  author?: string;
  to?: string;
}

/** A message appended to a shared conversation: always authored and addressed. */
export interface SharedMessage {
  role: 'user' | 'assistant';
  content: string;
  author: string;
  to: string;
}

/** Conversations and their messages; shared conversations also have participants (STORY-032). */
export interface ConversationStore {
  /** The conversation if it exists and belongs to `userId`, else undefined (never another user's). */
  get(id: string, userId: string): Promise<Conversation | undefined>;
  /**
   * What kind conversation `id` is, if it exists and belongs to `userId` (else undefined, never
   * another user's): `shared` when it has participants or authored messages (a shared conversation,
   * migration 12), else `plain` (one agent's chat).
   */
  kind(id: string, userId: string): Promise<ConversationKind | undefined>;
  /** Messages of a conversation, oldest first. */
  messages(id: string): Promise<StoredMessage[]>;
  /** Messages of a conversation, oldest first, with their author and addressee where recorded. */
  authoredMessages(id: string): Promise<AuthoredMessage[]>;
  /**
   * Create a shared conversation owned by `conv.user_id` with `participants` in that order (names
   * unique, already checked by the caller); `conv.agent_name` is the first participant.
   */
  createShared(conv: Conversation, participants: readonly string[]): Promise<void>;
  /** A conversation's participants in listed order (join order after the first ones). */
  participants(id: string): Promise<Participant[]>;
  /** Add `agent` as the last participant. @returns false when it already takes part. @throws DomainError NOT_FOUND when the conversation is gone. */
  join(id: string, agent: string, at: number): Promise<boolean>;
  /** Remove `agent` from the participants (its messages stay). @returns false when it was not one. */
  leave(id: string, agent: string): Promise<boolean>;
  /** Append `messages` in order in one transaction and touch `updated_at` (ms). @throws DomainError NOT_FOUND when the conversation is gone. */
  appendShared(id: string, messages: readonly SharedMessage[], at: number): Promise<void>;
  /** The summary of the conversation's oldest messages (`memory.summarize`, migration 14), if one was made. */
  summary(id: string): Promise<ConversationSummary | undefined>;
  /** Store `summary` as the conversation's, replacing any earlier one; nothing is written when the conversation is gone. */
  saveSummary(id: string, summary: ConversationSummary): Promise<void>;
}

/**
 * A summary standing in for a conversation's oldest messages once they no longer fit the model's
 * context (STORY-019, agent `memory.summarize`; src/runtime/summary.ts). `covers`: how many of the
 * conversation's messages, oldest first, it summarises (messages are only appended, and clearing
 * the conversation removes the summary too). `created_at` in ms since epoch.
 */
export interface ConversationSummary {
  text: string;
  covers: number;
  created_at: number;
}

/** One `agent_executions` row (DIR-12 columns plus cost). Tokens are counts, cost in USD, duration in ms. */
export interface ExecutionRecord {
  id: string;
  /** The user-tier agent row that ran (`user_agents.id`); absent for a system agent. */
  agent_id?: string;
  agent_name: string;
  agent_source: string;
  user_id: string;
  conversation_id?: string;
  input: string;
  output?: string;
  tool_calls?: unknown[];
  tokens_input?: number;
  tokens_output?: number;
  cost_usd?: number;
  duration_ms: number;
  /**
   * `cancelled`: the client went away or the daemon shut down (`error_message` says which);
   * `awaiting_approval`: paused until a person decides on its tool calls (migration 11, `ApprovalStore`).
   */
  status: RunStatus;
  error_message?: string;
  created_at: number;
  /**
   * Why the run ended (migration 2), one of the closed set of src/domain/finish-reasons.ts (SPEC §7,
   * docs/finish-reasons.md): `stop`, `tool_calls`, `length`, `content_filter`, `max_iterations`, `budget_exceeded`,
   * `rate_limited`, `loop_detected`, `timeout`, `cancelled`, `error`, `awaiting_approval`.
   */
  finish_reason?: string;
  /** Model alias that served the run (migration 2). */
  model?: string;
  /** Provider calls made by the run (migration 2). */
  iterations?: number;
  /** The run whose tool call started this one (a sub-agent run; migration 10); absent for a request's first run. */
  parent_execution_id?: string;
  /** The first run of the request this run belongs to (migration 10); absent for that first run itself. */
  root_execution_id?: string;
  /** How capability routing chose this run's agent (src/domain/routing.ts; migration 10); absent when addressed by name. */
  routing?: RoutingDecision;
}

/**
 * One step of a run (SPEC §7): the messages it adds to the conversation and the execution row as it
 * stands after the step, written in ONE transaction so a crash loses at most the step in flight.
 * Until the final step the row says `status: 'error'` with an "interrupted" message, so a run cut
 * off by a crash is recorded truthfully; the final step overwrites it.
 */
export interface RunStep {
  conversationId: string;
  /** Create the conversation row first (a new conversation is created with its run's first step). */
  createConversation?: { agent_name: string; user_id: string };
  messages: readonly StoredMessage[];
  execution: ExecutionRecord;
  /**
   * The run's trace as JSON (src/domain/run-trace.ts `RunTrace`, already scrubbed and at most
   * `MAX_TRACE_BYTES`), given with the run's final step only: stored in `run_traces` (migration 13)
   * in the same transaction, replacing any earlier one of the execution.
   */
  trace?: string;
  /** The run pauses for approval: its pending row is written in the same transaction (migration 11). */
  approval?: PendingApproval;
}

/**
 * Paused runs waiting for a person's decision (`tool_approvals`, migration 11; written by
 * `commitStep` with `RunStep.approval`). A decision is one conditional update, so of two decisions
 * arriving at once (on one node or several) exactly one wins.
 */
export interface ApprovalStore {
  /** The row of execution `id`, in any state; undefined when there is none. */
  get(id: string): Promise<PendingApproval | undefined>;
  /** Pending rows, oldest first: of `userId`, or of every user when absent; at most `limit`. */
  pending(opts: { userId?: string; limit: number }): Promise<PendingApproval[]>;
  /** Pending rows whose `expires_at` is at or before `now` (ms), oldest first, at most `limit`. */
  expired(now: number, limit: number): Promise<PendingApproval[]>;
  /**
   * Move row `id` from state `from` to `decision` (or back to `pending`, clearing the decision) in one
   * atomic update. @returns the row as written, or undefined when it was not in state `from` (someone else won).
   */
  transition(id: string, from: ApprovalState, decision: ApprovalDecision | 'pending'): Promise<PendingApproval | undefined>;
}

/** Execution log. */
export interface ExecutionStore {
  /** Insert (or replace, by id) one row. */
  record(row: ExecutionRecord): Promise<void>;
  /**
   * Append `step.messages` to the conversation and upsert `step.execution`, in one transaction.
   * @throws DomainError NOT_FOUND when messages continue a conversation that no longer exists (deleted
   *   during the run, e.g. through another node); nothing of the step is written.
   */
  commitStep(step: RunStep): Promise<void>;
  /**
   * The same, for steps of concurrent runs. SQLite group-commits: steps committed during one
   * event-loop turn share one transaction (each in its own savepoint, so one failing step does not
   * undo the others), writing each shared page once per batch instead of once per step. PostgreSQL
   * writes each step as one statement (its own transaction), concurrently on the pool. Resolves once the step is
   * written; rejects with that step's own error.
   */
  commitStepBatched(step: RunStep): Promise<void>;
}

/** One memory entry. Time in ms since epoch. */
export interface MemoryEntry {
  key: string;
  value: string;
  updated_at: number;
}

/** The memory key-value store behind `memory_get` / `memory_set` / `memory_search` (SPEC §3 memory.scope). */
export interface MemoryStore {
  get(scope: string, key: string): Promise<MemoryEntry | undefined>;
  /** Insert or replace; `userId` ties the entry to a user so deleting the user deletes it. */
  set(scope: string, key: string, value: string, userId?: string): Promise<void>;
  /** Delete one entry; true when it existed. */
  delete(scope: string, key: string): Promise<boolean>;
  /** Entries of `scope` whose key or value contains `query` (case-insensitive), newest first, at most `limit`. */
  search(scope: string, query: string, limit: number): Promise<MemoryEntry[]>;
}

/** A vector as stored: the embedder that made it (name) and its unit-length float32 values. */
export interface StoredVector {
  embedder: string;
  data: Float32Array;
}

/** The vector of one item with what filters need (the semantic search cache of one user). */
export interface ItemVector {
  id: number;
  scope: MemoryScope;
  scope_key: string;
  agent: string | null;
  conversation_id: string | null;
  vector: Float32Array;
}

/**
 * Memory items (src/domain/memory-items.ts) with their full-text index (SQLite FTS5 kept in sync by
 * triggers; PostgreSQL `to_tsvector('english', text)` under a GIN index) and vectors (float32 blobs).
 * Every method filters on the owning user.
 */
export interface MemoryItemStore {
  /** Insert one item (times required) with its vector, in one transaction. */
  insert(item: NewMemoryItem & { created_at: number; updated_at: number }, vector?: StoredVector): Promise<MemoryItem>;
  /** The user's items among `ids` (any order). */
  byIds(ids: readonly number[], userId: string): Promise<MemoryItem[]>;
  /** Delete the user's item; false when there is none. */
  delete(id: number, userId: string): Promise<boolean>;
  /** Items newest first; `text` matches literally and case-insensitively. */
  list(filter: MemoryFilter & { text?: string; limit: number; offset?: number }): Promise<MemoryItem[]>;
  /**
   * Full-text search: items holding any word of `query` (with `every`: every word; PostgreSQL leaves
   * out its English stop words), best first (score: BM25 / ts_rank, higher is better).
   */
  keyword(query: Omit<MemoryQuery, 'mode'> & { every?: boolean }): Promise<MemoryHit[]>;
  /** Every vector of the user's items made by `embedder` (loaded once into the search cache). */
  vectors(userId: string, embedder: string): Promise<ItemVector[]>;
  /** Items (any user) without a vector of `embedder`, oldest first, at most `limit`, and how many there are in all. */
  unembedded(embedder: string, limit: number): Promise<{ items: { id: number; user_id: string; text: string }[]; total: number }>;
  /** Replace an item's vector. */
  setVector(id: number, vector: StoredVector): Promise<void>;
  /** Counts per scope and per embedder (`none` for items without a vector), of one user or of all. */
  counts(userId?: string): Promise<{ by_scope: Record<string, number>; by_embedder: Record<string, number> }>;
}

/** Database state reported by `/health` and `server status` (defined in the domain, where the status report lives). */
export type StoreHealth = DatabaseHealth;

/**
 * What other daemons sharing the database changed, so per-process caches can forget it (STORY-034,
 * DIR-12 hosted database). `api_keys`: a key was revoked (`detail`: the key id);
 * `user_tools`, `user_mcps`, `user_agents`: a user-tier row was written or removed (`detail`: the
 * owner's user id); `user_limits`: the admin changed a user's budget overrides (`detail`: the user
 * id); `memory_items`: a user's memory items were written or deleted (`detail`: the user id); `all`: anything may have changed (a listener reconnected after missing changes).
 */
export type ChangeTopic = 'api_keys' | 'user_tools' | 'user_mcps' | 'user_agents' | 'user_limits' | 'memory_items' | 'all';

/**
 * Cross-node change notices. A node publishes after its write committed and has already updated its
 * own caches; `subscribe` delivers what OTHER nodes published (never this node's own notices).
 * SQLite serves one node, so its feed delivers nothing. Delivery is best effort and asynchronous
 * (PostgreSQL LISTEN/NOTIFY): after a lost connection the feed delivers `all` once it is back.
 */
export interface ChangeFeed {
  /** Tell the other nodes; never rejects (a failure is logged by the implementation and dropped). */
  publish(topic: Exclude<ChangeTopic, 'all'>, detail: string): Promise<void>;
  /** Call `fn` for each change another node publishes. @returns a function that unsubscribes. */
  subscribe(fn: (topic: ChangeTopic, detail: string) => void): () => void;
}

/** Everything the daemon persists. */
export interface Store {
  conversations: ConversationStore;
  executions: ExecutionStore;
  /** Users, credentials and user-tier entities (SPEC §4). */
  tenants: TenantStore;
  /** Agent memory key-value store (SPEC §3 memory.scope). */
  memory: MemoryStore;
  /** Memory items: text, metadata, full-text index and vectors (migration 9). */
  memoryItems: MemoryItemStore;
  /** Changes made by other nodes sharing the database (cache invalidation). */
  changes: ChangeFeed;
  /** Budget counters, per-user limit overrides and usage reports (migration 8). */
  budgets: BudgetStore;
  /** Runs paused for approval of their tool calls (migration 11). */
  approvals: ApprovalStore;
  /** Database state for `/health` and `server status`; never rejects (a failure is reported in `error`). */
  health(): Promise<StoreHealth>;
  /** Disk size of the database (for metrics). @throws DomainError UNAVAILABLE when it cannot be read. */
  size(): Promise<DatabaseSize>;
  /** Write the queued step commits, then close; idempotent. SQLite closes within the call. */
  close(): Promise<void>;
}

// ---- Tenants: users, credentials and user-tier entities (SPEC §4, §6; DIR-12 Part 2) ----

import type { ApprovalDecision, ApprovalState, PendingApproval } from '../domain/approvals.js';
import type { MemoryFilter, MemoryHit, MemoryItem, MemoryQuery, NewMemoryItem } from '../domain/memory-items.js';
import type { MemoryScope } from '../domain/memory-scope.js';
import type { BudgetCharge, BudgetCounter, BudgetUsage, UserLimits } from '../domain/budgets.js';
import type { DatabaseHealth, DatabaseSize } from '../domain/status.js';
import type { ApiKeyInfo, User, UserEntity, UserEntityKind, UserEntityValue } from '../domain/users.js';
import type { RoutingDecision } from '../domain/routing.js';
import type { RunStatus } from '../domain/run-status.js';

/** Users and their credentials. Only hashes are stored; callers hash before they ask. */
export interface UserStore {
  byId(id: string): Promise<User | undefined>;
  /** Lookup by email, case-insensitive. */
  byEmail(email: string): Promise<User | undefined>;
  /** Lookup by handle (exact; handles are lowercase). */
  byHandle(handle: string): Promise<User | undefined>;
  /**
   * Create a user. Without `handle` (already checked against HANDLE_PATTERN by the caller) one is
   * derived from the email's local part, with a numeric suffix when taken (SPEC §4).
   * @throws DomainError CONFLICT when the email or the given handle is taken.
   */
  create(input: { email: string; handle?: string; name?: string | null; passwordHash?: string | null; isAdmin?: boolean }): Promise<User>;
  /** The stored password hash (`scrypt$N$r$p$salt$hash`, base64url parts; src/api/auth.ts), if the user has a password. */
  passwordHash(userId: string): Promise<string | undefined>;
  /** Store a new API key by its hash; the key itself is never stored. */
  createApiKey(input: { userId: string; name?: string | null; prefix: string; keyHash: string }): Promise<ApiKeyInfo>;
  /** The user's keys, newest last, revoked ones included (with `revoked_at`). */
  listApiKeys(userId: string): Promise<ApiKeyInfo[]>;
  /** The live (not revoked) key with this hash; bumps `last_used_at`. */
  useApiKey(keyHash: string): Promise<ApiKeyInfo | undefined>;
  /** Revoke the user's key `id`. @returns false when the user has no such live key. */
  revokeApiKey(id: string, userId: string): Promise<boolean>;
  /** Remember a refresh token by hash until `expiresAt` (ms since epoch), as part of login session `sessionId`. */
  addRefreshToken(userId: string, tokenHash: string, expiresAt: number, sessionId: string): Promise<void>;
  /**
   * Single use: mark the token used and return its user and session, atomically; undefined when
   * unknown, expired or already used. `sessionId` is null for tokens stored before sessions existed.
   */
  consumeRefreshToken(tokenHash: string, now: number): Promise<RefreshTokenUse | undefined>;
  /** The user and session of a refresh token whatever its state (`used`: consumed already); undefined when unknown. */
  refreshTokenSession(tokenHash: string): Promise<(RefreshTokenUse & { used: boolean }) | undefined>;
  /**
   * End login session `sessionId` of `userId` at `now` (ms): its unused refresh tokens are marked used,
   * and the session is listed as revoked until `keepUntil` (ms; when every access token of it has
   * expired). Listed sessions past their `keepUntil` are dropped, so the list stays small. Idempotent.
   */
  revokeSession(sessionId: string, userId: string, now: number, keepUntil: number): Promise<void>;
  /** True when `sessionId` was revoked and is still listed (one primary-key lookup). */
  isSessionRevoked(sessionId: string): Promise<boolean>;
}

/** Who a refresh token belongs to: its user and login session (null: stored before sessions existed). */
export interface RefreshTokenUse {
  userId: string;
  sessionId: string | null;
}

/** User-tier agents, tools and MCP servers (DIR-12 `user_agents`, `user_tools`, `user_mcps`) and ratings. */
export interface UserEntityStore {
  /** The row of `userId` named `name` (private or public), if any. */
  own<K extends UserEntityKind>(kind: K, userId: string, name: string): Promise<UserEntity<K> | undefined>;
  /** The public row named `name` of the user with handle `handle` (what `handle/name` reaches), if any. */
  published<K extends UserEntityKind>(kind: K, handle: string, name: string): Promise<UserEntity<K> | undefined>;
  /**
   * Every row `userId` may see: its own (private and public) and every public row, best first
   * (usage, then average rating, then oldest).
   */
  visible<K extends UserEntityKind>(kind: K, userId: string): Promise<UserEntity<K>[]>;
  /** @throws DomainError CONFLICT when `userId` already has one with this name. */
  insert<K extends UserEntityKind>(kind: K, userId: string, value: UserEntityValue[K], isPublic: boolean): Promise<UserEntity<K>>;
  /** Replace the value (and visibility when given). @throws DomainError NOT_FOUND, CONFLICT (renamed onto another). */
  update<K extends UserEntityKind>(kind: K, userId: string, name: string, value: UserEntityValue[K], isPublic?: boolean): Promise<UserEntity<K>>;
  /** @returns false when `userId` has no such row. */
  remove(kind: UserEntityKind, userId: string, name: string): Promise<boolean>;
  /**
   * Count a completed run of user-tier agent `agentId` by `userId` on UTC day `day` (`YYYY-MM-DD`)
   * towards its ranking: at most one per user, agent and day, never the owner's own runs, and nothing
   * for an agent that no longer exists. `usage_count` rises only when this is a new (agent, user, day).
   * @returns true when it counted.
   */
  countUse(agentId: string, userId: string, day: string): Promise<boolean>;
  /**
   * Set `userId`'s rating (1..5) of the agent; returns the new totals. Only for a user who is not the
   * owner and has a counted (completed) run of the agent.
   * @throws DomainError NOT_FOUND (no such agent), FORBIDDEN (the owner rating their own agent),
   *   CONFLICT (no completed run of the agent by `userId` yet).
   */
  rate(userId: string, agentId: string, stars: number): Promise<{ rating_sum: number; rating_count: number }>;
}

/**
 * Whose executions `HistoryStore.agentActivity` sums: a system agent by `name`, or a user-tier agent
 * by its row `rowId` (rows written with `agent_id`); with `userId`, that user's runs only. `since`
 * is the start of the window (ms since epoch, e.g. the start of the UTC day).
 */
export interface AgentActivityQuery {
  name: string;
  rowId?: string;
  userId?: string;
  since: number;
}

/** One agent's runs since a time (STORY-009 per-agent health). Tokens are counts, cost USD, times ms since epoch. */
export interface AgentActivity {
  /** Runs started in the window (runs still in flight included). */
  runs: number;
  tokens_input: number;
  tokens_output: number;
  cost_usd: number;
  /** When the latest run of the window last wrote its row (start + duration), or null when there was none. */
  last_activity_at: number | null;
  /**
   * The latest run of the window that ended in `error` or `timeout`, or null. The interim row of a run
   * still in flight (status `error`, finish_reason `stop`, SPEC §7 step commits) is not one.
   */
  last_error: { execution_id: string; status: string; finish_reason: string | null; message: string | null; at: number } | null;
}

/**
 * Which of a user's executions `HistoryStore.executions` lists (`GET /api/executions` filters): at
 * most `limit` rows, newest first (`created_at` descending, then `id`), each filter applied when
 * present. Times are ms since epoch.
 */
export interface ExecutionQuery {
  limit: number;
  /** The agent name the rows were written with. */
  agent?: string;
  status?: ExecutionRecord['status'];
  /** One of src/domain/finish-reasons.ts. */
  finish_reason?: string;
  /** Rows created at or after this time. */
  since?: number;
  /** Rows created before this time. */
  until?: number;
  /** Keyset pagination: only rows after this one in the listing order (the last row of the previous page). */
  after?: { created_at: number; id: string };
}

/**
 * One agent's runs over a window (the dashboard's per-agent hour: issue requirement "over the last
 * hour runs, errors, p50 latency, tokens and cost"), grouped by the agent name the rows carry.
 */
export interface AgentWindowStats {
  agent: string;
  /** Runs started in the window, runs still in flight included. */
  runs: number;
  /** Runs that ended in `error` or `timeout` (the interim row of a run in flight is not one). */
  errors: number;
  /** Median duration (ms, nearest rank) of the window's ended runs; null when none has ended. */
  p50_ms: number | null;
  /** Input plus output tokens (counts). */
  tokens: number;
  cost_usd: number;
}

/** Executions and conversations listed for one user (`GET /api/executions`, `/api/conversations`). */
export interface HistoryStore {
  /** Sum one agent's executions in a window (see AgentActivityQuery); reads only that agent's rows of the window. */
  agentActivity(query: AgentActivityQuery): Promise<AgentActivity>;
  /**
   * Per-agent runs, errors, p50 latency, tokens and cost of the executions created at or after
   * `since` (ms since epoch): `userId`'s runs, or everyone's when absent (the admin). Ordered by agent name.
   */
  agentStats(opts: { userId?: string; since: number }): Promise<AgentWindowStats[]>;
  /**
   * When each agent's latest run started (`created_at`, ms since epoch), over all time, keyed by agent
   * name: `userId`'s runs, or everyone's when absent (the admin). Agents without runs are absent.
   */
  lastRunAt(opts: { userId?: string }): Promise<Record<string, number>>;
  /** The user's executions matching `query` (see ExecutionQuery), newest first. */
  executions(userId: string, query: ExecutionQuery): Promise<ExecutionRecord[]>;
  /**
   * Execution `id` of `userId` with every run of its request (same root: the root row and each row
   * whose `root_execution_id` is the root's id), oldest first; empty when `id` is not the user's.
   * The caller builds the subtree under `id` (src/domain/execution-tree.ts).
   */
  executionTree(id: string, userId: string): Promise<ExecutionRecord[]>;
  /** The user's conversations, most recently updated first. */
  conversations(userId: string, opts: { limit: number }): Promise<Conversation[]>;
  /**
   * The stored run trace of execution `executionId` (JSON text, src/domain/run-trace.ts) with the
   * execution's user; undefined when the run recorded none. The caller checks who may read it.
   */
  trace(executionId: string): Promise<{ user_id: string; trace: string } | undefined>;
  /** Delete the user's conversation and its messages. @returns false when it is not theirs or absent. */
  deleteConversation(id: string, userId: string): Promise<boolean>;
  /**
   * Clear the user's conversation's context (STORY-019): delete its messages and its summary, keep
   * the conversation and its executions. @returns how many messages were deleted (0 also when it is not theirs).
   */
  clearMessages(id: string, userId: string): Promise<number>;
}

/** The tenant part of the store, opened on the same database as the rest. */
export interface TenantStore {
  users: UserStore;
  entities: UserEntityStore;
  history: HistoryStore;
}

// ---- Budgets: counters per scope and period, per-user limits, usage reports ----

/** How `BudgetStore.report` groups executions. */
export type UsageGrouping = 'agent' | 'model' | 'day' | 'user';

/** One group of a usage report: runs, tokens (counts) and cost (USD) of the executions in it. */
export interface UsageRow {
  /** The agent name, model alias, UTC day (`YYYY-MM-DD`) or user id of the group. */
  key: string;
  runs: number;
  tokens_input: number;
  tokens_output: number;
  cost_usd: number;
}

/**
 * Budget counters (one row per scope, owner and period key holding USD and tokens spent or reserved),
 * the admin's per-user limit overrides, and usage reports over `agent_executions`. Every write is
 * atomic in the database, so counters are shared by every daemon on one PostgreSQL database.
 * Counters of past periods stay (one small row each) and are never read again.
 */
export interface BudgetStore {
  /**
   * Add `charge` to every counter, all or none, in one transaction: a counter refuses when its USD
   * or tokens would pass its limit (`limitUsd`, `limitTokens`; absent: never). Concurrent calls are
   * serialized per counter row, so concurrent reservations never overspend a limit.
   * @returns undefined when charged; else the index in `counters` of the first that refused and what it holds.
   */
  reserve(counters: readonly BudgetCounter[], charge: BudgetCharge): Promise<{ refused: number; usage: BudgetUsage } | undefined>;
  /** Add `delta` (negative to release a reservation's unused part) to every counter, limits not checked. */
  adjust(counters: readonly BudgetCounter[], delta: BudgetCharge): Promise<void>;
  /** What each counter holds (zero when it has no row yet), in the order given. */
  usage(counters: readonly BudgetCounter[]): Promise<BudgetUsage[]>;
  /** The admin's limits for `userId` (budgets and request rate), or undefined when none were set. */
  userLimits(userId: string): Promise<UserLimits | undefined>;
  /** Replace the admin's limits for `userId` (an empty object removes every override). */
  setUserLimits(userId: string, limits: UserLimits): Promise<void>;
  /**
   * Executions since `since` (ms since epoch) grouped by `by`, of `userId` or of every user when
   * absent, ordered by key.
   */
  report(opts: { userId?: string; by: UsageGrouping; since: number }): Promise<UsageRow[]>;
}
