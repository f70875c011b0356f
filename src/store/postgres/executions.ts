/**
 * PostgreSQL execution log and step committer (SPEC §7: a run's messages and execution row are
 * written step by step). `commitStep` writes one RunStep in one transaction. `commitStepBatched`
 * does the same: with a pool, concurrent steps commit in parallel on separate connections, which
 * measured faster than grouping the steps of one event-loop turn into one transaction with a
 * savepoint per step (docs/architecture.md, "PostgreSQL store"). The execution row is an upsert by id.
 */
import { DomainError } from '../../domain/errors.js';
import { conversationGone } from '../errors.js';
import type { ExecutionRecord, ExecutionStore, RunStep } from '../types.js';
import type { Db, Run } from './client.js';

/** The execution store plus `close()`: refuses new steps and waits for the ones in flight. */
export interface StepCommitter extends ExecutionStore {
  close(): Promise<void>;
}

const EXECUTION_COLUMNS = [
  'id',
  'agent_name',
  'agent_source',
  'user_id',
  'conversation_id',
  'input',
  'output',
  'tool_calls',
  'tokens_input',
  'tokens_output',
  'cost_usd',
  'duration_ms',
  'status',
  'error_message',
  'created_at',
  'finish_reason',
  'model',
  'iterations',
  'agent_id',
];

const S = {
  createConversation: {
    name: 'cx_conv_create',
    text: 'INSERT INTO conversations (id, agent_name, user_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)',
  },
  touchConversation: { name: 'cx_conv_touch', text: 'UPDATE conversations SET updated_at = $1 WHERE id = $2' },
  insertMessage: {
    name: 'cx_msg_insert',
    text: 'INSERT INTO messages (conversation_id, role, content, tool_calls, tool_call_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
  },
  upsertExecution: {
    name: 'cx_exec_upsert',
    text: `INSERT INTO agent_executions (${EXECUTION_COLUMNS.join(', ')}) VALUES (${EXECUTION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
      ON CONFLICT (id) DO UPDATE SET ${EXECUTION_COLUMNS.slice(1)
        .map((c) => `${c} = EXCLUDED.${c}`)
        .join(', ')}`,
  },
};

/** Positional parameters in the order of EXECUTION_COLUMNS. */
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
  row.agent_id ?? null,
];

/**
 * Write one step with `run` (inside a transaction its caller opened): conversation, messages, execution row.
 * @throws DomainError NOT_FOUND (`conversationGone`) when messages continue a conversation that was deleted.
 */
async function writeStep(run: Run, step: RunStep): Promise<void> {
  const now = Date.now();
  if (step.createConversation) {
    await run(S.createConversation, [step.conversationId, step.createConversation.agent_name, step.createConversation.user_id, now]);
  } else if (step.messages.length && (await run(S.touchConversation, [now, step.conversationId])).rowCount === 0) {
    throw conversationGone(step.conversationId);
  }
  for (const m of step.messages) {
    await run(S.insertMessage, [step.conversationId, m.role, m.content, m.tool_calls ? JSON.stringify(m.tool_calls) : null, m.tool_call_id ?? null, now]);
  }
  await run(S.upsertExecution, executionParams(step.execution));
}

/** Build the execution store over `db`; `close()` waits for the steps being written. */
export function createStepCommitter(db: Db): StepCommitter {
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  const commitStep = (step: RunStep): Promise<void> => {
    if (closed) return Promise.reject(new DomainError('UNAVAILABLE', 'database is closed'));
    const p = db.tx((run) => writeStep(run, step));
    inFlight.add(p);
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    return p;
  };
  return {
    record: async (row) => void (await db.run(S.upsertExecution, executionParams(row))),
    commitStep,
    commitStepBatched: commitStep,
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}
