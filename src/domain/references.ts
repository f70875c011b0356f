/**
 * An agent's references (SPEC §3 E_REFERENCE; DIR-12 `create_agent`): its model (or `[defaults] model`)
 * must exist, and every `tools[]` entry must name, by bare name, a tool that exists or `server.tool` /
 * `server.*` of an MCP server that exists; `OWNER/NAME` references are refused. One checker for config
 * files (src/config/load.ts, over the loaded tree) and user agents saved through the API
 * (src/catalog/catalog.ts, over what the saving user sees), so both give the same messages; only the
 * hints, which say where to define what is missing, depend on the caller.
 */
import type { Agent } from './entities.js';
import { didYouMean } from './suggest.js';
import { parseToolRef } from './tool-refs.js';

/** Names that exist, as a Map's or Set's `has`/`keys` give them (`keys` is read only to suggest a name). */
export interface NameSet {
  has(name: string): boolean;
  keys(): Iterable<string>;
}

/** What an agent may refer to where it is checked, and where a missing entity can be defined. */
export interface ReferenceScope {
  models: NameSet;
  /** Tools by bare name, builtins included. */
  tools: NameSet;
  /** MCP servers by name. */
  servers: NameSet;
  /** Agents an agent's `agents[]` may name (bare names); absent: sub-agent names are not checked. */
  agents?: NameSet;
  /** The hint for a missing entity when no known name is close (`qualified`: an `OWNER/NAME` tool reference). */
  hint(kind: 'model' | 'tool' | 'server' | 'agent' | 'qualified'): string;
}

/** One broken reference: the field path in the agent (`['model']`, `['tools', 2]`), the message and a hint. */
export interface ReferenceProblem {
  path: [string] | [string, number];
  message: string;
  hint: string;
}

/** `did you mean X?` when a known name is close to `name`, else the scope's hint for `kind`. */
function hintFor(scope: ReferenceScope, kind: 'model' | 'tool' | 'server' | 'agent', name: string, known: NameSet): string {
  const guess = didYouMean(name, known.keys());
  return guess ? `did you mean \`${guess}\`?` : scope.hint(kind);
}

/** The problem with tool reference `ref` at `tools[i]` of agent `name`, or undefined when it resolves. */
function toolProblem(name: string, ref: string, i: number, scope: ReferenceScope): ReferenceProblem | undefined {
  const path: [string, number] = ['tools', i];
  if (ref.includes('/')) return { path, message: `agent \`${name}\` uses \`${ref}\`, which names another user's entity`, hint: scope.hint('qualified') };
  const { server, tool } = parseToolRef(ref);
  if (server !== undefined) {
    if (scope.servers.has(server)) return undefined;
    return { path, message: `agent \`${name}\` uses MCP server \`${server}\`, which is not defined`, hint: hintFor(scope, 'server', server, scope.servers) };
  }
  if (scope.tools.has(tool)) return undefined;
  return { path, message: `agent \`${name}\` uses tool \`${tool}\`, which is not defined`, hint: hintFor(scope, 'tool', tool, scope.tools) };
}

/** The problem with sub-agent entry `ref` at `agents[i]` of agent `name` (itself, or an agent `scope` lacks), or undefined. */
function subAgentProblem(name: string, ref: string, i: number, scope: ReferenceScope): ReferenceProblem | undefined {
  const path: [string, number] = ['agents', i];
  if (ref.startsWith('capability:') || !scope.agents) return undefined;
  if (ref === name)
    return { path, message: `agent \`${name}\` lists itself as a sub-agent`, hint: 'an agent cannot delegate to itself; remove it from agents[]' };
  if (scope.agents.has(ref)) return undefined;
  return { path, message: `agent \`${name}\` delegates to agent \`${ref}\`, which is not defined`, hint: hintFor(scope, 'agent', ref, scope.agents) };
}

/**
 * Every broken reference of `agent` in `scope`, model first, then tools, then sub-agents in order;
 * empty when all resolve. `defaultModel` stands in for an agent that names no model.
 */
export function checkAgentReferences(
  agent: Pick<Agent, 'name' | 'model' | 'tools'> & { agents?: readonly string[] },
  defaultModel: string,
  scope: ReferenceScope,
): ReferenceProblem[] {
  const out: ReferenceProblem[] = [];
  const model = agent.model ?? defaultModel;
  if (!scope.models.has(model)) {
    out.push({
      path: ['model'],
      message: `agent \`${agent.name}\` uses model \`${model}\`, which is not defined`,
      hint: hintFor(scope, 'model', model, scope.models),
    });
  }
  agent.tools.forEach((ref, i) => {
    const problem = toolProblem(agent.name, ref, i, scope);
    if (problem) out.push(problem);
  });
  agent.agents?.forEach((ref, i) => {
    const problem = subAgentProblem(agent.name, ref, i, scope);
    if (problem) out.push(problem);
  });
  return out;
}
