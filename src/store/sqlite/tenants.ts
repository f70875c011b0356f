/**
 * SQLite tenant store: the users and sessions of users.ts, the user-tier entities and ranking of
 * entities.ts, and per-user history reads (SPEC §6 `GET /api/executions`, `/api/conversations`) over the conversation and
 * execution tables. Every statement is prepared once and parameterized.
 */
import type Database from 'better-sqlite3';
import type { Conversation, ExecutionRecord, HistoryStore, TenantStore } from '../types.js';
import { createEntityStore } from './entities.js';
import { createUserStore } from './users.js';

/** A user's executions (newest first; null columns left out, `tool_calls` parsed) and conversations. */
function createHistoryStore(db: Database.Database): HistoryStore {
  const s = {
    executions: db.prepare(
      `SELECT * FROM agent_executions WHERE user_id = @user AND (@agent IS NULL OR agent_name = @agent) ORDER BY created_at DESC, id LIMIT @limit`,
    ),
    conversations: db.prepare('SELECT id, agent_name, user_id, created_at, updated_at FROM conversations WHERE user_id = ? ORDER BY updated_at DESC LIMIT ?'),
    deleteConversation: db.prepare('DELETE FROM conversations WHERE id = ? AND user_id = ?'),
  };
  return {
    async executions(userId, { limit, agent }) {
      const rows = s.executions.all({ user: userId, agent: agent ?? null, limit }) as Record<string, unknown>[];
      return rows.map((r) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(r)) if (v !== null) out[k] = k === 'tool_calls' ? JSON.parse(v as string) : v;
        return out as unknown as ExecutionRecord;
      });
    },
    conversations: async (userId, { limit }) => s.conversations.all(userId, limit) as Conversation[],
    deleteConversation: async (id, userId) => s.deleteConversation.run(id, userId).changes > 0,
  };
}

/** Build the tenant store over an open database with every migration applied. */
export function createTenantStore(db: Database.Database): TenantStore {
  return { users: createUserStore(db), entities: createEntityStore(db), history: createHistoryStore(db) };
}
