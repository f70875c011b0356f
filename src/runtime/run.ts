/**
 * `createRuntime(deps).run(request)`: one agent run as an async iterable of typed events (SPEC §7).
 * The runtime knows nothing about HTTP. It creates or continues the conversation, calls the provider
 * of the agent's model, streams its text, and persists the turn and an `agent_executions` row in one
 * go at the end (so a crash loses at most the run in flight).
 */
import { isDomainError } from '../domain/errors.js';
import type { Agent, Model, Source } from '../domain/entities.js';
import { newId } from '../domain/names.js';
import type { Provider } from '../llm/types.js';
import type { Store } from '../store/types.js';
import type { RunEvent, Usage } from './events.js';
import { buildMessages, renderUserPrompt } from './prompt.js';

/** What the runtime needs: persistence and a way to get the provider serving a model. */
export interface RuntimeDeps {
  store: Pick<Store, 'conversations' | 'executions'>;
  providers: { get(name: string): Promise<Provider> };
}

/** One run: an agent already resolved by the catalog, with its model. */
export interface RunRequest {
  agent: Agent;
  source: Source;
  model: Model;
  message: string;
  userId: string;
  /** Continue this conversation (must belong to `userId`), or start a new one when absent. */
  conversationId?: string;
  /** Aborting cancels the provider request; the run ends with an `error` event (code `CANCELLED`). */
  signal?: AbortSignal;
}

/** The runtime: stateless apart from its dependencies. */
export interface Runtime {
  run(request: RunRequest): AsyncIterable<RunEvent>;
}

/** USD cost of `usage` under `model`'s prices (USD per million tokens); 0 when unpriced. */
export function costOf(model: Model, usage: Usage): number {
  const input = (model.input_cost_per_mtok ?? 0) * usage.input_tokens;
  const output = (model.output_cost_per_mtok ?? 0) * usage.output_tokens;
  return (input + output) / 1_000_000;
}

/** Build the runtime over its dependencies. */
export function createRuntime(deps: RuntimeDeps): Runtime {
  const { store, providers } = deps;

  async function* run(req: RunRequest): AsyncIterable<RunEvent> {
    const started = Date.now();
    const executionId = newId('exec');
    let conversationId = req.conversationId;
    const usage: Usage = { input_tokens: 0, output_tokens: 0 };
    let reply = '';

    if (conversationId !== undefined) {
      if (!store.conversations.get(conversationId, req.userId)) {
        yield { type: 'error', code: 'NOT_FOUND', message: `conversation ${conversationId} not found` };
        return;
      }
    } else {
      conversationId = store.conversations.create(req.agent.name, req.userId).id;
    }
    const convId = conversationId;

    let recorded = false;
    const finish = (status: 'success' | 'error' | 'timeout', error?: string) => {
      recorded = true;
      store.executions.record({
        id: executionId,
        agent_name: req.agent.name,
        agent_source: req.source,
        user_id: req.userId,
        conversation_id: convId,
        input: req.message,
        output: reply,
        tokens_input: usage.input_tokens,
        tokens_output: usage.output_tokens,
        cost_usd: costOf(req.model, usage),
        duration_ms: Date.now() - started,
        status,
        ...(error ? { error_message: error } : {}),
        created_at: started,
      });
    };

    try {
      const provider = await providers.get(req.model.provider);
      yield {
        type: 'start',
        conversation_id: convId,
        execution_id: executionId,
        agent: req.agent.name,
        model: req.model.name,
        provider: provider.type === 'offline' ? 'offline' : provider.name,
      };
      const history = store.conversations.messages(convId);
      const userPrompt = renderUserPrompt(req.agent, req.message);
      const messages = buildMessages(req.agent, history, userPrompt);
      let finishReason = 'stop';
      for await (const ev of provider.chat(
        {
          model: req.model.model,
          messages,
          ...(req.model.temperature !== undefined ? { temperature: req.model.temperature } : {}),
          ...(req.model.max_tokens !== undefined ? { max_tokens: req.model.max_tokens } : {}),
          ...(req.model.top_p !== undefined ? { top_p: req.model.top_p } : {}),
          ...(req.model.frequency_penalty !== undefined ? { frequency_penalty: req.model.frequency_penalty } : {}),
          ...(req.model.presence_penalty !== undefined ? { presence_penalty: req.model.presence_penalty } : {}),
        },
        req.signal,
      )) {
        if (ev.type === 'text_delta') {
          reply += ev.text;
          yield ev;
        } else if (ev.type === 'usage') {
          usage.input_tokens += ev.input_tokens;
          usage.output_tokens += ev.output_tokens;
          yield { type: 'usage', ...usage };
        } else if (ev.type === 'finish') {
          finishReason = ev.reason;
        }
      }
      store.conversations.append(convId, [
        { role: 'user', content: userPrompt },
        { role: 'assistant', content: reply },
      ]);
      finish('success');
      yield {
        type: 'done',
        reply,
        finish_reason: finishReason,
        conversation_id: convId,
        execution_id: executionId,
        usage: { ...usage },
        cost_usd: costOf(req.model, usage),
        duration_ms: Date.now() - started,
      };
    } catch (err) {
      const cancelled = req.signal?.aborted === true;
      const code = cancelled ? 'CANCELLED' : isDomainError(err) ? err.code : 'INTERNAL';
      const message = cancelled ? 'run cancelled' : (err as Error).message;
      finish(code === 'TIMEOUT' ? 'timeout' : 'error', message);
      yield { type: 'error', code, message, conversation_id: convId, execution_id: executionId };
    } finally {
      // The consumer stopped iterating early (client went away): still leave a record of the run.
      if (!recorded) finish('error', 'run cancelled: the client disconnected');
    }
  }

  return { run };
}
