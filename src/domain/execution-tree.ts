/**
 * One request's runs as a tree (`GET /api/executions/:id`, `caxton run show ID`): each execution
 * with its sub-agent runs (rows whose `parent_execution_id` is its id), and totals rolled up over
 * the subtree. Tokens are counts, cost USD, durations ms.
 */
import type { RoutingDecision } from './routing.js';

/** The fields of an execution row the tree shows. */
export interface ExecutionNodeRow {
  id: string;
  agent_name: string;
  status: string;
  finish_reason?: string;
  tokens_input?: number;
  tokens_output?: number;
  cost_usd?: number;
  duration_ms: number;
  created_at: number;
  tool_calls?: unknown[];
  routing?: RoutingDecision;
  parent_execution_id?: string;
  root_execution_id?: string;
  error_message?: string;
}

/** An execution with its children and the totals of its subtree (its own figures stay on the row). */
export type ExecutionNode<R extends ExecutionNodeRow = ExecutionNodeRow> = R & {
  children: ExecutionNode<R>[];
  totals: { tokens_input: number; tokens_output: number; cost_usd: number };
};

/** The subtree of `rows` (one request's runs, any order) under `id`; undefined when `id` is not among them. */
export function executionTree<R extends ExecutionNodeRow>(rows: readonly R[], id: string): ExecutionNode<R> | undefined {
  const byParent = new Map<string, R[]>();
  for (const r of rows) if (r.parent_execution_id) byParent.set(r.parent_execution_id, [...(byParent.get(r.parent_execution_id) ?? []), r]);
  const build = (row: R): ExecutionNode<R> => {
    const children = (byParent.get(row.id) ?? []).sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id)).map(build);
    const totals = { tokens_input: row.tokens_input ?? 0, tokens_output: row.tokens_output ?? 0, cost_usd: row.cost_usd ?? 0 };
    for (const c of children) {
      totals.tokens_input += c.totals.tokens_input;
      totals.tokens_output += c.totals.tokens_output;
      totals.cost_usd += c.totals.cost_usd;
    }
    return { ...row, children, totals };
  };
  const root = rows.find((r) => r.id === id);
  return root && build(root);
}
