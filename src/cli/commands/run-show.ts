/**
 * `caxton run show ID` (one tree per request): an execution and the sub-agent runs it started, from
 * `GET /api/executions/ID`, as an indented tree: agent, status, finish reason, tokens (own, and the
 * subtree's total when it has children), cost (USD), duration (ms), the routing decision and each
 * tool call. `--json` prints the tree as the API answers it.
 */
import { requestJson } from '../../client/http.js';
import type { ExecutionNode } from '../../domain/execution-tree.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

type Node = ExecutionNode & { error_message?: string; tool_calls?: { name: string; is_error: boolean }[] };

/** The lines of `node` and its children at `depth` (two spaces per level). */
export function treeLines(node: Node, depth = 0): string[] {
  const pad = '  '.repeat(depth);
  const own = `${node.tokens_input ?? 0} in / ${node.tokens_output ?? 0} out`;
  const total = node.children.length
    ? ` (with sub-agents ${node.totals.tokens_input} in / ${node.totals.tokens_output} out, $${node.totals.cost_usd.toFixed(6)})`
    : '';
  const lines = [
    `${pad}${node.agent_name} ${node.id} ${node.status}${node.finish_reason ? ` (${node.finish_reason})` : ''} · ${own} tokens${total} · $${(node.cost_usd ?? 0).toFixed(6)} · ${node.duration_ms} ms`,
  ];
  if (node.routing)
    lines.push(
      `${pad}  routed: ${node.routing.capability} -> ${node.routing.chosen} (of ${node.routing.candidates.map((c) => `${c.agent} ${c.state}`).join(', ')})`,
    );
  if (node.error_message) lines.push(`${pad}  error: ${node.error_message}`);
  for (const call of node.tool_calls ?? []) lines.push(`${pad}  tool ${call.name}${call.is_error ? ' (error)' : ''}`);
  for (const child of node.children) lines.push(...treeLines(child as Node, depth + 1));
  return lines;
}

/** Print the tree. Exit 1 (NOT_FOUND) when you have no such execution, 3 when the daemon is not running. */
export async function run(args: string[], opts: GlobalOptions): Promise<number> {
  const tree = await requestJson<Node>(homePaths(opts).socket, `/api/executions/${encodeURIComponent(args[0]!)}`);
  if (opts.json) printJson(tree);
  else process.stdout.write(`${treeLines(tree).join('\n')}\n`);
  return 0;
}
