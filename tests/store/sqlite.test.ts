import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { tempDir } from '../helpers/tmp.js';

const tmpDb = () => join(tempDir('cx-db-'), 'data', 'ares.db');

describe('SQLite store', () => {
  it('creates the file in WAL mode at the latest schema, and reports it healthy', () => {
    const path = tmpDb();
    const store = openSqliteStore(path);
    expect(store.health()).toMatchObject({ ok: true, path, journal_mode: 'wal', schema_version: MIGRATIONS.at(-1)!.version });
    store.close();
    expect(store.health().ok).toBe(false);
  });

  it('keeps conversations and their messages across reopen, oldest first', () => {
    const path = tmpDb();
    let store = openSqliteStore(path);
    const conv = store.conversations.create('router', 'local');
    store.conversations.append(conv.id, [
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'two' },
    ]);
    store.close();
    store = openSqliteStore(path);
    expect(store.conversations.get(conv.id, 'local')).toMatchObject({ id: conv.id, agent_name: 'router' });
    expect(store.conversations.messages(conv.id).map((m) => m.content)).toEqual(['one', 'two']);
    // Another user's conversation does not exist for you.
    expect(store.conversations.get(conv.id, 'someone-else')).toBeUndefined();
    store.close();
  });

  it('records executions and enforces the status values', () => {
    const path = tmpDb();
    const store = openSqliteStore(path);
    const base = { agent_name: 'router', agent_source: 'system', user_id: 'local', input: 'hi', duration_ms: 3, created_at: Date.now() };
    store.executions.record({ ...base, id: 'exec_1', status: 'success', tokens_input: 5, tokens_output: 7, cost_usd: 0.001 });
    expect(() => store.executions.record({ ...base, id: 'exec_2', status: 'bogus' as 'success' })).toThrow(/CHECK constraint/);
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT id, status, tokens_output, cost_usd FROM agent_executions').all()).toEqual([
      { id: 'exec_1', status: 'success', tokens_output: 7, cost_usd: 0.001 },
    ]);
    db.close();
  });

  it('refuses a database written by a newer caxton instead of corrupting it', () => {
    const path = tmpDb();
    openSqliteStore(path).close();
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openSqliteStore(path)).toThrow(/schema version 999 is newer/);
  });

  it('says which file it could not open', () => {
    const dir = tempDir('cx-db-');
    expect(() => openSqliteStore(dir)).toThrow(new RegExp(`cannot open database ${dir}`));
  });
});
