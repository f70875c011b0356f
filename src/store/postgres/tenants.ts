/**
 * PostgreSQL tenant store: the users and sessions of users.ts, the user-tier entities and ranking
 * of entities.ts, and per-user history reads (SPEC §6 `GET /api/executions`, `/api/conversations`),
 * the same semantics as src/store/sqlite/tenants.ts. Every query reads only `userId`'s rows.
 */
import { AGENT_STATS_COLUMNS, agentStatsOf, lastRunsOf, toExecution, type AgentStatsRow, type LastRunRow } from '../rows.js';
import type { AgentActivity, Conversation, HistoryStore, TenantStore } from '../types.js';
import type { Db } from './client.js';
import { createEntityStore } from './entities.js';
import { createUserStore } from './users.js';

/** The rows `agentActivity` reads: one agent's (system by name, user-tier by row id), optionally one user's, in the window. */
const AGENT_WINDOW = `FROM agent_executions WHERE agent_name = $1 AND created_at >= $2
  AND (($3::text IS NULL AND agent_source = 'system') OR agent_id = $3) AND ($4::text IS NULL OR user_id = $4)`;

const S = {
  activity: {
    name: 'cx_history_agent_activity',
    text: `SELECT COUNT(*) AS runs, COALESCE(SUM(tokens_input), 0)::bigint AS tokens_input, COALESCE(SUM(tokens_output), 0)::bigint AS tokens_output,
      COALESCE(SUM(cost_usd), 0) AS cost_usd, MAX(created_at + duration_ms) AS last_activity_at ${AGENT_WINDOW}`,
  },
  lastError: {
    name: 'cx_history_agent_last_error',
    text: `SELECT id AS execution_id, status, finish_reason, error_message AS message, created_at + duration_ms AS at ${AGENT_WINDOW}
      AND status IN ('error', 'timeout') AND COALESCE(finish_reason, '') <> 'stop' ORDER BY created_at DESC, id DESC LIMIT 1`,
  },
  stats: {
    name: 'cx_history_agent_stats',
    text: `SELECT ${AGENT_STATS_COLUMNS} FROM agent_executions WHERE created_at >= $1 AND ($2::text IS NULL OR user_id = $2)`,
  },
  lastRuns: {
    name: 'cx_history_last_runs',
    text: 'SELECT agent_name AS agent, MAX(created_at) AS at FROM agent_executions WHERE ($1::text IS NULL OR user_id = $1) GROUP BY agent_name',
  },
  executions: {
    name: 'cx_history_executions',
    text: `SELECT * FROM agent_executions WHERE user_id = $1 AND ($2::text IS NULL OR agent_name = $2) AND ($3::text IS NULL OR status = $3)
      AND ($4::text IS NULL OR finish_reason = $4) AND ($5::bigint IS NULL OR created_at >= $5) AND ($6::bigint IS NULL OR created_at < $6)
      AND ($7::bigint IS NULL OR created_at < $7 OR (created_at = $7 AND id > $8::text))
      ORDER BY created_at DESC, id LIMIT $9`,
  },
  tree: {
    name: 'cx_history_execution_tree',
    text: `WITH r AS (SELECT COALESCE(root_execution_id, id) AS root FROM agent_executions WHERE id = $1 AND user_id = $2)
      SELECT e.* FROM agent_executions e, r WHERE e.user_id = $2 AND (e.id = r.root OR e.root_execution_id = r.root) ORDER BY e.created_at, e.id`,
  },
  conversations: {
    name: 'cx_history_conversations',
    text: 'SELECT id, agent_name, user_id, created_at, updated_at FROM conversations WHERE user_id = $1 ORDER BY updated_at DESC LIMIT $2',
  },
  trace: {
    name: 'cx_history_trace',
    text: 'SELECT e.user_id, t.trace FROM run_traces t JOIN agent_executions e ON e.id = t.execution_id WHERE t.execution_id = $1',
  },
  deleteConversation: { name: 'cx_history_delete_conversation', text: 'DELETE FROM conversations WHERE id = $1 AND user_id = $2' },
  clearMessages: {
    name: 'cx_history_clear_messages',
    // One statement: the summary and the messages go together.
    text: `WITH c AS (SELECT id FROM conversations WHERE id = $1 AND user_id = $2),
      s AS (DELETE FROM conversation_summaries WHERE conversation_id IN (SELECT id FROM c))
      DELETE FROM messages WHERE conversation_id IN (SELECT id FROM c)`,
  },
};

/** A user's executions (newest first, filtered; null columns left out, `tool_calls` parsed), conversations and run traces; per-agent stats of a window. */
function createHistoryStore(db: Db): HistoryStore {
  return {
    async agentActivity({ name, rowId, userId, since }) {
      const params = [name, since, rowId ?? null, userId ?? null];
      const [sums, last] = await Promise.all([db.run(S.activity, params), db.run(S.lastError, params)]);
      return { ...(sums.rows[0] as Omit<AgentActivity, 'last_error'>), last_error: (last.rows[0] as AgentActivity['last_error'] | undefined) ?? null };
    },
    agentStats: async ({ userId, since }) => agentStatsOf((await db.run(S.stats, [since, userId ?? null])).rows as unknown as AgentStatsRow[]),
    lastRunAt: async ({ userId }) => lastRunsOf((await db.run(S.lastRuns, [userId ?? null])).rows as unknown as LastRunRow[]),
    async executions(userId, q) {
      const params = [userId, q.agent ?? null, q.status ?? null, q.finish_reason ?? null, q.since ?? null, q.until ?? null];
      const rows = (await db.run(S.executions, [...params, q.after?.created_at ?? null, q.after?.id ?? null, q.limit])).rows;
      return rows.map(toExecution);
    },
    executionTree: async (id, userId) => (await db.run(S.tree, [id, userId])).rows.map(toExecution),
    conversations: async (userId, { limit }) => (await db.run<Conversation & Record<string, unknown>>(S.conversations, [userId, limit])).rows,
    deleteConversation: async (id, userId) => ((await db.run(S.deleteConversation, [id, userId])).rowCount ?? 0) > 0,
    clearMessages: async (id, userId) => (await db.run(S.clearMessages, [id, userId])).rowCount ?? 0,
    trace: async (executionId) => (await db.run<{ user_id: string; trace: string }>(S.trace, [executionId])).rows[0],
  };
}

/** Build the tenant store over a migrated database. */
export function createTenantStore(db: Db): TenantStore {
  return { users: createUserStore(db), entities: createEntityStore(db), history: createHistoryStore(db) };
}
