/**
 * SQLite approval store (`tool_approvals`, migration 11; src/store/types.ts `ApprovalStore`). A
 * transition is one `UPDATE ... WHERE state = ?  RETURNING *`: SQLite serializes writers, so of two
 * decisions on one row exactly one finds it in the state it expects. Every statement is prepared once.
 */
import type Database from 'better-sqlite3';
import { APPROVAL_COLUMNS, approvalParams, decisionParams, toApproval, type ApprovalRow } from '../rows.js';
import type { ApprovalStore } from '../types.js';
import type { PendingApproval } from '../../domain/approvals.js';

/** The statement that writes a pending row (run by the step committer inside the pausing step's transaction). */
export function prepareInsertApproval(db: Database.Database): (a: PendingApproval) => void {
  const insert = db.prepare(`INSERT INTO tool_approvals (${APPROVAL_COLUMNS.join(', ')}) VALUES (${APPROVAL_COLUMNS.map(() => '?').join(', ')})`);
  return (a) => void insert.run(...approvalParams(a));
}

/** Build the approval store over the open, migrated database. */
export function createApprovalStore(db: Database.Database): ApprovalStore {
  const s = {
    get: db.prepare('SELECT * FROM tool_approvals WHERE execution_id = ?'),
    pendingOf: db.prepare("SELECT * FROM tool_approvals WHERE state = 'pending' AND user_id = ? ORDER BY created_at, execution_id LIMIT ?"),
    pendingAll: db.prepare("SELECT * FROM tool_approvals WHERE state = 'pending' ORDER BY created_at, execution_id LIMIT ?"),
    expired: db.prepare("SELECT * FROM tool_approvals WHERE state = 'pending' AND expires_at <= ? ORDER BY expires_at, execution_id LIMIT ?"),
    transition: db.prepare('UPDATE tool_approvals SET state = ?, decided_by = ?, decided_at = ?, reason = ? WHERE execution_id = ? AND state = ? RETURNING *'),
  };
  const rows = (r: unknown[]) => (r as ApprovalRow[]).map(toApproval);
  return {
    get: async (id) => {
      const r = s.get.get(id) as ApprovalRow | undefined;
      return r && toApproval(r);
    },
    pending: async ({ userId, limit }) => rows(userId === undefined ? s.pendingAll.all(limit) : s.pendingOf.all(userId, limit)),
    expired: async (now, limit) => rows(s.expired.all(now, limit)),
    transition: async (id, from, decision) => {
      const r = s.transition.get(...decisionParams(decision), id, from) as ApprovalRow | undefined;
      return r && toApproval(r);
    },
  };
}
