/**
 * Deciding on runs paused for approval (the approval gate, src/runtime/approvals.ts): approve or
 * reject a paused run's tool calls and resume it, list what waits, and reject what waited longer
 * than its agent's `approval_timeout_secs` (the sweeper).
 *
 * - Only the run's user, or the admin, may decide; anyone else is told there is no such run (NOT_FOUND).
 * - A decision is one atomic transition in the store (`ApprovalStore.transition`): of two decisions
 *   arriving together, on one node or several, one wins and resumes the run (its approved calls run
 *   once); the other gets CONFLICT naming the decision already taken.
 * - The resumed run is started like any run (src/api/run.ts `StartAgentRun`: the agent resolved
 *   again for the run's user, budgets, rate limits, slots, metrics and logs as for any run), with
 *   what the paused request set (`PendingApproval.request`): it is charged to the same API key and
 *   keeps its sampling, response_format and tool settings. When it
 *   cannot start (agent gone, stopped or busy) the decision is undone, so the request changes no
 *   data and can be repeated.
 * - A timed-out approval is rejected by `system` with the reason `no decision within N s
 *   (approval_timeout_secs)`, and its run resumed in the background.
 */
import { rejectionResult, type PendingApproval } from '../domain/approvals.js';
import { DomainError } from '../domain/errors.js';
import type { Log } from '../domain/log.js';
import type { ApprovalStore, StoredMessage, UserStore } from '../store/types.js';
import { resumedOverrides } from './openai-params.js';
import type { StartAgentRun, StartedRun } from './run.js';

/** Who decides: the request's user and whether it is the admin. */
export interface Decider {
  userId: string;
  isAdmin: boolean;
}

/** A decision as a request states it. */
export interface DecisionRequest {
  decision: 'approved' | 'rejected';
  reason?: string;
  /** The client's signal: aborting it cancels the resumed run. */
  signal?: AbortSignal;
  /** The request's logger. */
  log?: Log;
}

/** The approval service behind `/api/executions/{id}/approve|reject` and `/api/approvals`. */
export interface Approvals {
  /**
   * Decide on execution `id` and resume it. @returns the resumed run (its events, from `start`).
   * @throws DomainError NOT_FOUND (no paused run of that id the decider may see), CONFLICT (already
   *   decided), and whatever starting the run throws (its decision then undone).
   */
  decide(id: string, who: Decider, req: DecisionRequest): Promise<StartedRun>;
  /** Runs waiting for a decision, oldest first: the decider's, or everyone's for the admin with `all`. */
  pending(who: Decider, all: boolean): Promise<PendingApproval[]>;
  /**
   * Reject every approval expired at `now` (ms since epoch; default the service's clock) and resume
   * its run; resolves once those runs ended. On several nodes each expired approval is rejected by
   * one. @returns how many were rejected and resumed.
   */
  sweep(now?: number): Promise<number>;
}

/** What the service needs. `now`: clock in ms since epoch (default `Date.now`; injectable for tests). */
export interface ApprovalDeps {
  store: ApprovalStore;
  users: Pick<UserStore, 'byId'>;
  startRun: StartAgentRun;
  log: Log;
  now?: () => number;
}

/** Expired approvals rejected per sweep at most (the next sweep takes the rest). */
const SWEEP_BATCH = 100;

/** Paused runs listed at most. */
const PENDING_LIMIT = 500;

/** Build the approval service. */
export function createApprovals(deps: ApprovalDeps): Approvals {
  const now = deps.now ?? Date.now;

  /** Start the run `won` resumes; when it cannot start, put the approval back to pending and rethrow. */
  async function resume(won: PendingApproval, req: Omit<DecisionRequest, 'decision' | 'reason'>): Promise<StartedRun> {
    const kept = won.request;
    try {
      return await deps.startRun({
        name: won.agent_ref,
        userId: won.user_id,
        message: won.progress.input,
        ...(won.conversation_id ? { conversationId: won.conversation_id } : { history: (won.history ?? []) as StoredMessage[] }),
        resume: won,
        ...(kept?.api_key_id ? { apiKeyId: kept.api_key_id } : {}),
        ...(kept?.overrides ? { overrides: await resumedOverrides(kept.overrides) } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.log ? { log: req.log } : {}),
      });
    } catch (err) {
      await deps.store.transition(won.execution_id, won.state, 'pending');
      throw err;
    }
  }

  const alreadyDecided = (id: string, row: PendingApproval) =>
    new DomainError('CONFLICT', `execution ${id} was already ${row.state} by ${row.decided_by ?? 'someone'}`, [
      { field: 'id', message: `already ${row.state}`, hint: 'a paused run is decided once; see `caxton run pending` for what still waits' },
    ]);

  return {
    async decide(id, who, req) {
      const row = await deps.store.get(id);
      if (!row || (row.user_id !== who.userId && !who.isAdmin)) throw new DomainError('NOT_FOUND', `no run awaiting approval with id ${id}`);
      if (row.state !== 'pending') throw alreadyDecided(id, row);
      const handle = (await deps.users.byId(who.userId))?.handle ?? who.userId;
      const reason = req.reason?.trim();
      const won = await deps.store.transition(id, 'pending', { state: req.decision, decided_by: handle, at: now(), ...(reason ? { reason } : {}) });
      if (!won) throw alreadyDecided(id, (await deps.store.get(id)) ?? row);
      (req.log ?? deps.log).info(
        { execution_id: id, decision: req.decision, decided_by: handle, calls: won.calls.map((c) => c.name) },
        `tool calls ${req.decision}`,
      );
      return resume(won, req);
    },

    pending: (who, all) => deps.store.pending({ ...(all && who.isAdmin ? {} : { userId: who.userId }), limit: PENDING_LIMIT }),

    async sweep(at = now()) {
      let resumed = 0;
      for (const row of await deps.store.expired(at, SWEEP_BATCH)) {
        const secs = Math.round((row.expires_at - row.created_at) / 1000);
        const reason = `no decision within ${secs} s (approval_timeout_secs)`;
        const won = await deps.store.transition(row.execution_id, 'pending', { state: 'rejected', decided_by: 'system', at, reason });
        if (!won) continue; // another node (or a person) decided first
        deps.log.info({ execution_id: row.execution_id, result: rejectionResult('system', reason) }, 'tool calls rejected: approval timed out');
        try {
          const run = await resume(won, {});
          for await (const _ of run.events);
          resumed++;
        } catch (err) {
          deps.log.warn(
            { execution_id: row.execution_id, err: (err as Error).message },
            'a timed-out approval could not resume its run; trying again at the next sweep',
          );
        }
      }
      return resumed;
    },
  };
}

/**
 * Sweep `approvals` now and every `intervalMs` (a sweep still running is not overlapped). Failures
 * are logged. @returns a function that stops the sweeper.
 */
export function startApprovalSweeper(approvals: Approvals, intervalMs: number, log: Log): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    approvals
      .sweep()
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'approval sweep failed'))
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
