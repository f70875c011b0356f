/**
 * PostgreSQL execution log and step committer (SPEC §7: a run's messages and execution row are
 * written step by step). `commitStep` writes one RunStep as ONE statement (`S.step`): one round trip,
 * atomic by itself, no BEGIN/COMMIT. `commitStepBatched` does the same: with a pool, concurrent steps
 * commit in parallel on separate connections, which measured faster than grouping the steps of one
 * event-loop turn into one transaction (docs/architecture.md, "PostgreSQL store"). The execution row
 * is an upsert by id. A step that pauses its run for approval writes its pending row with it, in one transaction.
 */
import { DomainError } from '../../domain/errors.js';
import { conversationGone } from '../errors.js';
import type { ExecutionStore, RunStep } from '../types.js';
import { EXECUTION_COLUMNS, executionParams } from '../rows.js';
import { insertApproval } from './approvals.js';
import type { Db } from './client.js';

/** The execution store plus `close()`: refuses new steps and waits for the ones in flight. */
export interface StepCommitter extends ExecutionStore {
  close(): Promise<void>;
}

const UPSERT_EXECUTION = `INSERT INTO agent_executions (${EXECUTION_COLUMNS.join(', ')})
  VALUES (${EXECUTION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${EXECUTION_COLUMNS.slice(1)
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ')}`;

/** The step's own parameters, numbered after the execution row's. */
const P = EXECUTION_COLUMNS.length;
const [CONV, AGENT, OWNER, NOW, ROLES, CONTENTS, CALLS, CALL_IDS, TRACE] = Array.from({ length: 9 }, (_, i) => `$${P + i + 1}`);

const S = {
  upsertExecution: { name: 'cx_exec_upsert', text: UPSERT_EXECUTION },
  /**
   * One step in one statement. `conv` creates the conversation when AGENT is given; otherwise `touch`
   * bumps its `updated_at` when the step has messages. `msgs` inserts the messages from parallel
   * arrays in their order (`ORDER BY ordinality`, so `messages.id` follows it). `tr` upserts the run
   * trace when TRACE is given (the final step of a traced run). The main statement
   * upserts the execution row. Data-modifying CTEs always run to completion, each on a different
   * table; the foreign keys (messages -> conversations) are checked at the end of the statement, so
   * any failure (a missing conversation, a bad execution row) leaves nothing of the step.
   */
  step: {
    name: 'cx_step',
    text: `WITH conv AS (
        INSERT INTO conversations (id, agent_name, user_id, created_at, updated_at)
        SELECT ${CONV}::text, ${AGENT}::text, ${OWNER}::text, ${NOW}::bigint, ${NOW}::bigint WHERE ${AGENT}::text IS NOT NULL
        RETURNING id
      ), touch AS (
        UPDATE conversations SET updated_at = ${NOW}::bigint
        WHERE id = ${CONV}::text AND ${AGENT}::text IS NULL AND cardinality(${ROLES}::text[]) > 0
        RETURNING id
      ), msgs AS (
        INSERT INTO messages (conversation_id, role, content, tool_calls, tool_call_id, created_at)
        SELECT ${CONV}::text, m.role, m.content, m.tool_calls, m.tool_call_id, ${NOW}::bigint
        FROM unnest(${ROLES}::text[], ${CONTENTS}::text[], ${CALLS}::text[], ${CALL_IDS}::text[])
          WITH ORDINALITY AS m(role, content, tool_calls, tool_call_id, ordinality)
        ORDER BY m.ordinality
        RETURNING id
      ), tr AS (
        INSERT INTO run_traces (execution_id, trace, created_at)
        SELECT $1::text, ${TRACE}::text, ${NOW}::bigint WHERE ${TRACE}::text IS NOT NULL
        ON CONFLICT (execution_id) DO UPDATE SET trace = EXCLUDED.trace, created_at = EXCLUDED.created_at
        RETURNING execution_id
      )
      ${UPSERT_EXECUTION}`,
  },
};

/** The parameters of `S.step`: the execution row's, then the conversation, the time (ms), the message columns and the trace. */
function stepParams(step: RunStep): unknown[] {
  const ms = step.messages;
  const create = step.createConversation;
  return [
    ...executionParams(step.execution),
    step.conversationId,
    create?.agent_name ?? null,
    create?.user_id ?? null,
    Date.now(),
    ms.map((m) => m.role),
    ms.map((m) => m.content),
    ms.map((m) => (m.tool_calls ? JSON.stringify(m.tool_calls) : null)),
    ms.map((m) => m.tool_call_id ?? null),
    step.trace ?? null,
  ];
}

/**
 * Build the execution store over `db`; `close()` waits for the steps being written. A step whose
 * messages continue a deleted conversation rejects with DomainError NOT_FOUND (`conversationGone`).
 */
export function createStepCommitter(db: Db): StepCommitter {
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  const commitStep = (step: RunStep): Promise<void> => {
    if (closed) return Promise.reject(new DomainError('UNAVAILABLE', 'database is closed'));
    const approval = step.approval && insertApproval(step.approval);
    const write = approval
      ? db.tx(async (run) => {
          await run(S.step, stepParams(step));
          await run(approval.stmt, approval.params);
        })
      : db.run(S.step, stepParams(step));
    const p = write.then(
      () => undefined,
      (err: unknown) => {
        // Messages on a conversation that is gone break their foreign key (SQLSTATE 23503).
        throw (err as { code?: unknown }).code === '23503' && !step.createConversation ? conversationGone(step.conversationId) : err;
      },
    );
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
