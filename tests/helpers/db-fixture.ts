/**
 * A SQLite database filled through the store API the daemon uses (every table of the schema gets
 * rows), and a dump of every table, in key order, to compare two databases row by row and value by value.
 */
import Database from 'better-sqlite3';
import { AgentSchema, McpServerSchema, ToolSchema } from '../../src/domain/entities.js';
import { TABLES } from '../../src/store/copy.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { seedConversation } from './store.js';

/**
 * Fill `file` (created and migrated) with two users and everything they own: API keys, refresh tokens,
 * a revoked session, conversations with messages, a summary and executions (with a fractional cost), a shared
 * conversation with participants and authored messages, memory,
 * memory items (one with a float32 vector, one without),
 * a public agent used and rated by the other user, a tool (fractional timeout), an MCP server and a
 * run paused for approval;
 * `messages` and `memory` get more rows than one copy batch.
 */
export async function populateDatabase(file: string): Promise<void> {
  const store = openSqliteStore(file);
  const { users, entities } = store.tenants;
  const ann = await users.create({ email: 'ann@example.com', name: 'Ann "A" Ünal', isAdmin: true });
  const bob = await users.create({ email: 'bob@example.com', handle: 'bobby' });
  await users.createApiKey({ userId: ann.id, name: 'laptop', prefix: 'cx_ann1', keyHash: 'hash-ann-1' });
  await users.createApiKey({ userId: bob.id, prefix: 'cx_bob1', keyHash: 'hash-bob-1' });
  await users.addRefreshToken(ann.id, 'refresh-hash-1', Date.now() + 60_000, 'session-1');
  await users.revokeSession('session-0', bob.id, Date.now(), Date.now() + 60_000);
  const conv = await seedConversation(store, 'router', ann.id, [
    { role: 'user', content: 'héllo, "quoted" \n newline' },
    { role: 'assistant', content: 'hi ☃' },
  ]);
  await seedConversation(store, 'router', bob.id, [{ role: 'user', content: 'second' }]);
  await store.conversations.saveSummary(conv, { text: 'Ann said héllo; "quoted".', covers: 2, created_at: 1_700_000_000_050 });
  const shared = { id: 'conv-shared', agent_name: 'router', user_id: ann.id, created_at: 1_700_000_000_000, updated_at: 1_700_000_000_000 };
  await store.conversations.createShared(shared, ['router', 'helper']);
  await store.conversations.appendShared(
    shared.id,
    [
      { role: 'user', content: 'both of you?', author: 'user', to: 'all' },
      { role: 'assistant', content: 'yes', author: 'router', to: 'all' },
    ],
    1_700_000_000_500,
  );
  await store.executions.record({
    id: 'exec-cost',
    agent_name: 'router',
    agent_source: 'system',
    user_id: ann.id,
    conversation_id: conv,
    input: 'x',
    output: 'y',
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'calculator', arguments: '{"a":1}' } }],
    tokens_input: 12,
    tokens_output: 34,
    cost_usd: 0.000123456789,
    duration_ms: 42,
    status: 'cancelled',
    error_message: 'client went away',
    created_at: 1_700_000_000_123,
    finish_reason: 'cancelled',
    model: 'fast',
    iterations: 2,
  });
  await store.executions.commitStep({
    conversationId: conv,
    messages: [],
    execution: {
      id: 'exec-traced',
      agent_name: 'router',
      agent_source: 'system',
      user_id: ann.id,
      input: 'x',
      status: 'success',
      duration_ms: 3,
      created_at: 1_700_000_000_200,
    },
    trace: JSON.stringify({ steps: [{ kind: 'end', status: 'success', finish_reason: 'stop', duration_ms: 3 }] }),
  });
  await store.memory.set(`user:${ann.id}`, 'colour', '{"fav":"blue"}', ann.id);
  await store.memory.set('global', 'motd', 'hello');
  const item = {
    user_id: ann.id,
    scope: 'user' as const,
    scope_key: `user:${ann.id}`,
    metadata: { tag: 'colours' },
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_001,
  };
  await store.memoryItems.insert({ ...item, text: 'Ann likes blue' }, { embedder: 'builtin:use-lite-512', data: new Float32Array([0.6, 0.8]) });
  await store.memoryItems.insert({ ...item, text: 'Not embedded yet' });
  // More rows than one copy batch, in a table keyed by id and in one with a composite key.
  const many = Array.from({ length: 1100 }, (_, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), content: `turn ${i}` }));
  await seedConversation(store, 'router', bob.id, many);
  for (let i = 0; i < 600; i++) await store.memory.set(`agent:router:${i % 7}`, `k${i}`, `v${i}`);
  const agent = await entities.insert('agents', ann.id, AgentSchema.parse({ name: 'helper', system_prompt: 'Be helpful.', model: 'fast' }), true);
  await entities.insert('tools', ann.id, ToolSchema.parse({ name: 'weather', type: 'http', timeout_secs: 2.5, config: { url: 'https://example.com' } }), false);
  await entities.insert('mcps', bob.id, McpServerSchema.parse({ name: 'files', url: 'https://mcp.example.com/mcp' }), true);
  await entities.countUse(agent.id, bob.id, '2026-01-02');
  await entities.rate(bob.id, agent.id, 4);
  const counter = { scope: 'user' as const, owner: ann.id, period: 'day' as const, periodKey: '2026-01-02', limitUsd: 5 };
  await store.budgets.reserve([counter], { usd: 0.000123456789, tokens: 46 });
  await store.budgets.setUserLimits(bob.id, { usd_per_day: 2.5, tokens_per_month: 100_000 });
  const paused = { id: 'exec-paused', agent_name: 'router', agent_source: 'system', user_id: ann.id, conversation_id: conv, input: 'x', duration_ms: 7 };
  await store.executions.commitStep({
    conversationId: conv,
    messages: [],
    execution: { ...paused, status: 'awaiting_approval', finish_reason: 'awaiting_approval', created_at: 1_700_000_000_200 },
    approval: {
      execution_id: paused.id,
      user_id: ann.id,
      agent_ref: 'router',
      conversation_id: conv,
      calls: [{ id: 'call_2', name: 'http_fetch', arguments: '{"url":"https://example.com/ü"}' }],
      progress: { input: 'x', output: '', tokens_input: 3, tokens_output: 1, iterations: 1, tool_calls: [], created_at: 1_700_000_000_200, duration_ms: 7 },
      state: 'pending',
      created_at: 1_700_000_000_300,
      expires_at: 1_700_003_600_300,
    },
  });
  await store.close();
}

/** Every row of every schema table of the SQLite file `file`, as objects, in primary-key order. */
export function dumpDatabase(file: string): Record<string, Record<string, unknown>[]> {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(
      TABLES.map((t) => [t.name, db.prepare(`SELECT * FROM ${t.name} ORDER BY ${t.key.join(', ')}`).all() as Record<string, unknown>[]]),
    );
  } finally {
    db.close();
  }
}
