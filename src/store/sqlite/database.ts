/**
 * SQLite implementation of the Store (better-sqlite3, WAL, foreign keys on, prepared statements
 * created once). Opening applies pending migrations; a database newer than this build is refused.
 * This module opens the file and holds the conversation and memory stores; executions.ts holds the
 * execution log and step committer, tenants.ts the users, user-tier entities and history.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DomainError } from '../../domain/errors.js';
import type { Conversation, ConversationStore, ConversationSummary, MemoryEntry, MemoryStore, Store, StoredMessage, StoreHealth } from '../types.js';
import { createApprovalStore } from './approvals.js';
import { createBudgetStore } from './budgets.js';
import { createStepCommitter } from './executions.js';
import { createMemoryItemStore } from './memory-items.js';
import { MIGRATIONS } from './migrations.js';
import { createSharedConversationMethods } from './shared-conversations.js';
import { createTenantStore } from './tenants.js';

/** Apply pending migrations; returns the resulting schema version. @throws DomainError when the file is newer. */
export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new DomainError('UNAVAILABLE', `database schema version ${current} is newer than this caxton build supports (${latest}); upgrade caxton`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      if (m.sql) db.exec(m.sql);
      m.apply?.(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return Math.max(current, latest);
}

/**
 * Make the database file and its WAL/shared-memory companions owner-only (0600) whatever the umask:
 * created 0600 before SQLite opens it (SQLite gives `-wal` and `-shm` the mode of the database file),
 * and tightened when found looser.
 */
function privateFiles(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/**
 * Open the database file (parent directory 0700, files 0600), switch it to WAL and apply pending
 * migrations. @returns the connection and its schema version.
 * @throws DomainError UNAVAILABLE when the file cannot be opened or is not a database, or is newer.
 */
function openDatabase(file: string): { db: Database.Database; version: number } {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    privateFiles(file);
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    privateFiles(file);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return { db, version: migrate(db) };
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError('UNAVAILABLE', `cannot open database ${file}: ${(err as Error).message}`);
  }
}

/** Conversation reads (a run's rows are written by the step committer) and shared conversations (shared-conversations.ts). */
function createConversationStore(db: Database.Database): ConversationStore {
  const getConversation = db.prepare('SELECT id, agent_name, user_id, created_at, updated_at FROM conversations WHERE id = ? AND user_id = ?');
  const messages = db.prepare('SELECT role, content, tool_calls, tool_call_id FROM messages WHERE conversation_id = ? ORDER BY id');
  const summary = db.prepare('SELECT summary AS text, covers, created_at FROM conversation_summaries WHERE conversation_id = ?');
  const saveSummary = db.prepare(
    `INSERT INTO conversation_summaries (conversation_id, summary, covers, created_at) SELECT id, @text, @covers, @created_at FROM conversations WHERE id = @id
      ON CONFLICT (conversation_id) DO UPDATE SET summary = excluded.summary, covers = excluded.covers, created_at = excluded.created_at`,
  );
  return {
    ...createSharedConversationMethods(db),
    async get(id, userId) {
      return getConversation.get(id, userId) as Conversation | undefined;
    },
    async messages(id) {
      const rows = messages.all(id) as { role: StoredMessage['role']; content: string; tool_calls: string | null; tool_call_id: string | null }[];
      return rows.map((r) => ({
        role: r.role,
        content: r.content,
        ...(r.tool_calls ? { tool_calls: JSON.parse(r.tool_calls) as unknown[] } : {}),
        ...(r.tool_call_id ? { tool_call_id: r.tool_call_id } : {}),
      }));
    },
    summary: async (id) => summary.get(id) as ConversationSummary | undefined,
    async saveSummary(id, s) {
      saveSummary.run({ id, ...s });
    },
  };
}

/** Scoped key/value memory; `search` matches `query` literally (LIKE wildcards escaped) in keys and values. */
function createMemoryStore(db: Database.Database): MemoryStore {
  const s = {
    get: db.prepare('SELECT key, value, updated_at FROM memory WHERE scope = ? AND key = ?'),
    set: db.prepare('INSERT OR REPLACE INTO memory (scope, key, value, user_id, updated_at) VALUES (?, ?, ?, ?, ?)'),
    delete: db.prepare('DELETE FROM memory WHERE scope = ? AND key = ?'),
    search: db.prepare(
      "SELECT key, value, updated_at FROM memory WHERE scope = ? AND (key LIKE ? ESCAPE '\\' OR value LIKE ? ESCAPE '\\') ORDER BY updated_at DESC, key LIMIT ?",
    ),
  };
  return {
    async get(scope, key) {
      return s.get.get(scope, key) as MemoryEntry | undefined;
    },
    async set(scope, key, value, userId) {
      s.set.run(scope, key, value, userId ?? null, Date.now());
    },
    async delete(scope, key) {
      return s.delete.run(scope, key).changes > 0;
    },
    async search(scope, query, limit) {
      const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return s.search.all(scope, like, like, limit) as MemoryEntry[];
    },
  };
}

/**
 * Open (creating if needed) the database at `path` and return a Store over it. A directory it creates
 * is 0700 and the files 0600 (they hold conversations and credential hashes). `close()` writes the
 * queued step commits first.
 * @throws DomainError UNAVAILABLE when the file cannot be opened or is not a database.
 */
export function openSqliteStore(path: string): Store {
  const file = resolve(path);
  const { db, version } = openDatabase(file);
  const executions = createStepCommitter(db, file);
  let closed = false;
  return {
    tenants: createTenantStore(db),
    conversations: createConversationStore(db),
    executions: { record: executions.record, commitStep: executions.commitStep, commitStepBatched: executions.commitStepBatched },
    memory: createMemoryStore(db),
    memoryItems: createMemoryItemStore(db),
    budgets: createBudgetStore(db),
    approvals: createApprovalStore(db),
    changes: { publish: async () => undefined, subscribe: () => () => undefined },
    async health(): Promise<StoreHealth> {
      if (closed) return { ok: false, backend: 'sqlite', path: file, journal_mode: 'closed', schema_version: version, error: 'database is closed' };
      try {
        const mode = db.pragma('journal_mode', { simple: true }) as string;
        return { ok: true, backend: 'sqlite', path: file, journal_mode: mode, schema_version: version };
      } catch (err) {
        return { ok: false, backend: 'sqlite', path: file, journal_mode: 'unknown', schema_version: version, error: (err as Error).message };
      }
    },
    async size() {
      const bytes = (f: string) => statSync(f, { throwIfNoEntry: false })?.size ?? 0;
      if (!existsSync(file)) throw new DomainError('UNAVAILABLE', `database unavailable: ${file} is gone`);
      return { backend: 'sqlite', database_bytes: bytes(file), wal_bytes: bytes(`${file}-wal`) };
    },
    async close() {
      if (closed) return;
      executions.close();
      closed = true;
      db.close();
    },
  };
}
