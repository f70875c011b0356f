/**
 * A model step under the run's budgets (src/runtime/budgets.ts): reserve the call's worst case
 * first, make the call (src/runtime/model-step.ts), then settle with the usage the provider reported.
 * Without reported usage, a call that failed or was cancelled before any output releases its whole
 * reservation; one that answered (or had begun to) keeps it, the only safe guess. A reservation of a
 * daemon that dies mid-call stays counted. A call that cannot be reserved is not made:
 * the step ends the run with an explicit last message naming the budget and when it resets.
 */
import { refusalMessage, type BudgetRefusal } from '../domain/budgets.js';
import type { Model } from '../domain/entities.js';
import type { ErrorDetail } from '../domain/errors.js';
import type { ChatRequest, Provider } from '../llm/types.js';
import { agentBudgetKey, type Budgets, type RunBudget } from './budgets.js';
import { estimateTokens } from './context.js';
import type { ErrorEvent, RunEvent } from './events.js';
import { modelStep, separator, type StepResult, type StepText } from './model-step.js';
import type { RunObserver } from './observer.js';
import type { RunRecord } from './run-record.js';
import type { RunRequest } from './types.js';

/** A step's result, or the budget that refused it (`text` then holds the run's last message). */
export type BudgetedStep = StepResult & { refusal?: BudgetRefusal };

/**
 * One model call of `rec`'s run, reserved on `budget` when one applies; `observer` times the
 * provider request. A step of the reply (`text` = `reply`) counts as one of the run's iterations and
 * a refusal becomes the run's last message; a call made `aside` does neither (src/runtime/model-step.ts).
 * Without a limiting budget the step is the model step itself, with no generator around it to pass
 * its events through.
 */
export function budgetedStep(
  budget: RunBudget | undefined,
  provider: Provider,
  request: ChatRequest,
  model: Model,
  rec: RunRecord,
  signal: AbortSignal,
  observer?: RunObserver,
  text: StepText = 'reply',
): AsyncGenerator<RunEvent, BudgetedStep> {
  if (budget?.limited) return reservedStep(budget, provider, request, model, rec, signal, observer, text);
  if (text === 'reply') rec.iterations++;
  return modelStep(provider, request, rec, signal, observer, text);
}

/** `budgetedStep` under a limiting budget: reserve, call, settle. */
async function* reservedStep(
  budget: RunBudget,
  provider: Provider,
  request: ChatRequest,
  model: Model,
  rec: RunRecord,
  signal: AbortSignal,
  observer: RunObserver | undefined,
  text: StepText,
): AsyncGenerator<RunEvent, BudgetedStep> {
  const held = await budget.reserve(request, model);
  if ('limit_key' in held) {
    observer?.budgetRefused(rec.agentName, held);
    if (text === 'aside') return { text: '', calls: [], finish: 'budget_exceeded', refusal: held };
    const note = separator(rec.reply) + `[stopped] ${refusalMessage(held)}.`;
    rec.reply += note;
    yield { type: 'text_delta', text: note };
    return { text: note, calls: [], finish: 'budget_exceeded', refusal: held };
  }
  if (text === 'reply') rec.iterations++;
  const before = { ...rec.usage };
  const replied = rec.reply.length;
  let answered = false;
  try {
    const step = yield* modelStep(provider, request, rec, signal, observer, text);
    answered = true;
    return step;
  } finally {
    // Ends here also when the call failed or the run was cancelled mid-call (the generator is closed).
    const real = { input_tokens: rec.usage.input_tokens - before.input_tokens, output_tokens: rec.usage.output_tokens - before.output_tokens };
    const reported = real.input_tokens + real.output_tokens > 0;
    const nothingSpent = !answered && rec.reply.length === replied;
    await held.settle(reported || nothingSpent ? real : undefined);
  }
}

/**
 * Resolve the budgets of `req`'s run into `rec.budget` and check that its first call fits (its
 * system prompt and message, estimated, plus the output reserve: the request's `max_tokens`, else
 * the model's). @returns the refusal as an error event (TOO_MANY_REQUESTS, `retry_after_secs` until
 * the budget resets, a detail naming it), or undefined. A refusal is told to `observer`.
 */
export async function admitBudget(budgets: Budgets, req: RunRequest, rec: RunRecord, observer?: RunObserver): Promise<ErrorEvent | undefined> {
  rec.budget = await budgets.forRun({
    userId: req.userId,
    agentKey: agentBudgetKey(req.agent.name, req.agentRow?.id),
    ...(req.apiKeyId ? { apiKeyId: req.apiKeyId } : {}),
    ...(req.agent.budget ? { agentBudget: req.agent.budget } : {}),
  });
  if (!rec.budget.limited) return undefined;
  const refused = await rec.budget.precheck(
    estimateTokens(req.agent.system_prompt) + estimateTokens(req.message),
    req.model,
    req.overrides?.sampling?.max_tokens,
  );
  if (!refused) return undefined;
  observer?.budgetRefused(req.agent.name, refused);
  return {
    type: 'error',
    code: 'TOO_MANY_REQUESTS',
    message: refusalMessage(refused),
    execution_id: rec.id,
    retry_after_secs: Math.max(1, Math.ceil((refused.resets_at - budgets.now()) / 1000)),
    details: [budgetDetail(refused)],
  };
}

/** The error detail naming a refused budget: `field` is `SCOPE.LIMIT_KEY`, the message its limit, use and reset. */
export function budgetDetail(r: BudgetRefusal): ErrorDetail {
  return {
    code: 'budget_exceeded',
    field: `${r.scope}.${r.limit_key}`,
    message: `limit ${r.limit}, used ${r.used}, resets at ${new Date(r.resets_at).toISOString()}`,
  };
}
