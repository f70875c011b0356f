/**
 * One request's runs on every backend (migration 10): rows keep `parent_execution_id`,
 * `root_execution_id` and the routing decision (JSON); `executionTree(id, user)` reads the root and
 * every run under it, whichever of them `id` names, and nothing for another user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionTree } from '../../src/domain/execution-tree.js';
import type { ExecutionRecord, Store } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends, type StoreBackend } from '../helpers/store-backends.js';

for (const backend of storeBackends()) describe.skipIf(backend.skip)(backendTitle(backend), { timeout: backendTimeout(backend) }, () => suite(backend));

function suite(backend: StoreBackend): void {
  let store: Store;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    store = await backend.open(await backend.create());
    alice = (await store.tenants.users.create({ email: 'alice@example.com' })).id;
    bob = (await store.tenants.users.create({ email: 'bob@example.com' })).id;
  });
  afterAll(async () => await store?.close());

  const row = (id: string, over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
    id,
    agent_name: id,
    agent_source: 'system',
    user_id: alice,
    input: 'hi',
    tokens_input: 10,
    tokens_output: 2,
    cost_usd: 0.5,
    duration_ms: 100,
    status: 'success',
    created_at: 1000,
    ...over,
  });
  const routing = { capability: 'billing', candidates: [{ agent: 'invoice', state: 'running', in_flight: 0 }], chosen: 'invoice' };

  it('reads the whole request from any of its runs, with routing parsed, and builds the subtree', async () => {
    await store.executions.record(row('boss'));
    await store.executions.record(row('helper', { parent_execution_id: 'boss', root_execution_id: 'boss', created_at: 1001, routing }));
    await store.executions.record(row('leaf', { parent_execution_id: 'helper', root_execution_id: 'boss', created_at: 1002 }));
    await store.executions.record(row('other'));
    const all = await store.tenants.history.executionTree('leaf', alice);
    expect(all.map((r) => r.id)).toEqual(['boss', 'helper', 'leaf']);
    expect(all[1]).toMatchObject({ parent_execution_id: 'boss', root_execution_id: 'boss', routing });
    const tree = executionTree(all, 'boss')!;
    expect(tree.totals).toEqual({ tokens_input: 30, tokens_output: 6, cost_usd: 1.5 });
    expect(tree.children[0]!.children[0]!.id).toBe('leaf');
    expect(executionTree(all, 'helper')!.totals.tokens_input).toBe(20);
  });

  it("finds nothing of another user's request", async () => {
    expect(await store.tenants.history.executionTree('boss', bob)).toEqual([]);
    expect(await store.tenants.history.executionTree('nothing', alice)).toEqual([]);
  });
}
