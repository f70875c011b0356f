/**
 * SQLite tenant store: the users and sessions of users.ts, the user-tier entities and ranking of
 * entities.ts, and per-user history reads (SPEC §6 `GET /api/executions`, `/api/conversations`) over the conversation and
 * execution tables. Every statement is prepared once and parameterized.
 */
import type Database from 'better-sqlite3';
import { AGENT_STATS_COLUMNS, agentStatsOf, lastRunsOf, toExecution, type AgentStatsRow, type LastRunRow } from '../rows.js';
import type { AgentActivity, Conversation, HistoryStore, TenantStore } from '../types.js';
import { createEntityStore } from './entities.js';
import { createUserStore } from './users.js';

/** The rows `agentActivity` reads: one agent's (system by name, user-tier by row id), optionally one user's, in the window. */
const AGENT_WINDOW = `FROM agent_executions WHERE agent_name = @name AND created_at >= @since
  AND (CASE WHEN @row IS NULL THEN agent_source = 'system' ELSE agent_id = @row END) AND (@user IS NULL OR user_id = @user)`;

/** A user's executions (newest first, filtered; null columns left out, `tool_calls` parsed), conversations and run traces; one agent's activity; per-agent stats of a window. */
function createHistoryStore(db: Database.Database): HistoryStore {
  const s = {
    activity: db.prepare(
      `SELECT COUNT(*) AS runs, COALESCE(SUM(tokens_input), 0) AS tokens_input, COALESCE(SUM(tokens_output), 0) AS tokens_output,
        COALESCE(SUM(cost_usd), 0) AS cost_usd, MAX(created_at + duration_ms) AS last_activity_at ${AGENT_WINDOW}`,
    ),
    lastError: db.prepare(
      `SELECT id AS execution_id, status, finish_reason, error_message AS message, created_at + duration_ms AS at ${AGENT_WINDOW}
        AND status IN ('error', 'timeout') AND COALESCE(finish_reason, '') <> 'stop' ORDER BY created_at DESC, id DESC LIMIT 1`,
    ),
    stats: db.prepare(`SELECT ${AGENT_STATS_COLUMNS} FROM agent_executions WHERE created_at >= @since AND (@user IS NULL OR user_id = @user)`),
    lastRuns: db.prepare(
      'SELECT agent_name AS agent, MAX(created_at) AS at FROM agent_executions WHERE (@user IS NULL OR user_id = @user) GROUP BY agent_name',
    ),
    executions: db.prepare(
      `SELECT * FROM agent_executions WHERE user_id = @user AND (@agent IS NULL OR agent_name = @agent) AND (@status IS NULL OR status = @status)
        AND (@finish IS NULL OR finish_reason = @finish) AND (@since IS NULL OR created_at >= @since) AND (@until IS NULL OR created_at < @until)
        AND (@after_at IS NULL OR created_at < @after_at OR (created_at = @after_at AND id > @after_id))
        ORDER BY created_at DESC, id LIMIT @limit`,
    ),
    tree: db.prepare(
      `SELECT * FROM agent_executions WHERE user_id = @user AND (id = @root OR root_execution_id = @root)
        ORDER BY created_at, id`,
    ),
    rootOf: db.prepare('SELECT COALESCE(root_execution_id, id) AS root FROM agent_executions WHERE id = @id AND user_id = @user'),
    conversations: db.prepare('SELECT id, agent_name, user_id, created_at, updated_at FROM conversations WHERE user_id = ? ORDER BY updated_at DESC LIMIT ?'),
    deleteConversation: db.prepare('DELETE FROM conversations WHERE id = ? AND user_id = ?'),
    trace: db.prepare('SELECT e.user_id, t.trace FROM run_traces t JOIN agent_executions e ON e.id = t.execution_id WHERE t.execution_id = ?'),
    clearMessages: db.prepare(
      'DELETE FROM messages WHERE conversation_id = ? AND conversation_id IN (SELECT id FROM conversations WHERE id = ? AND user_id = ?)',
    ),
    clearSummary: db.prepare(
      'DELETE FROM conversation_summaries WHERE conversation_id = ? AND conversation_id IN (SELECT id FROM conversations WHERE id = ? AND user_id = ?)',
    ),
  };
  const clear = db.transaction((id: string, userId: string) => {
    s.clearSummary.run(id, id, userId);
    return s.clearMessages.run(id, id, userId).changes;
  });
  return {
    async agentActivity({ name, rowId, userId, since }) {
      const params = { name, since, row: rowId ?? null, user: userId ?? null };
      const sums = s.activity.get(params) as Omit<AgentActivity, 'last_error'>;
      return { ...sums, last_error: (s.lastError.get(params) as AgentActivity['last_error'] | undefined) ?? null };
    },
    agentStats: async ({ userId, since }) => agentStatsOf(s.stats.all({ since, user: userId ?? null }) as AgentStatsRow[]),
    lastRunAt: async ({ userId }) => lastRunsOf(s.lastRuns.all({ user: userId ?? null }) as LastRunRow[]),
    async executions(userId, q) {
      const rows = s.executions.all({
        user: userId,
        agent: q.agent ?? null,
        status: q.status ?? null,
        finish: q.finish_reason ?? null,
        since: q.since ?? null,
        until: q.until ?? null,
        after_at: q.after?.created_at ?? null,
        after_id: q.after?.id ?? null,
        limit: q.limit,
      }) as Record<string, unknown>[];
      return rows.map(toExecution);
    },
    async executionTree(id, userId) {
      const root = s.rootOf.get({ id, user: userId }) as { root: string } | undefined;
      return root ? (s.tree.all({ user: userId, root: root.root }) as Record<string, unknown>[]).map(toExecution) : [];
    },
    conversations: async (userId, { limit }) => s.conversations.all(userId, limit) as Conversation[],
    deleteConversation: async (id, userId) => s.deleteConversation.run(id, userId).changes > 0,
    clearMessages: async (id, userId) => clear(id, userId),
    trace: async (executionId) => s.trace.get(executionId) as { user_id: string; trace: string } | undefined,
  };
}

/** Build the tenant store over an open database with every migration applied. */
export function createTenantStore(db: Database.Database): TenantStore {
  return { users: createUserStore(db), entities: createEntityStore(db), history: createHistoryStore(db) };
}
