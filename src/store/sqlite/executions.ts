/**
 * SQLite execution log and step committer (SPEC §7: a run's messages and execution row are written
 * step by step). `commitStep` writes one RunStep in one transaction; `commitStepBatched` group-commits
 * the steps queued in one event-loop turn. After `START_AFTER_COMMITS` step commits the background
 * WAL checkpointer of checkpointer.ts starts. Every statement is prepared once.
 */
import type Database from 'better-sqlite3';
import { DomainError } from '../../domain/errors.js';
import { conversationGone } from '../errors.js';
import { EXECUTION_COLUMNS, executionParams } from '../rows.js';
import type { ExecutionRecord, ExecutionStore, RunStep, StoredMessage } from '../types.js';
import { prepareInsertApproval } from './approvals.js';
import { startCheckpointer, START_AFTER_COMMITS, type Checkpointer } from './checkpointer.js';

/** The execution store plus a synchronous `close()`: writes the queued steps, then stops the checkpointer. */
export interface StepCommitter extends ExecutionStore {
  close(): void;
}

/**
 * Writing one step: create or touch the conversation, append messages, upsert the execution (and its
 * trace, when given), and write the pending approval of a step that pauses its run.
 * `writeStep` runs inside a transaction its caller opens; `commitStep` is it in one transaction.
 * Messages continuing a conversation that was deleted fail the step with `conversationGone`.
 */
function prepareCommitStep(db: Database.Database, afterCommit: () => void) {
  const s = {
    createConversation: db.prepare('INSERT INTO conversations (id, agent_name, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)'),
    touchConversation: db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?'),
    insertMessage: db.prepare('INSERT INTO messages (conversation_id, role, content, tool_calls, tool_call_id, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    insertExecution: db.prepare(
      `INSERT OR REPLACE INTO agent_executions (${EXECUTION_COLUMNS.join(', ')}) VALUES (${EXECUTION_COLUMNS.map(() => '?').join(', ')})`,
    ),
    insertTrace: db.prepare('INSERT OR REPLACE INTO run_traces (execution_id, trace, created_at) VALUES (?, ?, ?)'),
  };
  const insertMessages = (id: string, messages: readonly StoredMessage[], now: number) => {
    for (const m of messages) {
      s.insertMessage.run(id, m.role, m.content, m.tool_calls ? JSON.stringify(m.tool_calls) : null, m.tool_call_id ?? null, now);
    }
  };
  const record = (row: ExecutionRecord) => void s.insertExecution.run(...executionParams(row));
  const insertApproval = prepareInsertApproval(db);
  const writeStep = (step: RunStep) => {
    const now = Date.now();
    if (step.createConversation) {
      s.createConversation.run(step.conversationId, step.createConversation.agent_name, step.createConversation.user_id, now, now);
    } else if (step.messages.length && s.touchConversation.run(now, step.conversationId).changes === 0) {
      throw conversationGone(step.conversationId);
    }
    insertMessages(step.conversationId, step.messages, now);
    record(step.execution);
    if (step.trace !== undefined) s.insertTrace.run(step.execution.id, step.trace, now);
    if (step.approval) insertApproval(step.approval);
    afterCommit();
  };
  return { record, writeStep, commitStep: db.transaction(writeStep) };
}

interface Queued {
  step: RunStep;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: the steps queued in one event-loop turn are written by one transaction. When that
 * fails, nothing of it stays and the steps are written again, each as a nested transaction (a
 * SAVEPOINT in better-sqlite3), so a failing step's failure is its own.
 * @returns `flush`, which writes the given steps and settles each one's promise.
 */
function groupCommit(db: Database.Database, writeStep: (step: RunStep) => void, commitStep: (step: RunStep) => void) {
  const writeAll = db.transaction((items: Queued[]) => {
    for (const item of items) writeStep(item.step);
  });
  const commitEach = db.transaction((items: Queued[]) =>
    items.map((item) => {
      try {
        commitStep(item.step);
        return undefined;
      } catch (err) {
        return err ?? new Error('commit failed');
      }
    }),
  );
  const oneByOne = (items: Queued[]) => {
    let outcomes: unknown[];
    try {
      outcomes = commitEach(items);
    } catch (err) {
      for (const item of items) item.reject(err); // the COMMIT failed: nothing of the batch was written
      return;
    }
    items.forEach((item, i) => (outcomes[i] === undefined ? item.resolve() : item.reject(outcomes[i])));
  };
  return (items: Queued[]) => {
    if (items.length === 0) return;
    try {
      writeAll(items);
    } catch (err) {
      if (items.length === 1) items[0]!.reject(err);
      else oneByOne(items);
      return;
    }
    for (const item of items) item.resolve();
  };
}

/** Build the execution store over the open, migrated database at `file`. */
export function createStepCommitter(db: Database.Database, file: string): StepCommitter {
  let closed = false;
  let checkpointer: Checkpointer | undefined;
  let commits = 0;
  const { record, writeStep, commitStep } = prepareCommitStep(db, () => {
    if (++commits === START_AFTER_COMMITS && !closed) checkpointer = startCheckpointer(db, file);
  });
  const commitQueued = groupCommit(db, writeStep, commitStep);
  let queue: Queued[] = [];
  const flush = () => {
    const items = queue;
    queue = [];
    commitQueued(items);
  };
  return {
    record: async (row) => record(row),
    commitStep: async (step) => commitStep(step),
    commitStepBatched(step) {
      return new Promise<void>((resolve, reject) => {
        if (closed) return reject(new DomainError('UNAVAILABLE', 'database is closed'));
        if (queue.length === 0) setImmediate(flush);
        queue.push({ step, resolve, reject });
      });
    },
    close() {
      flush();
      closed = true;
      checkpointer?.stop();
    },
  };
}
