/**
 * The closed set of a run's `status` (SPEC §7: how a run ended), stored in `agent_executions.status`
 * and accepted by `GET /api/executions?status=`: `success`, `error`, `timeout`, `cancelled`, and
 * `awaiting_approval` for a run paused until a person approves or rejects its held tool calls
 * (src/runtime/approvals.ts); its finish reasons are in finish-reasons.ts.
 */
export const RUN_STATUSES = ['success', 'error', 'timeout', 'cancelled', 'awaiting_approval'] as const;

/** One run status. */
export type RunStatus = (typeof RUN_STATUSES)[number];
