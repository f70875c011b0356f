/**
 * Numbered schema migrations, applied in order inside one transaction each; `PRAGMA user_version`
 * records the last one applied. Never edit a shipped migration: add a new number.
 */
import type Database from 'better-sqlite3';
import { handleFromEmail, uniqueHandle } from '../../domain/names.js';

/**
 * One migration: its number, the SQL that moves the schema from the previous number to this one,
 * and/or a function run after that SQL in the same transaction, for what SQL alone cannot express
 * well (values derived in code, or rebuilding a table to widen a CHECK).
 */
export interface Migration {
  version: number;
  name: string;
  sql?: string;
  apply?: (db: Database.Database) => void;
}

/**
 * Give every user without a handle one derived from their email (oldest users first, a numeric
 * suffix on collision; SPEC §4). The built-in user already has `local`.
 */
function backfillHandles(db: Database.Database): void {
  const taken = new Set(db.prepare('SELECT handle FROM users WHERE handle IS NOT NULL').pluck().all() as string[]);
  const set = db.prepare('UPDATE users SET handle = ? WHERE id = ?');
  const pending = db.prepare('SELECT id, email FROM users WHERE handle IS NULL ORDER BY created_at, rowid').all() as { id: string; email: string | null }[];
  for (const u of pending) {
    const handle = uniqueHandle(handleFromEmail(u.email ?? u.id), (h) => taken.has(h));
    taken.add(handle);
    set.run(handle, u.id);
  }
}

/** The CHECK on `agent_executions.status` before migration 6, after it, and after migration 11. */
const STATUS_CHECK_V1 = "CHECK (status IN ('success','error','timeout'))";
const STATUS_CHECK_V6 = "CHECK (status IN ('success','error','timeout','cancelled'))";
const STATUS_CHECK_V11 = "CHECK (status IN ('success','error','timeout','cancelled','awaiting_approval'))";

/**
 * A migration widening the CHECK on `agent_executions.status` from `from` to `to` (SPEC §7 statuses).
 * SQLite cannot alter a CHECK, so the table is rebuilt from its own current definition (with every
 * column earlier migrations added), the CHECK widened; rows and indexes are kept.
 * @throws Error when the CHECK `from` is not found.
 */
function widenStatusCheck(from: string, to: string): (db: Database.Database) => void {
  return (db) => {
    const table = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'agent_executions'").get() as { sql: string };
    if (!table.sql.includes(from)) throw new Error('agent_executions.status has an unexpected CHECK; cannot widen it');
    const indexes = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'agent_executions' AND sql IS NOT NULL").all() as {
      sql: string;
    }[];
    db.exec(table.sql.replace(from, to).replace(/^CREATE TABLE "?agent_executions"?/, 'CREATE TABLE agent_executions_new'));
    db.exec(
      'INSERT INTO agent_executions_new SELECT * FROM agent_executions; DROP TABLE agent_executions; ALTER TABLE agent_executions_new RENAME TO agent_executions;',
    );
    for (const i of indexes) db.exec(i.sql);
  };
}

/** All migrations, ascending. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, conversations, messages, agent_executions',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT UNIQUE,
        name TEXT,
        is_admin INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      INSERT INTO users (id, email, name, is_admin, created_at)
        VALUES ('local', NULL, 'local', 1, CAST(strftime('%s','now') AS INTEGER) * 1000);

      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        agent_name TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX idx_conversations_user ON conversations(user_id, updated_at DESC);

      CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system','user','assistant','tool')),
        content TEXT NOT NULL,
        tool_calls TEXT,
        tool_call_id TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX idx_messages_conversation ON messages(conversation_id, id);

      CREATE TABLE agent_executions (
        id TEXT PRIMARY KEY,
        agent_id TEXT,
        agent_name TEXT NOT NULL,
        agent_source TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        conversation_id TEXT,
        input TEXT NOT NULL,
        output TEXT,
        tool_calls TEXT,
        tokens_input INTEGER,
        tokens_output INTEGER,
        cost_usd REAL,
        duration_ms INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('success','error','timeout')),
        error_message TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX idx_executions_user ON agent_executions(user_id, created_at DESC);
      CREATE INDEX idx_executions_agent ON agent_executions(agent_name, created_at DESC);
    `,
  },
  {
    version: 2,
    name: 'memory key-value store; finish_reason, model, iterations on agent_executions',
    sql: `
      CREATE TABLE memory (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      ) WITHOUT ROWID;
      CREATE INDEX idx_memory_scope_updated ON memory(scope, updated_at DESC);

      ALTER TABLE agent_executions ADD COLUMN finish_reason TEXT;
      ALTER TABLE agent_executions ADD COLUMN model TEXT;
      ALTER TABLE agent_executions ADD COLUMN iterations INTEGER;
    `,
  },
  {
    version: 3,
    name: 'tenants: passwords, api_keys, refresh_tokens, user_agents, user_tools, user_mcps, ratings',
    sql: `
      ALTER TABLE users ADD COLUMN password_hash TEXT;
      CREATE UNIQUE INDEX idx_users_email_nocase ON users(email COLLATE NOCASE);

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT,
        prefix TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX idx_api_keys_user ON api_keys(user_id, created_at);

      CREATE TABLE refresh_tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE user_agents (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        display_name TEXT,
        description TEXT,
        model TEXT,
        system_prompt TEXT NOT NULL,
        tools TEXT NOT NULL DEFAULT '[]',
        max_tool_iterations INTEGER NOT NULL DEFAULT 10,
        parallel_tools INTEGER NOT NULL DEFAULT 0,
        extra TEXT NOT NULL DEFAULT '{}',
        config TEXT NOT NULL,
        is_public INTEGER NOT NULL DEFAULT 0,
        usage_count INTEGER NOT NULL DEFAULT 0,
        rating_sum INTEGER NOT NULL DEFAULT 0,
        rating_count INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (user_id, name)
      );
      CREATE INDEX idx_user_agents_public ON user_agents(is_public, name, usage_count DESC);

      CREATE TABLE user_tools (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        description TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        timeout_secs REAL NOT NULL DEFAULT 30,
        tool_type TEXT NOT NULL,
        config TEXT NOT NULL,
        is_public INTEGER NOT NULL DEFAULT 0,
        usage_count INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (user_id, name)
      );
      CREATE INDEX idx_user_tools_public ON user_tools(is_public, name);

      CREATE TABLE user_mcps (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        command TEXT,
        url TEXT,
        timeout_secs REAL NOT NULL DEFAULT 30,
        config TEXT NOT NULL,
        is_public INTEGER NOT NULL DEFAULT 0,
        usage_count INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (user_id, name)
      );
      CREATE INDEX idx_user_mcps_public ON user_mcps(is_public, name);

      CREATE TABLE ratings (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        agent_id TEXT NOT NULL REFERENCES user_agents(id) ON DELETE CASCADE,
        stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, agent_id)
      );
    `,
  },
  {
    version: 4,
    name: 'user handles (unique; qualify community names as HANDLE/NAME)',
    sql: `
      ALTER TABLE users ADD COLUMN handle TEXT;
      UPDATE users SET handle = 'local' WHERE id = 'local';
      CREATE UNIQUE INDEX idx_users_handle ON users(handle);
    `,
    apply: backfillHandles,
  },
  {
    version: 5,
    name: 'abuse limits: user_agent_usage (one counted run per user, agent and day), sessions on refresh_tokens, revoked_sessions',
    sql: `
      CREATE TABLE user_agent_usage (
        agent_id TEXT NOT NULL REFERENCES user_agents(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        PRIMARY KEY (agent_id, user_id, day)
      ) WITHOUT ROWID;
      CREATE INDEX idx_user_agent_usage_user ON user_agent_usage(user_id, agent_id);

      ALTER TABLE refresh_tokens ADD COLUMN session_id TEXT;
      CREATE INDEX idx_refresh_tokens_session ON refresh_tokens(session_id);

      CREATE TABLE revoked_sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        revoked_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX idx_revoked_sessions_expiry ON revoked_sessions(expires_at);
    `,
  },
  {
    version: 6,
    name: "agent_executions.status accepts 'cancelled'",
    apply: widenStatusCheck(STATUS_CHECK_V1, STATUS_CHECK_V6),
  },
  {
    version: 7,
    name: 'memory keyed by user-tier agent row',
    // `agent`-scope memory of a user-tier agent is keyed by its row (`user-agent:ROW:USER`), not its
    // name. Entries under `agent:NAME:OWNER` for each of the owner's agents are copied to the row's
    // key; the originals stay, so the system agent of that name keeps reading what it wrote.
    sql: `
      INSERT OR IGNORE INTO memory (scope, key, value, user_id, updated_at)
      SELECT 'user-agent:' || ua.id || ':' || ua.user_id, m.key, m.value, m.user_id, m.updated_at
      FROM user_agents ua JOIN memory m ON m.scope = 'agent:' || ua.name || ':' || ua.user_id;
    `,
  },
  {
    version: 8,
    name: 'budgets: budget_counters (USD and tokens per scope, owner and period), user_limits (admin overrides)',
    sql: `
      CREATE TABLE budget_counters (
        scope TEXT NOT NULL,
        owner TEXT NOT NULL,
        period TEXT NOT NULL,
        usd REAL NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (scope, owner, period)
      ) WITHOUT ROWID;
      CREATE TABLE user_limits (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        limits TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX idx_executions_created ON agent_executions(created_at);
    `,
  },
  {
    version: 9,
    name: 'memory items: memory_items (text, metadata, scope, vector), memory_items_fts (FTS5 over text, kept in sync by triggers)',
    // AUTOINCREMENT: an id (the FTS rowid) is never reused, so no index entry can outlive its row.
    // Triggers keep the external-content FTS table in sync, also when a user's deletion cascades.
    sql: `
      CREATE TABLE memory_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        scope TEXT NOT NULL CHECK (scope IN ('agent','conversation','user','global')),
        scope_key TEXT NOT NULL,
        agent TEXT,
        conversation_id TEXT,
        text TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        embedder TEXT,
        vector BLOB,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX idx_memory_items_user ON memory_items(user_id, scope_key, created_at);
      CREATE INDEX idx_memory_items_embedder ON memory_items(embedder);
      CREATE VIRTUAL TABLE memory_items_fts USING fts5(text, content='memory_items', content_rowid='id', tokenize='porter unicode61');
      CREATE TRIGGER memory_items_ai AFTER INSERT ON memory_items BEGIN
        INSERT INTO memory_items_fts(rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER memory_items_ad AFTER DELETE ON memory_items BEGIN
        INSERT INTO memory_items_fts(memory_items_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;
      CREATE TRIGGER memory_items_au AFTER UPDATE OF text ON memory_items BEGIN
        INSERT INTO memory_items_fts(memory_items_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO memory_items_fts(rowid, text) VALUES (new.id, new.text);
      END;
    `,
  },
  {
    version: 10,
    name: 'delegation trees: agent_executions.parent_execution_id, root_execution_id and routing (the capability routing decision, JSON)',
    sql: `
      ALTER TABLE agent_executions ADD COLUMN parent_execution_id TEXT;
      ALTER TABLE agent_executions ADD COLUMN root_execution_id TEXT;
      ALTER TABLE agent_executions ADD COLUMN routing TEXT;
      CREATE INDEX idx_executions_root ON agent_executions(root_execution_id);
    `,
  },
  {
    version: 11,
    name: "approvals: tool_approvals (paused runs and their pending tool calls); agent_executions.status accepts 'awaiting_approval'",
    sql: `
      CREATE TABLE tool_approvals (
        execution_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        agent_ref TEXT NOT NULL,
        conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
        history TEXT,
        calls TEXT NOT NULL,
        progress TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_by TEXT,
        decided_at INTEGER,
        reason TEXT
      );
      CREATE INDEX idx_tool_approvals_state ON tool_approvals(state, expires_at);
      CREATE INDEX idx_tool_approvals_user ON tool_approvals(user_id, state, created_at);
    `,
    apply: widenStatusCheck(STATUS_CHECK_V6, STATUS_CHECK_V11),
  },
  {
    version: 12,
    name: 'shared conversations: conversation_participants (agents in listed order), messages.author and messages.addressed_to',
    sql: `
      CREATE TABLE conversation_participants (
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        agent TEXT NOT NULL,
        position INTEGER NOT NULL,
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, agent)
      );
      ALTER TABLE messages ADD COLUMN author TEXT;
      ALTER TABLE messages ADD COLUMN addressed_to TEXT;
    `,
  },
  {
    version: 13,
    name: 'run traces: run_traces (one JSON trace per execution, written with its final step)',
    // No foreign key: agent_executions is rebuilt by table copies (migration 6), which a reference would block.
    sql: `
      CREATE TABLE run_traces (
        execution_id TEXT PRIMARY KEY,
        trace TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 14,
    name: 'conversation summaries: conversation_summaries (one summary per conversation of its oldest messages, memory.summarize)',
    sql: `
      CREATE TABLE conversation_summaries (
        conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
        summary TEXT NOT NULL,
        covers INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
];
