/**
 * Rows as both store backends (src/store/sqlite, src/store/postgres) hold them, so the two map them
 * one way: users (0/1 flags as booleans), execution rows (positional parameters in one column order),
 * user-tier entities, and memory items (metadata JSON, float32 vector bytes) (the table of each kind, the DIR-12 columns written besides the JSON value,
 * the row -> entity mapping, and the CONFLICT error of a taken name; SPEC §4).
 */
import type { ApprovalDecision, ApprovalState, PendingApproval, PausedRequest, PendingCall, RunProgress } from '../domain/approvals.js';
import { DomainError } from '../domain/errors.js';
import type { MemoryItem, NewMemoryItem } from '../domain/memory-items.js';
import type { User, UserEntity, UserEntityKind, UserEntityValue } from '../domain/users.js';
import type { AgentWindowStats, AuthoredMessage, ExecutionRecord, StoredMessage, StoredVector } from './types.js';

/** A `users` row (`is_admin` is 0/1). */
export interface UserRow {
  id: string;
  email: string | null;
  handle: string;
  name: string | null;
  is_admin: number;
  created_at: number;
}

/** The user a row holds, or undefined for no row. */
export const toUser = (r: UserRow | undefined): User | undefined =>
  r && { id: r.id, email: r.email, handle: r.handle, name: r.name, is_admin: r.is_admin === 1, created_at: r.created_at };

/** The `agent_executions` columns an execution row is written with, in the order of `executionParams`. */
export const EXECUTION_COLUMNS = [
  'id',
  'agent_name',
  'agent_source',
  'user_id',
  'conversation_id',
  'input',
  'output',
  'tool_calls',
  'tokens_input',
  'tokens_output',
  'cost_usd',
  'duration_ms',
  'status',
  'error_message',
  'created_at',
  'finish_reason',
  'model',
  'iterations',
  'agent_id',
  'parent_execution_id',
  'root_execution_id',
  'routing',
] as const;

/** Positional parameters of an execution row in the order of EXECUTION_COLUMNS (`tool_calls` as JSON text). */
export const executionParams = (row: ExecutionRecord): unknown[] => [
  row.id,
  row.agent_name,
  row.agent_source,
  row.user_id,
  row.conversation_id ?? null,
  row.input,
  row.output ?? null,
  row.tool_calls ? JSON.stringify(row.tool_calls) : null,
  row.tokens_input ?? null,
  row.tokens_output ?? null,
  row.cost_usd ?? null,
  row.duration_ms,
  row.status,
  row.error_message ?? null,
  row.created_at,
  row.finish_reason ?? null,
  row.model ?? null,
  row.iterations ?? null,
  row.agent_id ?? null,
  row.parent_execution_id ?? null,
  row.root_execution_id ?? null,
  row.routing ? JSON.stringify(row.routing) : null,
];

/** JSON columns of an execution row, parsed when read. */
const JSON_COLUMNS = new Set(['tool_calls', 'routing']);

/** An `agent_executions` row as read (either backend): null columns left out, JSON columns parsed. */
export function toExecution(r: Record<string, unknown>): ExecutionRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== null) out[k] = JSON_COLUMNS.has(k) ? JSON.parse(v as string) : v;
  return out as unknown as ExecutionRecord;
}

/** The columns of one run `agentStatsOf` reads (`AGENT_STATS_COLUMNS` of both backends' queries). */
export interface AgentStatsRow {
  agent: string;
  status: string;
  finish_reason: string | null;
  duration_ms: number;
  tokens: number;
  cost_usd: number;
}

/** The select list both backends read `AgentStatsRow`s with. */
export const AGENT_STATS_COLUMNS =
  'agent_name AS agent, status, finish_reason, duration_ms, COALESCE(tokens_input, 0) + COALESCE(tokens_output, 0) AS tokens, COALESCE(cost_usd, 0) AS cost_usd';

/** True for the interim row of a run in flight (SPEC §7 step commits: `error` with finish reason `stop`). */
const inFlight = (r: AgentStatsRow) => r.status === 'error' && r.finish_reason === 'stop';

/** Per-agent stats (see AgentWindowStats) of a window's rows, ordered by agent name; p50 by nearest rank. */
export function agentStatsOf(rows: readonly AgentStatsRow[]): AgentWindowStats[] {
  const groups = new Map<string, AgentStatsRow[]>();
  for (const r of rows) {
    const group = groups.get(r.agent);
    if (group) group.push(r);
    else groups.set(r.agent, [r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([agent, runs]) => {
      const ended = runs.filter((r) => !inFlight(r));
      const durations = ended.map((r) => Number(r.duration_ms)).sort((a, b) => a - b);
      return {
        agent,
        runs: runs.length,
        errors: ended.filter((r) => r.status === 'error' || r.status === 'timeout').length,
        p50_ms: durations.length ? durations[Math.ceil(durations.length / 2) - 1]! : null,
        tokens: runs.reduce((n, r) => n + Number(r.tokens), 0),
        cost_usd: runs.reduce((n, r) => n + Number(r.cost_usd), 0),
      };
    });
}

/** One agent's latest run start as both backends' `lastRunAt` queries read it (`at`: ms; a bigint column may come back as text). */
export interface LastRunRow {
  agent: string;
  at: number | string;
}

/** `{agent name: latest run start (ms)}` of the rows of a `lastRunAt` query. */
export function lastRunsOf(rows: readonly LastRunRow[]): Record<string, number> {
  return Object.fromEntries(rows.map((r) => [r.agent, Number(r.at)]));
}

/** An entity row as both backends read it, with the owner's handle joined in. */
export interface EntityRow {
  id: string;
  user_id: string;
  owner_handle: string;
  name: string;
  config: string;
  is_public: number;
  usage_count: number;
  rating_sum?: number;
  rating_count?: number;
  created_at: number;
  updated_at: number;
}

/** The table of each kind (DIR-12 names). */
export const TABLE: Record<UserEntityKind, string> = { agents: 'user_agents', tools: 'user_tools', mcps: 'user_mcps' };

/** Columns written per kind besides id/user_id/name/config/is_public/times (DIR-12 layout), in a fixed order. */
export function columnsOf(kind: UserEntityKind, v: Record<string, unknown>): Record<string, unknown> {
  const json = (x: unknown) => JSON.stringify(x ?? null);
  switch (kind) {
    case 'agents':
      return {
        display_name: v.display_name ?? null,
        description: v.description ?? null,
        model: v.model ?? null,
        system_prompt: v.system_prompt,
        tools: json(v.tools ?? []),
        max_tool_iterations: v.max_tool_iterations ?? 10,
        parallel_tools: v.parallel_tools ? 1 : 0,
        extra: json(v.extra ?? {}),
      };
    case 'tools':
      return { description: v.description ?? null, enabled: v.enabled === false ? 0 : 1, timeout_secs: v.timeout_secs ?? 30, tool_type: v.type ?? 'builtin' };
    case 'mcps':
      return { enabled: v.enabled === false ? 0 : 1, command: v.command ?? null, url: v.url ?? null, timeout_secs: v.timeout_secs ?? 30 };
  }
}

/** The entity a row holds (`config` parsed, 0/1 flags as booleans). */
export function toEntity<K extends UserEntityKind>(r: EntityRow): UserEntity<K> {
  return {
    id: r.id,
    user_id: r.user_id,
    owner_handle: r.owner_handle,
    name: r.name,
    value: JSON.parse(r.config) as UserEntityValue[K],
    is_public: r.is_public === 1,
    usage_count: r.usage_count,
    rating_sum: r.rating_sum ?? 0,
    rating_count: r.rating_count ?? 0,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** CONFLICT: `userId` already has an entity of `kind` named `name`. */
export const duplicate = (kind: UserEntityKind, name: unknown, hint?: string) =>
  new DomainError('CONFLICT', `you already have ${kind.slice(0, -1)} ${String(name)}`, [
    { field: 'name', message: 'already exists', ...(hint ? { hint } : {}) },
  ]);

/** A `memory_items` row as read (metadata is JSON text). */
export type ItemRow = Omit<MemoryItem, 'metadata'> & { metadata: string };

/** A row as read, metadata parsed. */
export const itemOf = (r: ItemRow): MemoryItem => ({ ...r, metadata: JSON.parse(r.metadata) as Record<string, unknown> });

/** The memory item `insert` stored under `id` (both backends), as the store would read it back. */
export function insertedItem(id: number, item: NewMemoryItem & { created_at: number; updated_at: number }, vector?: StoredVector): MemoryItem {
  return {
    id,
    user_id: item.user_id,
    scope: item.scope,
    scope_key: item.scope_key,
    agent: item.agent ?? null,
    conversation_id: item.conversation_id ?? null,
    text: item.text,
    metadata: item.metadata ?? {},
    embedder: vector?.embedder ?? null,
    created_at: item.created_at,
    updated_at: item.updated_at,
  };
}

/** The bytes of a float32 vector (shares its buffer). */
export const vectorBytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** A float32 vector from stored bytes (copied: a driver's buffer need not be 4-byte aligned). */
export const vectorOf = (b: Uint8Array): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/** The `tool_approvals` columns (migration 11), in the order of `approvalParams`. */
export const APPROVAL_COLUMNS = [
  'execution_id',
  'user_id',
  'agent_ref',
  'conversation_id',
  'history',
  'calls',
  'progress',
  'state',
  'created_at',
  'expires_at',
  'decided_by',
  'decided_at',
  'reason',
] as const;

/** A `tool_approvals` row as both backends read it (`calls`, `progress` and `history` as JSON text). */
export interface ApprovalRow {
  execution_id: string;
  user_id: string;
  agent_ref: string;
  conversation_id: string | null;
  history: string | null;
  calls: string;
  progress: string;
  state: ApprovalState;
  created_at: number;
  expires_at: number;
  decided_by: string | null;
  decided_at: number | null;
  reason: string | null;
}

/** Positional parameters of a pending approval in the order of APPROVAL_COLUMNS. */
export const approvalParams = (a: PendingApproval): unknown[] => [
  a.execution_id,
  a.user_id,
  a.agent_ref,
  a.conversation_id ?? null,
  a.history ? JSON.stringify(a.history) : null,
  JSON.stringify(a.calls),
  JSON.stringify(a.request ? { ...a.progress, request: a.request } : a.progress),
  a.state,
  a.created_at,
  a.expires_at,
  a.decided_by ?? null,
  a.decided_at ?? null,
  a.reason ?? null,
];

/**
 * The pending approval a row holds. The `progress` column's JSON also carries what the paused
 * request set (`request`), which is not a figure of the run: it is split off here.
 */
export const toApproval = (r: ApprovalRow): PendingApproval => {
  const { request, ...progress } = JSON.parse(r.progress) as RunProgress & { request?: PausedRequest };
  return { ...approvalFields(r), progress, ...(request ? { request } : {}) };
};

/** The fields of a row's pending approval besides `progress` and `request`. */
const approvalFields = (r: ApprovalRow): Omit<PendingApproval, 'progress' | 'request'> => ({
  execution_id: r.execution_id,
  user_id: r.user_id,
  agent_ref: r.agent_ref,
  ...(r.conversation_id ? { conversation_id: r.conversation_id } : {}),
  ...(r.history ? { history: JSON.parse(r.history) as unknown[] } : {}),
  calls: JSON.parse(r.calls) as PendingCall[],
  state: r.state,
  created_at: r.created_at,
  expires_at: r.expires_at,
  ...(r.decided_by ? { decided_by: r.decided_by } : {}),
  ...(r.decided_at !== null ? { decided_at: r.decided_at } : {}),
  ...(r.reason !== null ? { reason: r.reason } : {}),
});

/** The values a transition writes: state, decided_by, decided_at, reason (all cleared when back to `pending`). */
export const decisionParams = (d: ApprovalDecision | 'pending'): unknown[] =>
  d === 'pending' ? ['pending', null, null, null] : [d.state, d.decided_by, d.at, d.reason ?? null];

/** A `messages` row of a shared conversation as both backends select it (shared-conversations.ts of each backend). */
export type AuthoredRow = {
  role: StoredMessage['role'];
  content: string;
  tool_calls: string | null;
  tool_call_id: string | null;
  author: string | null;
  addressed_to: string | null;
};

/** A stored row as an AuthoredMessage (absent fields left out). */
export function authoredOf(r: AuthoredRow): AuthoredMessage {
  return {
    role: r.role,
    content: r.content,
    ...(r.tool_calls ? { tool_calls: JSON.parse(r.tool_calls) as unknown[] } : {}),
    ...(r.tool_call_id ? { tool_call_id: r.tool_call_id } : {}),
    ...(r.author ? { author: r.author } : {}),
    ...(r.addressed_to ? { to: r.addressed_to } : {}),
  };
}
