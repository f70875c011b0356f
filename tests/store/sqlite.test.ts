/**
 * The store contract on every backend (SQLite file; PostgreSQL database): health, reopen, execution
 * rows and their CHECK, memory search. Then what only SQLite has: WAL, file errors, its migrations.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { tempDir } from '../helpers/tmp.js';
import { seedConversation } from '../helpers/store.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';

const tmpDb = () => join(tempDir('cx-db-'), 'data', 'ares.db');

const BACKENDS = storeBackends();

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(backendTitle(backend), { timeout: backendTimeout(backend) }, () => {
    it('opens at the latest schema and reports it healthy; closed, it reports not ok', async () => {
      const store = await backend.open(await backend.create());
      expect(await store.health()).toMatchObject({ ok: true, backend: backend.name, schema_version: MIGRATIONS.at(-1)!.version });
      await store.close();
      expect((await store.health()).ok).toBe(false);
      await store.close(); // idempotent
    });

    it('keeps conversations and their messages across reopen, oldest first', async () => {
      const location = await backend.create();
      let store = await backend.open(location);
      const conv = {
        id: await seedConversation(store, 'router', 'local', [
          { role: 'user', content: 'one' },
          { role: 'assistant', content: 'two' },
        ]),
      };
      await store.close();
      store = await backend.open(location);
      expect(await store.conversations.get(conv.id, 'local')).toMatchObject({ id: conv.id, agent_name: 'router' });
      expect((await store.conversations.messages(conv.id)).map((m) => m.content)).toEqual(['one', 'two']);
      // Another user's conversation does not exist for you.
      expect(await store.conversations.get(conv.id, 'someone-else')).toBeUndefined();
      await store.close();
    });

    it('records executions and enforces the status values', async () => {
      const location = await backend.create();
      const store = await backend.open(location);
      const base = { agent_name: 'router', agent_source: 'system', user_id: 'local', input: 'hi', duration_ms: 3, created_at: Date.now() };
      await store.executions.record({ ...base, id: 'exec_1', status: 'success', tokens_input: 5, tokens_output: 7, cost_usd: 0.001 });
      await expect(store.executions.record({ ...base, id: 'exec_2', status: 'bogus' as 'success' })).rejects.toThrow(/check constraint/i);
      await store.close();
      expect(await backend.query(location, 'SELECT id, status, tokens_output, cost_usd FROM agent_executions')).toEqual([
        { id: 'exec_1', status: 'success', tokens_output: 7, cost_usd: 0.001 },
      ]);
    });

    it('memory search matches keys and values literally and case-insensitively, newest first', async () => {
      const store = await backend.open(await backend.create());
      await store.memory.set('s', 'Plan', 'Ship IT', 'local');
      await store.memory.set('s', 'pct', '100%_done', 'local');
      await store.memory.set('other', 'plan', 'not this scope');
      expect((await store.memory.search('s', 'ship it', 10)).map((e) => e.key)).toEqual(['Plan']);
      expect((await store.memory.search('s', 'PLAN', 10)).map((e) => e.key)).toEqual(['Plan']);
      expect((await store.memory.search('s', '%_', 10)).map((e) => e.key)).toEqual(['pct']);
      expect(await store.memory.search('s', '_', 10)).toHaveLength(1);
      await store.memory.set('s', 'Plan', 'changed', 'local');
      expect((await store.memory.search('s', '', 10)).map((e) => e.key)).toEqual(['Plan', 'pct']);
      expect(await store.memory.search('s', '', 1)).toHaveLength(1);
      await store.close();
    });
  });
}

describe('SQLite store', () => {
  it('creates the file in WAL mode', async () => {
    const path = tmpDb();
    const store = openSqliteStore(path);
    expect(await store.health()).toMatchObject({ ok: true, path, journal_mode: 'wal' });
    await store.close();
  });

  it('refuses a database written by a newer caxton instead of corrupting it', async () => {
    const path = tmpDb();
    await openSqliteStore(path).close();
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

describe('migration 7: agent-scope memory of user-tier agents keyed by their row', () => {
  it("copies an owner's notes to their agent's row key and keeps the system agent's", async () => {
    const path = join(tempDir('cx-db-'), 'ares.db');
    const raw = new Database(path);
    for (const m of MIGRATIONS.filter((x) => x.version < 7)) {
      if (m.sql) raw.exec(m.sql);
      m.apply?.(raw);
    }
    raw.pragma(`user_version = ${Math.max(...MIGRATIONS.filter((x) => x.version < 7).map((x) => x.version))}`);
    raw.prepare("INSERT INTO users (id, email, created_at) VALUES ('u1', 'u1@example.com', 0)").run();
    raw
      .prepare(
        "INSERT INTO user_agents (id, user_id, name, system_prompt, config, created_at, updated_at) VALUES ('agent_1', 'u1', 'helper', 'hi', '{}', 0, 0)",
      )
      .run();
    const note = raw.prepare('INSERT INTO memory (scope, key, value, user_id, updated_at) VALUES (?, ?, ?, ?, 0)');
    note.run('agent:helper:u1', 'plan', 'ship it', 'u1');
    note.run('agent:helper:local', 'plan', 'local plan', 'local');
    raw.close();

    const store = openSqliteStore(path);
    expect((await store.memory.get('user-agent:agent_1:u1', 'plan'))?.value).toBe('ship it');
    expect((await store.memory.get('agent:helper:u1', 'plan'))?.value).toBe('ship it');
    // Another user's notes with the system `helper` are not given to u1's agent.
    expect(await store.memory.search('user-agent:agent_1:local', '', 10)).toEqual([]);
    await store.close();
  });
});
