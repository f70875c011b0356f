/**
 * A run's detail on the Runs page (issue requirement "a run's detail with its tool calls, tokens,
 * cost and its tree"): the execution tree of `GET /api/executions/:id` (the run and the sub-agent
 * runs it started, nested), each node with its agent, status and finish reason, tokens, cost (USD)
 * and duration (ms). Choosing a node shows its detail: input, output, tool calls, the routing
 * decision that picked its agent (capability routing) and, when the run recorded one, its step
 * trace (`GET /api/executions/:id/trace`; 404 when none). The tree is nested lists of buttons, so
 * Tab and Enter reach every node; the chosen node is marked `aria-current`. The tree is re-read when
 * a run starts or ends, so sub-agent runs in flight show up as they finish.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, send } from '../api';
import { runsVersion } from '../state';

/** One routing candidate as the routing decision recorded it (state, runs in flight, why it was not eligible). */
interface Candidate {
  agent: string;
  state: string;
  in_flight: number;
  reason?: string;
}

/** One node of `GET /api/executions/:id`: the execution row, its sub-agent runs, and `totals` over its subtree. */
export interface RunNode {
  id: string;
  agent_name: string;
  status: string;
  finish_reason?: string;
  input?: string;
  output?: string;
  error_message?: string;
  tool_calls?: unknown[];
  tokens_input?: number;
  tokens_output?: number;
  cost_usd?: number;
  duration_ms: number;
  created_at: number;
  routing?: { capability: string; candidates: Candidate[]; chosen: string };
  root_execution_id?: string;
  children: RunNode[];
  totals: { tokens_input: number; tokens_output: number; cost_usd: number };
}

/** One step of a stored run trace (src/domain/run-trace.ts); only the fields the summary line reads are named. */
interface TraceStep {
  kind: string;
  [field: string]: unknown;
}

/** The node `id` under `node` (itself included), if any. */
function find(node: RunNode, id: string): RunNode | undefined {
  if (node.id === id) return node;
  for (const c of node.children) {
    const hit = find(c, id);
    if (hit) return hit;
  }
  return undefined;
}

const tokensOf = (n: { tokens_input?: number; tokens_output?: number }) => (n.tokens_input ?? 0) + (n.tokens_output ?? 0);

/** One node and, nested under it, the runs it started. */
function TreeNode({ node, chosen, choose }: { node: RunNode; chosen: string; choose: (id: string) => void }) {
  return (
    <li data-node={node.id}>
      <button type="button" class="link" aria-current={node.id === chosen ? 'true' : undefined} onClick={() => choose(node.id)}>
        {node.agent_name}
      </button>{' '}
      <span class="node-figures">
        {node.status} ({node.finish_reason ?? '—'}) · {tokensOf(node)} tokens · ${(node.cost_usd ?? 0).toFixed(6)} · {node.duration_ms} ms
      </span>
      {node.children.length > 0 && (
        <ul>
          {node.children.map((c) => (
            <TreeNode key={c.id} node={c} chosen={chosen} choose={choose} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** "capability billing: chose invoice among invoice (running, 0 in flight), finance (stopped: not eligible)". */
function routingText(r: NonNullable<RunNode['routing']>): string {
  const seen = r.candidates.map((c) => `${c.agent} (${c.state}, ${c.in_flight} in flight${c.reason ? `: ${c.reason}` : ''})`);
  return `capability ${r.capability}: chose ${r.chosen} among ${seen.join(', ')}`;
}

/** A trace step in one line. */
function stepText(s: TraceStep): string {
  switch (s.kind) {
    case 'prompt':
      return `prompt: ${String(s.user_prompt)}`;
    case 'messages':
      return `messages: ${(s.messages as unknown[]).length} sent, ${String(s.history_trimmed)} trimmed`;
    case 'model_call':
      return `model call ${String(s.call)} (${String(s.model)}): ${String(s.input_tokens)} in / ${String(s.output_tokens)} out tokens, ${String(s.duration_ms)} ms, ${String(s.finish)}`;
    case 'tool_call':
      return `tool ${String(s.name)}(${String(s.arguments)}) → ${String(s.result)}${s.is_error ? ' (error)' : ''}, ${String(s.duration_ms)} ms`;
    case 'end':
      return `end: ${String(s.status)} (${String(s.finish_reason)})${s.message ? `: ${String(s.message)}` : ''}`;
    default:
      return s.kind;
  }
}

/** The step trace of execution `id` when it recorded one; a note saying how to record one otherwise. */
function Trace({ id }: { id: string }) {
  const [trace, setTrace] = useState<{ steps: TraceStep[]; omitted_steps?: number } | null | undefined>(undefined);
  useEffect(() => {
    setTrace(undefined);
    void send(`/api/executions/${encodeURIComponent(id)}/trace`)
      .then(async (res) => setTrace(res.ok ? ((await res.json()) as { steps: TraceStep[] }) : null))
      .catch(() => setTrace(null));
  }, [id]);
  if (trace === undefined) return null;
  if (trace === null) return <p data-testid="no-trace">No trace recorded (ask for one with `trace: true`, --trace or [runtime] trace = true).</p>;
  return (
    <details data-testid="trace">
      <summary>
        Trace: {trace.steps.length} steps{trace.omitted_steps ? ` (${trace.omitted_steps} left out)` : ''}
      </summary>
      <ol>
        {trace.steps.map((s, i) => (
          <li key={i}>{stepText(s)}</li>
        ))}
      </ol>
    </details>
  );
}

/** The chosen node's own figures, texts, routing decision, tool calls and trace. */
function NodeDetail({ node }: { node: RunNode }) {
  return (
    <section aria-labelledby="node-title" data-testid="node-detail">
      <h3 id="node-title">
        {node.agent_name} · {node.id}
      </h3>
      <dl>
        <dt>Status</dt>
        <dd>
          {node.status} ({node.finish_reason ?? '—'})
        </dd>
        <dt>Tokens</dt>
        <dd>
          {node.tokens_input ?? 0} in / {node.tokens_output ?? 0} out
          {node.children.length > 0 && ` (with sub-agents: ${tokensOf(node.totals)})`}
        </dd>
        <dt>Cost</dt>
        <dd>
          ${(node.cost_usd ?? 0).toFixed(6)}
          {node.children.length > 0 && ` (with sub-agents: $${node.totals.cost_usd.toFixed(6)})`}
        </dd>
        <dt>Duration</dt>
        <dd>{node.duration_ms} ms</dd>
        {node.routing && (
          <>
            <dt>Routing</dt>
            <dd data-testid="routing">{routingText(node.routing)}</dd>
          </>
        )}
        <dt>Input</dt>
        <dd>{node.input ?? '—'}</dd>
        <dt>Output</dt>
        <dd data-testid="node-output">{node.output ?? node.error_message ?? '—'}</dd>
      </dl>
      <h4>Tool calls</h4>
      {node.tool_calls?.length ? <pre>{JSON.stringify(node.tool_calls, null, 2)}</pre> : <p>None.</p>}
      <Trace id={node.id} />
    </section>
  );
}

/**
 * The detail of execution `id` with its tree; `open` shows another execution (the request's root),
 * `onClose` hides the detail.
 */
export function RunDetail({ id, open, onClose }: { id: string; open: (id: string) => void; onClose: () => void }) {
  const [tree, setTree] = useState<RunNode | undefined>(undefined);
  const [chosen, setChosen] = useState(id);
  const [error, setError] = useState('');
  const version = runsVersion.value;
  useEffect(() => setChosen(id), [id]);
  useEffect(() => {
    void api<RunNode>(`/api/executions/${encodeURIComponent(id)}`)
      .then((t) => {
        setTree(t);
        setError('');
      })
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
  }, [id, version]);
  const node = tree && (find(tree, chosen) ?? tree);
  return (
    <section class="detail" aria-labelledby="run-title">
      <h2 id="run-title">
        Run {id}
        {tree ? ` · ${tree.agent_name}` : ''}
      </h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {tree?.root_execution_id && (
        <button type="button" onClick={() => open(tree.root_execution_id!)}>
          Show the whole request
        </button>
      )}
      {tree && (
        <ul class="run-tree" aria-label="Execution tree">
          <TreeNode node={tree} chosen={node!.id} choose={setChosen} />
        </ul>
      )}
      {node && <NodeDetail node={node} />}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </section>
  );
}
