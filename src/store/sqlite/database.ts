/**
 * SQLite implementation of the Store (better-sqlite3, WAL, foreign keys on, prepared statements
 * created once). Opening applies pending migrations; a database newer than this build is refused.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DomainError } from '../../domain/errors.js';
import type { Conversation, ExecutionRecord, MemoryEntry, RunStep, Store, StoredMessage, StoreHealth, TenantStore } from '../types.js';
import { startCheckpointer, START_AFTER_COMMITS, type Checkpointer } from './checkpointer.js';
import { MIGRATIONS } from './migrations.js';
import { createTenantStore } from './tenants.js';

/** Apply pending migrations; returns the resulting schema version. @throws DomainError when the file is newer. */
export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new DomainError(
      'UNAVAILABLE',
      `database schema version ${current} is newer than this caxton build supports (${latest}); upgrade caxton`,
    );
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
 * Open (creating if needed) the database at `path` and return a Store over it. A directory it creates
 * is 0700 and the files 0600 (they hold conversations and credential hashes).
 * @throws DomainError UNAVAILABLE when the file cannot be opened or is not a database.
 */
export function openSqliteStore(path: string): Store {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let db: Database.Database;
  let version: number;
  try {
    privateFiles(file);
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    privateFiles(file);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    version = migrate(db);
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError('UNAVAILABLE', `cannot open database ${file}: ${(err as Error).message}`);
  }

  const stmts = {
    createConversation: db.prepare(
      'INSERT INTO conversations (id, agent_name, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    ),
    getConversation: db.prepare('SELECT id, agent_name, user_id, created_at, updated_at FROM conversations WHERE id = ? AND user_id = ?'),
    messages: db.prepare('SELECT role, content, tool_calls, tool_call_id FROM messages WHERE conversation_id = ? ORDER BY id'),
    insertMessage: db.prepare(
      'INSERT INTO messages (conversation_id, role, content, tool_calls, tool_call_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    touchConversation: db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?'),
    insertExecution: db.prepare(`
      INSERT OR REPLACE INTO agent_executions (id, agent_name, agent_source, user_id, conversation_id, input, output, tool_calls,
        tokens_input, tokens_output, cost_usd, duration_ms, status, error_message, created_at, finish_reason, model, iterations)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    memoryGet: db.prepare('SELECT key, value, updated_at FROM memory WHERE scope = ? AND key = ?'),
    memorySet: db.prepare('INSERT OR REPLACE INTO memory (scope, key, value, user_id, updated_at) VALUES (?, ?, ?, ?, ?)'),
    memoryDelete: db.prepare('DELETE FROM memory WHERE scope = ? AND key = ?'),
    memorySearch: db.prepare(
      "SELECT key, value, updated_at FROM memory WHERE scope = ? AND (key LIKE ? ESCAPE '\\' OR value LIKE ? ESCAPE '\\') ORDER BY updated_at DESC, key LIMIT ?",
    ),
  };

  // Positional parameters in the column order of `insertExecution` (no per-row parameter object).
  const executionParams = (row: ExecutionRecord) => [
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
  ];
  const insertMessages = (id: string, messages: readonly StoredMessage[], now: number) => {
    for (const m of messages) {
      stmts.insertMessage.run(id, m.role, m.content, m.tool_calls ? JSON.stringify(m.tool_calls) : null, m.tool_call_id ?? null, now);
    }
  };
  let checkpointer: Checkpointer | undefined;
  let commits = 0;
  const counted = () => {
    if (++commits === START_AFTER_COMMITS && !closed) checkpointer = startCheckpointer(db, file);
  };
  const commitStep = db.transaction((step: RunStep) => {
    const now = Date.now();
    if (step.createConversation) {
      stmts.createConversation.run(step.conversationId, step.createConversation.agent_name, step.createConversation.user_id, now, now);
    } else if (step.messages.length) {
      stmts.touchConversation.run(now, step.conversationId);
    }
    insertMessages(step.conversationId, step.messages, now);
    stmts.insertExecution.run(...executionParams(step.execution));
    counted();
  });

  // Group commit: steps queued in one event-loop turn are written by one outer transaction; each
  // step runs as a nested transaction (a SAVEPOINT in better-sqlite3), so its failure is its own.
  let batch: { step: RunStep; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const flushBatch = db.transaction((items: typeof batch) =>
    items.map((item) => {
      try {
        commitStep(item.step);
        return undefined;
      } catch (err) {
        return err ?? new Error('commit failed');
      }
    }),
  );
  const flush = () => {
    const items = batch;
    batch = [];
    if (items.length === 0) return;
    if (items.length === 1) {
      // Alone in its turn: its own transaction, no savepoint needed.
      const only = items[0]!;
      try {
        commitStep(only.step);
      } catch (err) {
        only.reject(err);
        return;
      }
      only.resolve();
      return;
    }
    let outcomes: unknown[];
    try {
      outcomes = flushBatch(items);
    } catch (err) {
      for (const item of items) item.reject(err); // the COMMIT failed: nothing of the batch was written
      return;
    }
    items.forEach((item, i) => (outcomes[i] === undefined ? item.resolve() : item.reject(outcomes[i])));
  };

  let closed = false;
  const tenants: TenantStore = createTenantStore(db);
  return {
    tenants,
    conversations: {
      get(id, userId) {
        return stmts.getConversation.get(id, userId) as Conversation | undefined;
      },
      messages(id) {
        const rows = stmts.messages.all(id) as { role: StoredMessage['role']; content: string; tool_calls: string | null; tool_call_id: string | null }[];
        return rows.map((r) => ({
          role: r.role,
          content: r.content,
          ...(r.tool_calls ? { tool_calls: JSON.parse(r.tool_calls) as unknown[] } : {}),
          ...(r.tool_call_id ? { tool_call_id: r.tool_call_id } : {}),
        }));
      },
    },
    executions: {
      record(row: ExecutionRecord) {
        stmts.insertExecution.run(...executionParams(row));
      },
      commitStep(step) {
        commitStep(step);
      },
      commitStepBatched(step) {
        return new Promise<void>((resolve, reject) => {
          if (closed) return reject(new DomainError('UNAVAILABLE', 'database is closed'));
          if (batch.length === 0) setImmediate(flush);
          batch.push({ step, resolve, reject });
        });
      },
    },
    memory: {
      get(scope, key) {
        return stmts.memoryGet.get(scope, key) as MemoryEntry | undefined;
      },
      set(scope, key, value, userId) {
        stmts.memorySet.run(scope, key, value, userId ?? null, Date.now());
      },
      delete(scope, key) {
        return stmts.memoryDelete.run(scope, key).changes > 0;
      },
      search(scope, query, limit) {
        const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        return stmts.memorySearch.all(scope, like, like, limit) as MemoryEntry[];
      },
    },
    health(): StoreHealth {
      if (closed) return { ok: false, path: file, journal_mode: 'closed', schema_version: version, error: 'database is closed' };
      try {
        const mode = db.pragma('journal_mode', { simple: true }) as string;
        return { ok: true, path: file, journal_mode: mode, schema_version: version };
      } catch (err) {
        return { ok: false, path: file, journal_mode: 'unknown', schema_version: version, error: (err as Error).message };
      }
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      checkpointer?.stop();
      db.close();
    },
  };
}
