/**
 * Prompt and request assembly (SPEC §7): the provider serving the model, the tools an agent is offered now
 * (with the client's own tools, src/runtime/client-tools.ts), its `{{memory_context}}`, the
 * conversation history trimmed to the model's context budget (src/runtime/context.ts; with the
 * agent's `memory.summarize`, what is trimmed is replaced by a summary, src/runtime/summary.ts) and
 * the chat request: system prompt, the caller's system turns, the summary, history, then the rendered
 * `user_prompt_template` (or the client's tool results, which continue a run without new user
 * input), the tools, and the model's sampling settings with what the request sets over them for
 * this run (src/runtime/overrides.ts).
 */
import type { Model } from '../domain/entities.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import { memoryScopeKey } from '../domain/memory-scope.js';
import type { ChatMessage, ChatRequest, Provider, Sampling, ToolSpec } from '../llm/types.js';
import type { StoredMessage } from '../store/types.js';
import type { UnavailableTool } from '../tools/types.js';
import { checkToolResults, offeredWithClientTools } from './client-tools.js';
import { contextWindow, estimateTokens, messageTokens, trimHistory } from './context.js';
import { recallItems } from './memory-recall.js';
import { replyTokens, samplingWith, toolFields } from './overrides.js';
import { buildMessages, renderUserPrompt } from './prompt.js';
import { memoryLines } from './semantic-memory.js';
import { subAgentTools } from './sub-agents.js';
import type { Summarize } from './summary.js';
import type { FirstTurn, RunRequest, RuntimeDeps } from './types.js';

/** Entries put into `{{memory_context}}`, newest first. */
const MEMORY_CONTEXT_ENTRIES = 20;

/** What precedes recalled memory items appended to the system prompt (a template without `{{memory_context}}`). */
const RECALL_HEADING = 'Relevant memories (stored earlier; use them when they help):';

/** Tokens kept free for the reply when the model sets no `max_tokens`. */
const DEFAULT_REPLY_TOKENS = 1024;

const SAMPLING_FIELDS = ['temperature', 'max_tokens', 'top_p', 'frequency_penalty', 'presence_penalty'] as const;
const samplings = new WeakMap<Model, Sampling>();

/** The sampling settings `model` sets (fields it leaves out are absent), built once per model object. */
export function samplingOf(model: Model): Sampling {
  let sampling = samplings.get(model);
  if (!sampling) {
    const built: Record<string, number> = {};
    for (const field of SAMPLING_FIELDS) if (model[field] !== undefined) built[field] = model[field];
    samplings.set(model, (sampling = built));
  }
  return sampling;
}

/** The provider serving `model`; one ares.toml does not define is the agent's configuration fault (CONFIG_INVALID). */
export function providerFor(providers: RuntimeDeps['providers'], model: Model): Promise<Provider> {
  return providers.get(model.provider).catch((err: unknown) => {
    if (isDomainError(err) && err.code === 'NOT_FOUND') {
      throw new DomainError('CONFIG_INVALID', `model ${model.name} uses provider ${model.provider || '(none)'}, which ares.toml does not define`);
    }
    throw err;
  });
}

/** Assembles first turns for one runtime; tools that cannot be offered are logged once per change, not per run. */
export function createRequestAssembler(deps: Pick<RuntimeDeps, 'toolbox' | 'memory' | 'items' | 'contextWindow' | 'log' | 'subAgents'>) {
  const windowOf = deps.contextWindow ?? contextWindow;
  const warned = new Map<string, string>();

  function warn(agentName: string, unavailable: UnavailableTool[]): void {
    const key = unavailable.map((u) => `${u.name}:${u.reason}`).join('|');
    if (warned.get(agentName) === key) return;
    warned.set(agentName, key);
    deps.log?.warn({ component: 'runtime', agent: agentName, unavailable }, `agent ${agentName}: ${unavailable.length} tool(s) unavailable`);
  }

  /** Tools the agent may use now (its sub-agents' after its own); the unavailable ones are told to the operator, not the model. */
  async function offeredTools(req: RunRequest, signal: AbortSignal): Promise<ToolSpec[] | undefined> {
    if (!deps.subAgents || !req.agent.agents?.length) return ownTools(req, signal);
    const [own, delegations] = await Promise.all([ownTools(req, signal), subAgentTools(deps.subAgents, req)]);
    return delegations.length ? [...(own ?? []), ...delegations] : own;
  }

  /** The agent's own tools (the Toolbox's). */
  async function ownTools(req: RunRequest, signal: AbortSignal): Promise<ToolSpec[] | undefined> {
    const { toolbox } = deps;
    const { agent } = req;
    if (!toolbox || (agent.tools.length === 0 && !agent.memory?.enabled)) return undefined;
    await toolbox.prepare(agent, req.userId, signal);
    const offered = await toolbox.forAgent(agent, req.userId);
    if (offered.unavailable.length) warn(agent.name, offered.unavailable);
    return offered.tools.length ? offered.tools.map((t) => t.spec) : undefined;
  }

  /**
   * `{{memory_context}}`: the memory items recalled for the message (`memory.recall`), then the
   * newest key-value entries of the agent's memory scope as `key: value` lines (`memory.enabled` and
   * a template using the variable). `recalled` is set when items were recalled.
   */
  async function memoryContext(req: RunRequest, scopeId: string): Promise<{ text: string; recalled: boolean }> {
    const { agent } = req;
    const recalled = memoryLines(await recallItems(deps.items, req, scopeId, req.log ?? deps.log));
    if (!deps.memory || !agent.memory?.enabled || !agent.user_prompt_template?.includes('memory_context')) return { text: recalled, recalled: recalled !== '' };
    const subject = { agentName: agent.name, userId: req.userId, conversationId: scopeId, ...(req.agentRow ? { agentRow: req.agentRow } : {}) };
    const entries = (await deps.memory.search(memoryScopeKey(agent.memory.scope, subject), '', MEMORY_CONTEXT_ENTRIES)).map((e) => `${e.key}: ${e.value}`);
    return { text: [recalled, ...entries].filter(Boolean).join('\n'), recalled: recalled !== '' };
  }

  /**
   * The messages of the first turn and how many older history messages were trimmed: `stored` is the stored conversation's history (or empty); a
   * caller's history (`req.history`) replaces it, its system turns (and `req.instructions`, first)
   * kept untrimmed after the agent's own system prompt, which stays first; `first` ends them. When
   * the history does not fit and `summarize` is given, the trimmed messages' summary follows the system turns.
   */
  async function messagesFor(
    req: RunRequest,
    stored: readonly StoredMessage[],
    first: readonly StoredMessage[],
    specs: ToolSpec[] | undefined,
    summarize: Summarize | undefined,
  ): Promise<{ messages: ChatMessage[]; trimmed: number }> {
    const { agent, model } = req;
    const callerSystem = [
      ...(req.instructions ? [{ role: 'system' as const, content: req.instructions }] : []),
      ...(req.history ? req.history.filter((m) => m.role === 'system') : []),
    ];
    const all = req.history ? req.history.filter((m) => m.role !== 'system') : stored;
    let history = all;
    if (history.length) {
      let fixed = estimateTokens(agent.system_prompt) + (specs ? estimateTokens(JSON.stringify(specs)) : 0);
      for (const m of [...callerSystem, ...first]) fixed += messageTokens(m);
      const budget = Math.max(0, windowOf(model) - (replyTokens(model, req.overrides) ?? DEFAULT_REPLY_TOKENS) - fixed);
      history = trimHistory(all, budget);
      const folded = history !== all && summarize ? await summarize(all, budget) : undefined;
      if (folded) {
        history = folded.kept;
        callerSystem.push(folded.summary);
      }
    }
    const messages = buildMessages(agent, [...history, ...first]);
    if (callerSystem.length) messages.splice(1, 0, ...callerSystem.map((m): ChatMessage => ({ role: 'system', content: m.content })));
    return { messages, trimmed: all.length - history.length };
  }

  /**
   * Build the first turn of `req`; `scopeId` is what conversation-scoped memory sees; `summarize`
   * stands in for the history trimmed away (src/runtime/summary.ts `summarizerFor`).
   * @throws DomainError BAD_REQUEST for a client tool clashing with the agent's, tool results that
   *   do not answer the pending tool calls (src/runtime/client-tools.ts), or a `tool_choice` naming a
   *   tool not offered (src/runtime/overrides.ts).
   */
  return async function firstTurn(
    req: RunRequest,
    stored: () => Promise<readonly StoredMessage[]>,
    scopeId: string,
    signal: AbortSignal,
    summarize?: Summarize,
  ): Promise<FirstTurn> {
    const specs = offeredWithClientTools(await offeredTools(req, signal), req);
    const history = req.history ?? (await stored());
    checkToolResults(history, req.toolResults);
    // Tool results continue a run without new user input: nothing to recall for.
    const memory = req.toolResults ? undefined : await memoryContext(req, scopeId);
    const first: StoredMessage[] = req.toolResults
      ? [...req.toolResults]
      : [{ role: 'user', content: renderUserPrompt(req.agent, req.message, memory?.text ?? '') }];
    const { messages, trimmed } = await messagesFor(req, req.history ? [] : history, first, specs, summarize);
    if (memory?.recalled && !req.agent.user_prompt_template?.includes('memory_context')) {
      messages[0] = { role: 'system', content: `${req.agent.system_prompt}\n\n${RECALL_HEADING}\n${memory.text}` };
    }
    const request: ChatRequest = {
      model: req.model.model,
      messages,
      ...toolFields(specs, req.agent.parallel_tools, req.overrides),
      sampling: samplingWith(samplingOf(req.model), req.overrides),
    };
    const o = req.overrides;
    if (o?.response_format) request.response_format = o.response_format;
    if (o?.user !== undefined) request.user = o.user;
    return { request, first, historyTrimmed: trimmed, ...(memory ? { memoryContext: memory.text } : {}) };
  };
}
