/**
 * PostgreSQL implementation of the Store (STORY-034 external backends, DIR-12 hosted database): one `pg.Pool` per
 * daemon, named prepared statements, migrations under a row lock at open (migrations.ts; an up-to-date database takes no lock), and a
 * LISTEN/NOTIFY change feed (changes.ts). This module opens the pool and holds the conversation and
 * memory stores, health and close; executions.ts holds the step committer, tenants.ts the users,
 * user-tier entities and history. Methods keep the SQLite store's semantics (src/store/sqlite/).
 * Connection-class failures reject with `DomainError('UNAVAILABLE', 'database unavailable: ...')`;
 * the pool replaces broken connections by itself, so it serves again once the server is back.
 */
import pg from 'pg';
import { DomainError } from '../../domain/errors.js';
import { redactDatabaseUrl, urlPasswords } from '../database-url.js';
import type { Conversation, ConversationStore, ConversationSummary, MemoryEntry, MemoryStore, Store, StoredMessage, StoreHealth } from '../types.js';
import { createApprovalStore } from './approvals.js';
import { createBudgetStore } from './budgets.js';
import { createChangeFeed } from './changes.js';
import { checkout, createDb, scrub, translate, type Db } from './client.js';
import { createStepCommitter } from './executions.js';
import { createMemoryItemStore } from './memory-items.js';
import { migrate } from './migrations.js';
import { createSharedConversationMethods } from './shared-conversations.js';
import { createTenantStore } from './tenants.js';

/** How long a query may wait for a pooled connection before failing as UNAVAILABLE (ms). */
const CONNECT_TIMEOUT_MS = 2000;
/** How long `health()` waits for `SELECT 1` (ms). */
const HEALTH_TIMEOUT_MS = 2000;

/** BIGINT (int8, OID 20) columns hold ms times and counters well below 2^53: parse them as numbers, not strings. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

const S = {
  conversation: { name: 'cx_conv_get', text: 'SELECT id, agent_name, user_id, created_at, updated_at FROM conversations WHERE id = $1 AND user_id = $2' },
  messages: { name: 'cx_msg_list', text: 'SELECT role, content, tool_calls, tool_call_id FROM messages WHERE conversation_id = $1 ORDER BY id' },
  summary: { name: 'cx_conv_summary', text: 'SELECT summary AS text, covers, created_at FROM conversation_summaries WHERE conversation_id = $1' },
  saveSummary: {
    name: 'cx_conv_save_summary',
    text: `INSERT INTO conversation_summaries (conversation_id, summary, covers, created_at) SELECT id, $2, $3, $4 FROM conversations WHERE id = $1
      ON CONFLICT (conversation_id) DO UPDATE SET summary = EXCLUDED.summary, covers = EXCLUDED.covers, created_at = EXCLUDED.created_at`,
  },
  memoryGet: { name: 'cx_mem_get', text: 'SELECT key, value, updated_at FROM memory WHERE scope = $1 AND key = $2' },
  memorySet: {
    name: 'cx_mem_set',
    text: `INSERT INTO memory (scope, key, value, user_id, updated_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (scope, key) DO UPDATE SET value = EXCLUDED.value, user_id = EXCLUDED.user_id, updated_at = EXCLUDED.updated_at`,
  },
  memoryDelete: { name: 'cx_mem_delete', text: 'DELETE FROM memory WHERE scope = $1 AND key = $2' },
  memorySearch: {
    name: 'cx_mem_search',
    text: "SELECT key, value, updated_at FROM memory WHERE scope = $1 AND (key ILIKE $2 ESCAPE '\\' OR value ILIKE $2 ESCAPE '\\') ORDER BY updated_at DESC, key LIMIT $3",
  },
  ping: { name: 'cx_ping', text: 'SELECT 1' },
  size: { name: 'cx_size', text: 'SELECT pg_database_size(current_database()) AS bytes' },
};

/** Conversation reads (a run's rows are written by the step committer) and shared conversations (shared-conversations.ts); never another user's conversation. */
function createConversationStore(db: Db): ConversationStore {
  return {
    ...createSharedConversationMethods(db),
    get: async (id, userId) => (await db.run<Conversation & Record<string, unknown>>(S.conversation, [id, userId])).rows[0],
    async messages(id) {
      const rows = (await db.run<{ role: StoredMessage['role']; content: string; tool_calls: string | null; tool_call_id: string | null }>(S.messages, [id]))
        .rows;
      return rows.map((r) => ({
        role: r.role,
        content: r.content,
        ...(r.tool_calls ? { tool_calls: JSON.parse(r.tool_calls) as unknown[] } : {}),
        ...(r.tool_call_id ? { tool_call_id: r.tool_call_id } : {}),
      }));
    },
    summary: async (id) => (await db.run<ConversationSummary & Record<string, unknown>>(S.summary, [id])).rows[0],
    async saveSummary(id, s) {
      await db.run(S.saveSummary, [id, s.text, s.covers, s.created_at]);
    },
  };
}

/** Scoped key/value memory; `search` matches `query` literally and case-insensitively (ILIKE, wildcards escaped). */
function createMemoryStore(db: Db): MemoryStore {
  return {
    get: async (scope, key) => (await db.run<MemoryEntry & Record<string, unknown>>(S.memoryGet, [scope, key])).rows[0],
    async set(scope, key, value, userId) {
      await db.run(S.memorySet, [scope, key, value, userId ?? null, Date.now()]);
    },
    delete: async (scope, key) => ((await db.run(S.memoryDelete, [scope, key])).rowCount ?? 0) > 0,
    async search(scope, query, limit) {
      const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return (await db.run<MemoryEntry & Record<string, unknown>>(S.memorySearch, [scope, like, limit])).rows;
    },
  };
}

/** Reject after `ms` with a timeout error unless `p` settles first. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Create the pool and apply pending migrations on one of its connections. @returns the schema version. */
async function openPool(url: string, poolSize: number, secrets: readonly string[]): Promise<{ pool: pg.Pool; version: number }> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, types });
  pool.on('error', () => undefined); // an idle connection died (server restart): the pool drops it and opens another when needed
  try {
    const { client, release } = await checkout(pool);
    try {
      return { pool, version: await migrate(client) };
    } finally {
      release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof DomainError) throw err;
    const t = translate(err, secrets);
    if (t instanceof DomainError) throw t;
    throw new DomainError('UNAVAILABLE', `cannot open database ${redactDatabaseUrl(url)}: ${scrub((err as Error).message, secrets)}`);
  }
}

/**
 * Open the PostgreSQL store at `url` with at most `opts.poolSize` connections (plus one listening for
 * changes): connects, applies pending migrations (under the `schema_version` row lock, so nodes
 * starting together migrate once), and starts the change listener. `opts.log` receives background
 * trouble. `close()` waits for the steps being written, stops the listener and ends the pool.
 * @throws DomainError UNAVAILABLE when the server cannot be reached, a migration fails, or the schema
 *   is newer than this build; messages never include the URL's password.
 */
export async function openPostgresStore(url: string, opts: { poolSize: number; log?: (msg: string, err?: unknown) => void }): Promise<Store> {
  const secrets = urlPasswords(url);
  const log = opts.log ?? (() => undefined);
  const { pool, version } = await openPool(url, opts.poolSize, secrets);
  const db = createDb(pool, secrets);
  const executions = createStepCommitter(db);
  const changes = createChangeFeed(db, { connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, types }, log);
  try {
    await changes.start();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw translate(err, secrets);
  }
  const path = redactDatabaseUrl(url);
  let closing: Promise<void> | undefined;
  return {
    tenants: createTenantStore(db),
    conversations: createConversationStore(db),
    executions: { record: executions.record, commitStep: executions.commitStep, commitStepBatched: executions.commitStepBatched },
    memory: createMemoryStore(db),
    memoryItems: createMemoryItemStore(db),
    budgets: createBudgetStore(db),
    approvals: createApprovalStore(db),
    changes: { publish: changes.publish, subscribe: changes.subscribe },
    async health(): Promise<StoreHealth> {
      const base = {
        backend: 'postgres' as const,
        path,
        schema_version: version,
        pool: { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount },
      };
      if (closing) return { ok: false, ...base, error: 'database is closed' };
      try {
        await within(db.run(S.ping), HEALTH_TIMEOUT_MS);
        return { ok: true, ...base };
      } catch (err) {
        return { ok: false, ...base, error: scrub((err as Error).message, secrets) };
      }
    },
    async size() {
      const bytes = (await db.run<{ bytes: number }>(S.size)).rows[0]?.bytes ?? 0;
      return { backend: 'postgres', database_bytes: bytes };
    },
    close() {
      closing ??= (async () => {
        await executions.close();
        await changes.close();
        await pool.end();
      })();
      return closing;
    },
  };
}
