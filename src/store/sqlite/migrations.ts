/**
 * Numbered schema migrations, applied in order inside one transaction each; `PRAGMA user_version`
 * records the last one applied. Never edit a shipped migration: add a new number.
 */

/** One migration: its number and the SQL that moves the schema from number-1 to number. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
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
];
