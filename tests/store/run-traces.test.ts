/**
 * Run traces on every backend (migration 13): a step carrying a trace writes it in the same
 * transaction as its execution row (a failing row leaves no trace), a later final step replaces it,
 * steps without one write none, and `history.trace` gives it with the execution's user.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';

const exec = (over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  id: 'exec_t',
  agent_name: 'a',
  agent_source: 'system',
  user_id: 'local',
  input: 'hi',
  duration_ms: 1,
  status: 'success',
  created_at: Date.now(),
  ...over,
});
const trace = (finish: string) =>
  JSON.stringify({ execution_id: 'exec_t', steps: [{ kind: 'end', status: 'success', finish_reason: finish, duration_ms: 1 }] });

for (const backend of storeBackends()) {
  describe.skipIf(backend.skip)(`run traces: ${backendTitle(backend)}`, { timeout: backendTimeout(backend) }, () => {
    it('stores a trace with its final step, all or nothing, and reads it back with the execution user', async () => {
      const location = await backend.create();
      const store = await backend.open(location);
      const history = store.tenants.history;
      await store.executions.commitStep({ conversationId: '', messages: [], execution: exec({ status: 'error', error_message: 'interrupted' }) });
      expect(await history.trace('exec_t')).toBeUndefined();

      await expect(
        store.executions.commitStep({ conversationId: '', messages: [], execution: exec({ status: 'bogus' as 'error' }), trace: trace('stop') }),
      ).rejects.toThrow(/check constraint/i);
      expect(await history.trace('exec_t')).toBeUndefined();

      await store.executions.commitStepBatched({ conversationId: '', messages: [], execution: exec(), trace: trace('stop') });
      expect(await history.trace('exec_t')).toEqual({ user_id: 'local', trace: trace('stop') });
      await store.executions.commitStep({ conversationId: '', messages: [], execution: exec(), trace: trace('length') });
      expect(JSON.parse((await history.trace('exec_t'))!.trace).steps[0].finish_reason).toBe('length');
      expect(Number((await backend.query(location, 'SELECT COUNT(*) AS n FROM run_traces'))[0]!.n)).toBe(1);
      expect(await history.trace('exec_none')).toBeUndefined();
      await store.close();
    });
  });
}
