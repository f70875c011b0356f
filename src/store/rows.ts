/**
 * Rows as both store backends (src/store/sqlite, src/store/postgres) hold them, so the two map them
 * one way: users (0/1 flags as booleans), execution rows (positional parameters in one column order),
 * user-tier entities, and memory items (metadata JSON, float32 vector bytes) (the table of each kind, the DIR-12 columns written besides the JSON value,
 * the row -> entity mapping, and the CONFLICT error of a taken name; SPEC §4).
 */
import { DomainError } from '../domain/errors.js';
import type { MemoryItem } from '../domain/memory-items.js';
import type { User, UserEntity, UserEntityKind, UserEntityValue } from '../domain/users.js';
import type { ExecutionRecord } from './types.js';

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

/** The bytes of a float32 vector (shares its buffer). */
export const vectorBytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** A float32 vector from stored bytes (copied: a driver's buffer need not be 4-byte aligned). */
export const vectorOf = (b: Uint8Array): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
