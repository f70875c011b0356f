/**
 * Sub-agents as tools (DIR-12 orchestrator; Caxton STORY-006 capability routing): an agent's
 * `agents[]` entries are offered to the model as tools, `agent__NAME` (the agent's description) and
 * `capability__TAG` (the agents offering TAG listed), each with one string parameter `input`. A call
 * runs the sub-agent as a child run through the same runtime: its own execution row (with
 * `parent_execution_id`, `root_execution_id` and, when routed, the routing decision), its own tools
 * and model, under the same user (only agents that user can see are reached, through
 * `SubAgentDirectory`); its final reply is the tool result and its tokens and cost roll up into the
 * parent's `done` event (the parent's row keeps its own figures).
 *
 * Never silent: a child that fails gives the parent an error result with the reason; a delegation to
 * an agent already on the chain is refused naming the chain (`loop: a -> b -> a`); a chain deeper
 * than `[runtime] max_delegation_depth`, or more than `[runtime] max_runs_per_request` runs under one
 * request, is refused with a stated error. The child runs on the parent's tool signal, so cancelling
 * the parent (client gone, shutdown, deadline) cancels its children. Without `parallel_subagents`
 * the sub-agent calls of one run go one at a time.
 */
import { isDomainError } from '../domain/errors.js';
import type { RoutingDecision } from '../domain/routing.js';
import type { ToolSpec } from '../llm/types.js';
import type { RunEvent } from './events.js';
import type { RunRecord } from './run-record.js';
import type { DelegationLink, RunRequest, RuntimeLimits, SubAgentDirectory, SubAgentTarget } from './types.js';

const AGENT_PREFIX = 'agent__';
const CAPABILITY_PREFIX = 'capability__';
const CAPABILITY_ENTRY = 'capability:';

/** One sub-agent call's outcome as a tool result (content and error flag); undefined: `name` is no delegation of this agent. */
export type Delegate = (name: string, args: unknown, signal: AbortSignal) => Promise<{ content: string; isError: boolean } | undefined>;

/** True when tool `name` is a sub-agent tool (`agent__…` or `capability__…`). */
export function isDelegationTool(name: string): boolean {
  return name.startsWith(AGENT_PREFIX) || name.startsWith(CAPABILITY_PREFIX);
}

const INPUT_SCHEMA = {
  type: 'object',
  properties: { input: { type: 'string', description: 'What to ask the agent: the task and everything it needs to know' } },
  required: ['input'],
  additionalProperties: false,
};

/** The tools `req.agent.agents[]` offers its user: visible agents and capabilities (entries the user cannot reach are left out). */
export async function subAgentTools(directory: SubAgentDirectory | undefined, req: Pick<RunRequest, 'agent' | 'userId'>): Promise<ToolSpec[]> {
  if (!directory || !req.agent.agents?.length) return [];
  const specs = await Promise.all(
    req.agent.agents.map(async (entry): Promise<ToolSpec | undefined> => {
      if (entry.startsWith(CAPABILITY_ENTRY)) {
        const tag = entry.slice(CAPABILITY_ENTRY.length);
        const names = await directory.offering(tag, req.userId);
        return {
          name: CAPABILITY_PREFIX + tag,
          description: `Hand a task to an agent with capability "${tag}" (${names.join(', ') || 'none available'}); returns its answer.`,
          parameters: INPUT_SCHEMA,
        };
      }
      const target = await directory.agent(entry, req.userId);
      if (!target) return undefined;
      return {
        name: AGENT_PREFIX + entry,
        description: target.agent.description ?? `Hand a task to agent ${entry}; returns its answer.`,
        parameters: INPUT_SCHEMA,
      };
    }),
  );
  return specs.filter((s): s is ToolSpec => s !== undefined);
}

/** What the runtime gives delegation: how to run a child and the request limits. */
export interface DelegationDeps {
  run: (req: RunRequest) => AsyncIterable<RunEvent>;
  directory?: SubAgentDirectory;
  limits: Pick<RuntimeLimits, 'maxDelegationDepth' | 'maxRunsPerRequest'>;
}

const failed = (content: string) => ({ content: `error: ${content}`, isError: true });

/** One-at-a-time gate of a run's sub-agent calls (when the agent has no `parallel_subagents`). */
function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** The `Delegate` of one run (`req`, recorded by `rec`); undefined when its agent lists no sub-agents. */
export function delegateFor(deps: DelegationDeps, req: RunRequest, rec: RunRecord): Delegate | undefined {
  const { directory } = deps;
  const entries = req.agent.agents;
  if (!directory || !entries?.length) return undefined;
  const link: DelegationLink = {
    parentId: rec.id,
    rootId: req.delegation?.rootId ?? rec.id,
    chain: req.delegation?.chain ?? [req.agent.name],
    runs: req.delegation?.runs ?? { count: 1 },
  };
  const gate = req.agent.parallel_subagents ? <T>(fn: () => Promise<T>) => fn() : serial();
  return async (name, args, signal) => {
    const entry = name.startsWith(AGENT_PREFIX)
      ? name.slice(AGENT_PREFIX.length)
      : name.startsWith(CAPABILITY_PREFIX)
        ? CAPABILITY_ENTRY + name.slice(CAPABILITY_PREFIX.length)
        : undefined;
    if (entry === undefined || !entries.includes(entry)) return undefined;
    const input = (args as { input?: unknown } | null)?.input;
    if (typeof input !== 'string' || input.trim() === '') return failed(`${name} needs a non-empty string argument \`input\``);
    return gate(() => delegate(deps, directory, req, rec, link, entry, input, signal));
  };
}

/** Resolve the entry's agent (routing a capability), check the request's limits, run the child and turn its end into a tool result. */
async function delegate(
  deps: DelegationDeps,
  directory: SubAgentDirectory,
  req: RunRequest,
  rec: RunRecord,
  link: DelegationLink,
  entry: string,
  input: string,
  signal: AbortSignal,
): Promise<{ content: string; isError: boolean }> {
  let target: SubAgentTarget | undefined;
  let routing: RoutingDecision | undefined;
  if (entry.startsWith(CAPABILITY_ENTRY)) {
    try {
      ({ target, decision: routing } = await directory.route(entry.slice(CAPABILITY_ENTRY.length), req.userId));
    } catch (err) {
      if (isDomainError(err)) return failed(err.message);
      throw err;
    }
  } else {
    target = await directory.agent(entry, req.userId);
    if (!target) return failed(`agent ${entry} not found`);
  }
  const name = target.agent.name;
  const chain = [...link.chain, name];
  if (link.chain.includes(name)) return failed(`loop: ${chain.join(' -> ')}`);
  const { maxDelegationDepth, maxRunsPerRequest } = deps.limits;
  if (chain.length - 1 > maxDelegationDepth) {
    return failed(`delegation too deep: ${chain.join(' -> ')} is ${chain.length - 1} hops, past [runtime] max_delegation_depth = ${maxDelegationDepth}`);
  }
  if (link.runs.count >= maxRunsPerRequest)
    return failed(`this request reached [runtime] max_runs_per_request = ${maxRunsPerRequest} runs; agent ${name} was not run`);
  link.runs.count++;
  const child: RunRequest = {
    agent: target.agent,
    source: target.source,
    model: target.model,
    message: input,
    userId: req.userId,
    history: [],
    agentKey: target.agentKey,
    ...(target.agentRow ? { agentRow: target.agentRow } : {}),
    ...(req.apiKeyId ? { apiKeyId: req.apiKeyId } : {}),
    ...(req.log ? { log: req.log } : {}),
    signal,
    delegation: { ...link, chain },
    ...(routing ? { routing } : {}),
  };
  return childResult(deps.run(child), name, rec);
}

/** The child's reply as the tool result (its usage and cost added to `rec`'s children), or an error result with its reason. */
async function childResult(events: AsyncIterable<RunEvent>, name: string, rec: RunRecord): Promise<{ content: string; isError: boolean }> {
  for await (const ev of events) {
    if (ev.type === 'error') return failed(`agent ${name} failed: ${ev.message}`);
    if (ev.type !== 'done') continue;
    rec.addChild(ev.usage, ev.cost_usd);
    if (ev.error) return failed(`agent ${name} ended (${ev.finish_reason}): ${ev.error}`);
    return { content: ev.reply, isError: false };
  }
  return failed(`agent ${name} ended without a result`);
}
