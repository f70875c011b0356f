/**
 * PostgreSQL approval store (`tool_approvals`, migration 11; src/store/types.ts `ApprovalStore`). A
 * transition is one `UPDATE ... WHERE state = $6 RETURNING *`: under READ COMMITTED a second
 * concurrent update of the row waits for the first, re-reads it and no longer matches, so of two
 * decisions (from one node or several) exactly one wins.
 */
import type { PendingApproval } from '../../domain/approvals.js';
import { APPROVAL_COLUMNS, approvalParams, decisionParams, toApproval, type ApprovalRow } from '../rows.js';
import type { ApprovalStore } from '../types.js';
import type { Db } from './client.js';

const S = {
  insert: {
    name: 'cx_approval_insert',
    text: `INSERT INTO tool_approvals (${APPROVAL_COLUMNS.join(', ')}) VALUES (${APPROVAL_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
  },
  get: { name: 'cx_approval_get', text: 'SELECT * FROM tool_approvals WHERE execution_id = $1' },
  pendingOf: {
    name: 'cx_approval_pending_of',
    text: "SELECT * FROM tool_approvals WHERE state = 'pending' AND user_id = $1 ORDER BY created_at, execution_id LIMIT $2",
  },
  pendingAll: { name: 'cx_approval_pending_all', text: "SELECT * FROM tool_approvals WHERE state = 'pending' ORDER BY created_at, execution_id LIMIT $1" },
  expired: {
    name: 'cx_approval_expired',
    text: "SELECT * FROM tool_approvals WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at, execution_id LIMIT $2",
  },
  transition: {
    name: 'cx_approval_transition',
    text: 'UPDATE tool_approvals SET state = $1, decided_by = $2, decided_at = $3, reason = $4 WHERE execution_id = $5 AND state = $6 RETURNING *',
  },
};

/** The statement and parameters that write a pending row (the step committer runs it in the pausing step's transaction). */
export const insertApproval = (a: PendingApproval) => ({ stmt: S.insert, params: approvalParams(a) });

/** Build the approval store over `db`. */
export function createApprovalStore(db: Db): ApprovalStore {
  const rows = async (p: Promise<{ rows: ApprovalRow[] }>) => (await p).rows.map(toApproval);
  return {
    get: async (id) => (await rows(db.run<ApprovalRow>(S.get, [id])))[0],
    pending: ({ userId, limit }) => rows(userId === undefined ? db.run<ApprovalRow>(S.pendingAll, [limit]) : db.run<ApprovalRow>(S.pendingOf, [userId, limit])),
    expired: (now, limit) => rows(db.run<ApprovalRow>(S.expired, [now, limit])),
    transition: async (id, from, decision) => (await rows(db.run<ApprovalRow>(S.transition, [...decisionParams(decision), id, from])))[0],
  };
}
