/**
 * Admission of one run (SPEC §7): its agent's lifecycle admits it, the request is checked (history
 * or a stored conversation, not both; the conversation exists, is the user's and is not a shared
 * one), and it takes one of its agent's concurrency slots, waiting in that agent's queue if needed.
 * A refusal is the run's only event; it leaves a `cancelled` or `error` row, except for the
 * caller's own mistakes (NOT_FOUND, BAD_REQUEST), which are no run and leave none.
 */
import { DomainError, isDomainError, type ErrorCode } from '../domain/errors.js';
import type { ConversationKind, Store } from '../store/types.js';
import type { AgentGate } from './agent-controls.js';
import type { RunEvent } from './events.js';
import type { Release } from './limiter.js';
import type { RunRecord } from './run-record.js';
import type { RunScope } from './runs-in-flight.js';
import type { RunRequest } from './types.js';

/** What admission reads and writes. */
export interface AdmissionDeps {
  gate: AgentGate;
  store: Pick<Store, 'conversations' | 'executions'>;
  scrub: (text: string) => string;
}

/**
 * The code and (scrubbed) message a failure is reported with: `CANCELLED` with the cancel reason
 * (else `cancelled`) when the run was cancelled; an unexpected error is INTERNAL, its message after `internalPrefix`.
 */
export function failureOf(
  err: unknown,
  scope: RunScope,
  scrub: (text: string) => string,
  cancelled: string,
  internalPrefix: string,
): { code: ErrorCode; message: string } {
  if (scope.signal.aborted) return { code: 'CANCELLED', message: scope.cancelMessage(cancelled) };
  if (isDomainError(err)) return { code: err.code, message: scrub(err.message) };
  return { code: 'INTERNAL', message: scrub(`${internalPrefix}${(err as Error)?.message ?? String(err)}`) };
}

/**
 * A run may continue conversation `id` of kind `kind`: it exists, is the user's, and is one agent's
 * chat. A shared conversation (STORY-032) is continued by posting to it, where its participants
 * answer and each message keeps its author; a plain run would store turns with no author or addressee.
 * @throws DomainError NOT_FOUND (absent or another user's), BAD_REQUEST naming `conversation_id` (shared).
 */
function checkConversation(id: string, kind: ConversationKind | undefined): void {
  if (!kind) throw new DomainError('NOT_FOUND', `conversation ${id} not found`);
  if (kind === 'shared') {
    const message = `conversation ${id} is a shared conversation: post to it with POST /api/conversations/${id}/messages`;
    throw new DomainError('BAD_REQUEST', message, [
      { field: 'conversation_id', message: 'a shared conversation', hint: `caxton conversation send ${id} --to AGENT "message"` },
    ]);
  }
}

/** Admit `req` under agent key `key`: the slot's release, or undefined after yielding the refusal. */
export async function* admit(
  deps: AdmissionDeps,
  req: RunRequest,
  rec: RunRecord,
  key: string,
  scope: RunScope,
): AsyncGenerator<RunEvent, Release | undefined> {
  const { gate, store } = deps;
  try {
    gate.admit(key);
    if (req.history !== undefined && req.conversationId !== undefined) {
      throw new DomainError('BAD_REQUEST', 'a run takes either earlier turns (history) or a stored conversation, not both');
    }
    if (req.conversationId !== undefined) {
      scope.hold(req.conversationId);
      checkConversation(req.conversationId, await store.conversations.kind(req.conversationId, req.userId));
    }
    return await gate.acquire(key, scope.signal);
  } catch (err) {
    const { code, message } = failureOf(err, scope, deps.scrub, 'run cancelled before it started', '');
    if (code !== 'NOT_FOUND' && code !== 'BAD_REQUEST') {
      rec.finishReason = code === 'CANCELLED' ? 'cancelled' : 'error';
      await store.executions.record(rec.row(code === 'CANCELLED' ? 'cancelled' : 'error', message));
    }
    rec.ended = true;
    yield rec.error(code, message);
    return undefined;
  }
}
