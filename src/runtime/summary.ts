/**
 * Conversation summaries (STORY-019: "when the history is trimmed to the context budget, optionally
 * replace the dropped turns with a summary made by the agent's model, recorded as such"). For an
 * agent with `memory.summarize = true` continuing a stored conversation whose history no longer fits
 * the context budget (src/runtime/context.ts), the turns trimmed away are folded, with any earlier
 * summary, into ONE summary by a call to the run's own model. The summary is stored with the
 * conversation (`ConversationStore.saveSummary`, with how many of its oldest messages it covers) and
 * re-used by later runs; it is re-made only when more messages fall out of the budget. It goes into
 * the prompt as a system message starting "Summary of earlier conversation:" before the kept history.
 *
 * The summarisation call is the run's: its tokens and cost count in the run's usage and execution
 * row, it is reserved on the run's budgets like any model call, and the daemon's provider metrics see
 * it. A summarisation that fails (provider error, empty reply, no budget left, store error) never
 * fails the run: the history is trimmed without a summary and a warning is logged.
 */
import { refusalMessage } from '../domain/budgets.js';
import { DomainError } from '../domain/errors.js';
import type { ChatRequest, Provider } from '../llm/types.js';
import type { ConversationStore, StoredMessage } from '../store/types.js';
import { budgetedStep } from './budget-step.js';
import { contextWindow, estimateTokens, messageTokens, trimHistory } from './context.js';
import type { RunObserver } from './observer.js';
import type { RunRecord } from './run-record.js';
import type { RunRequest, RuntimeDeps } from './types.js';

/** What starts the summary's system message in the prompt. */
const SUMMARY_HEADING = 'Summary of earlier conversation:';

/** Most tokens a summary may take: the summarisation call's `max_tokens`, and the room kept free for it in the context budget. */
const SUMMARY_MAX_TOKENS = 512;

/** The system prompt of the summarisation call. */
const SUMMARY_INSTRUCTIONS =
  'You summarise a conversation between a user and an assistant so the assistant can continue it without the full text. ' +
  "Keep facts, names, numbers, decisions, the user's preferences and open questions; leave out pleasantries. " +
  `Answer with the summary only, in under ${Math.floor(SUMMARY_MAX_TOKENS * 0.75)} words.`;

/** Tokens of the summarisation call's own framing (its instructions and headings), estimated. */
const CALL_FRAMING_TOKENS = estimateTokens(SUMMARY_INSTRUCTIONS) + 32;

/** A history that did not fit, folded: the messages kept and the summary's system message standing in for those before them. */
export interface FoldedHistory {
  kept: readonly StoredMessage[];
  summary: StoredMessage;
}

/**
 * Fold `history` (a stored conversation's, oldest first) into `budget` tokens with a summary of
 * what does not fit; undefined when no summary could be had (the caller trims without one).
 */
export type Summarize = (history: readonly StoredMessage[], budget: number) => Promise<FoldedHistory | undefined>;

/** The run a summariser works for: its provider, record and signal. */
export interface SummaryRun {
  provider: Provider;
  rec: RunRecord;
  signal: AbortSignal;
}

/** What a summarisation call uses: the run's parts, the conversations, the model's context window (tokens) and the provider metrics. */
interface SummaryDeps extends SummaryRun {
  conversations: Pick<ConversationStore, 'summary' | 'saveSummary'>;
  window: number;
  observer?: RunObserver;
}

/** The summary's system message in the prompt. */
function summaryMessage(summary: string): StoredMessage {
  return { role: 'system', content: `${SUMMARY_HEADING}\n${summary}` };
}

/** The summariser of `req`'s run, or undefined when it needs none: the agent does not ask for summaries, or the run continues no stored conversation. */
export function summarizerFor(runtime: Pick<RuntimeDeps, 'store' | 'contextWindow' | 'observer'>, req: RunRequest, run: SummaryRun): Summarize | undefined {
  const id = run.rec.conversationId;
  if (!req.agent.memory?.summarize || !id || req.history) return undefined;
  const deps: SummaryDeps = {
    ...run,
    conversations: runtime.store.conversations,
    window: (runtime.contextWindow ?? contextWindow)(req.model),
    ...(runtime.observer ? { observer: runtime.observer } : {}),
  };
  return async (history, budget) => {
    const reserve = SUMMARY_MAX_TOKENS + messageTokens(summaryMessage(''));
    const dropped = history.length - trimHistory(history, Math.max(0, budget - reserve)).length;
    try {
      let summary = await deps.conversations.summary(id);
      if (!summary || summary.covers < dropped) {
        const text = await summarise(req, deps, summary?.text, history.slice(summary?.covers ?? 0, dropped));
        summary = { text, covers: dropped, created_at: Date.now() };
        await deps.conversations.saveSummary(id, summary);
      }
      return { kept: history.slice(summary.covers), summary: summaryMessage(summary.text) };
    } catch (err) {
      if (deps.signal.aborted) throw err;
      deps.rec.log.warn(
        { err: (err as Error).message, conversation_id: id },
        'conversation summary failed; the oldest turns were trimmed to the context budget without one',
      );
      return undefined;
    }
  };
}

/**
 * One call of the run's model folding `earlier` (the summary so far) and `messages` into a new
 * summary, made aside from the reply (src/runtime/budget-step.ts): counted in the run's usage,
 * reserved on its budgets, traced and recorded in its run trace as a model call.
 * @throws DomainError TOO_MANY_REQUESTS when no budget has room for the call, PROVIDER_ERROR when the
 *   model answers nothing; the provider's own errors.
 */
async function summarise(req: RunRequest, deps: SummaryDeps, earlier: string | undefined, messages: readonly StoredMessage[]): Promise<string> {
  const { rec, provider } = deps;
  const { model } = req;
  const request: ChatRequest = {
    model: model.model,
    messages: [
      { role: 'system', content: SUMMARY_INSTRUCTIONS },
      { role: 'user', content: transcript(earlier, messages, deps.window - SUMMARY_MAX_TOKENS - CALL_FRAMING_TOKENS) },
    ],
    sampling: { ...(model.temperature !== undefined ? { temperature: model.temperature } : {}), max_tokens: SUMMARY_MAX_TOKENS },
  };
  const call = budgetedStep(rec.budget, provider, request, model, rec, deps.signal, deps.observer, 'aside');
  let next = await call.next();
  while (!next.done) next = await call.next();
  const step = next.value;
  if (step.refusal) throw new DomainError('TOO_MANY_REQUESTS', refusalMessage(step.refusal));
  const text = step.text.trim();
  if (!text) throw new DomainError('PROVIDER_ERROR', `model ${model.name} answered the summary request with nothing`);
  return text;
}

/**
 * The text to summarise: the earlier summary, then the messages as `Role: text` lines, the oldest
 * lines cut so the whole stays under `maxTokens` (estimated).
 */
function transcript(earlier: string | undefined, messages: readonly StoredMessage[], maxTokens: number): string {
  const head = `${earlier ? `Summary so far:\n${earlier}\n\n` : ''}Conversation to add to it:\n`;
  let body = messages
    .filter((m) => m.content)
    .map((m) => `${m.role === 'tool' ? 'Tool result' : m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}`)
    .join('\n');
  const room = Math.max(0, maxTokens * 4 - head.length);
  if (body.length > room) body = `[older part left out] ${body.slice(-room)}`;
  return head + body;
}
