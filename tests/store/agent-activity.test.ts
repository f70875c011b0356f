/**
 * One agent's activity over a window (STORY-009 per-agent health: tokens and cost today, last
 * activity, last error) on every backend: the sums read only that agent's rows of the window — a
 * system agent by name, a user agent by its row id (`agent_id`), one user's runs when asked; the
 * interim row of a run in flight is not a failure; and the database size is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord, Store } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends, type StoreBackend } from '../helpers/store-backends.js';

for (const backend of storeBackends()) describe.skipIf(backend.skip)(backendTitle(backend), { timeout: backendTimeout(backend) }, () => suite(backend));

const DAY = Date.UTC(2026, 10, 30);

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

  let n = 0;
  const row = (over: Partial<ExecutionRecord>): ExecutionRecord => ({
    id: `exec_${backend.name}_${++n}`,
    agent_name: 'helper',
    agent_source: 'system',
    user_id: alice,
    input: 'hi',
    tokens_input: 10,
    tokens_output: 2,
    cost_usd: 0.5,
    duration_ms: 100,
    status: 'success',
    finish_reason: 'stop',
    created_at: DAY + n * 1000,
    ...over,
  });

  describe('agent activity', () => {
    it('sums one agent in the window: system by name, user-tier by row id, optionally one user', async () => {
      await store.executions.record(row({ created_at: DAY - 1 })); // yesterday
      await store.executions.record(row({}));
      await store.executions.record(row({ user_id: bob, tokens_input: 5, cost_usd: 0.25 }));
      await store.executions.record(row({ agent_source: 'user', agent_id: 'ua_1', tokens_input: 1000 })); // alice's own helper
      await store.executions.record(row({ agent_name: 'other' }));

      const system = await store.tenants.history.agentActivity({ name: 'helper', since: DAY });
      expect(system).toMatchObject({ runs: 2, tokens_input: 15, tokens_output: 4, cost_usd: 0.75, last_error: null });
      expect(system.last_activity_at).toBeGreaterThan(DAY);
      expect(await store.tenants.history.agentActivity({ name: 'helper', since: DAY, userId: bob })).toMatchObject({ runs: 1, tokens_input: 5 });
      expect(await store.tenants.history.agentActivity({ name: 'helper', since: DAY, rowId: 'ua_1' })).toMatchObject({ runs: 1, tokens_input: 1000 });
      expect(await store.tenants.history.agentActivity({ name: 'nobody', since: DAY })).toEqual({
        runs: 0,
        tokens_input: 0,
        tokens_output: 0,
        cost_usd: 0,
        last_activity_at: null,
        last_error: null,
      });
    });

    it('reports the latest failed run, not the interim row of a run in flight', async () => {
      const failed = row({ agent_name: 'flaky', status: 'timeout', finish_reason: 'timeout', error_message: 'provider openai: no response within 5000 ms' });
      await store.executions.record(failed);
      await store.executions.record(
        row({ agent_name: 'flaky', status: 'error', finish_reason: 'stop', error_message: 'interrupted: the daemon stopped before the run finished' }),
      );
      const activity = await store.tenants.history.agentActivity({ name: 'flaky', since: DAY });
      expect(activity.runs).toBe(2);
      expect(activity.last_error).toEqual({
        execution_id: failed.id,
        status: 'timeout',
        finish_reason: 'timeout',
        message: 'provider openai: no response within 5000 ms',
        at: failed.created_at + failed.duration_ms,
      });
    });

    it('reports the database size', async () => {
      const size = await store.size();
      expect(size.backend).toBe(backend.name);
      expect(size.database_bytes).toBeGreaterThan(0);
    });
  });
}
