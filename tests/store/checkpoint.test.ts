/**
 * WAL checkpoints off the event loop (src/store/sqlite/checkpointer.ts) on real SQLite files: the
 * log is copied back into the database file by the background worker, and a store that started one
 * still has every committed step after close and reopen.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { START_AFTER_COMMITS, startCheckpointer } from '../../src/store/sqlite/checkpointer.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import type { Store } from '../../src/store/types.js';
import { executionById } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

async function commitRuns(store: Store, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await store.executions.commitStep({
      conversationId: `conv_${i}`,
      createConversation: { agent_name: 'a', user_id: 'local' },
      messages: [
        { role: 'user', content: `message ${i} `.repeat(20) },
        { role: 'assistant', content: `reply ${i} `.repeat(20) },
      ],
      execution: {
        id: `exec_${i}`,
        agent_name: 'a',
        agent_source: 'system',
        user_id: 'local',
        conversation_id: `conv_${i}`,
        input: `message ${i}`,
        output: `reply ${i}`,
        duration_ms: 1,
        status: 'success',
        created_at: Date.now(),
      },
    });
  }
}

describe('background WAL checkpoints', () => {
  it('copies the log into the database file while no commit checkpoints', async () => {
    const file = join(tempDir('cx-ckpt-'), 'raw.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0'); // this connection never checkpoints by itself
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const before = statSync(file).size;
    const checkpointer = startCheckpointer(db, file);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(500));
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 50_000), { timeout: 10_000, interval: 50 });
    checkpointer.stop();
    db.close();
  });

  it('keeps every committed step of a store that started it, after close and reopen', async () => {
    const file = join(tempDir('cx-ckpt-'), 'ares.db');
    const store = openSqliteStore(file);
    const count = START_AFTER_COMMITS + 100;
    await commitRuns(store, 0, count);
    await store.close();

    const again = openSqliteStore(file);
    expect(await executionById(again, `exec_${count - 1}`)).toMatchObject({ status: 'success', output: `reply ${count - 1}` });
    expect(await again.conversations.messages(`conv_${count - 1}`)).toHaveLength(2);
    await again.close();
  });
});
