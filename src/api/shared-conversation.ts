/**
 * Shared conversations (STORY-032): one user and several agents in one conversation. A message the
 * user posts is addressed to one participant or to `all`; addressed to `all`, the participants answer
 * one after another in listed order, each seeing the answers before its own. Each answer is an
 * ordinary run (`StartAgentRun`, so budgets, limits and metrics apply) over the conversation as
 * that agent sees it (`viewOf`); the run itself is stateless and the conversation keeps only authored
 * messages: the user's message and each participant's final answer.
 */
import type { Catalog } from '../catalog/catalog.js';
import { DomainError } from '../domain/errors.js';
import type { Agent } from '../domain/entities.js';
import type { DoneEvent, RunEvent } from '../runtime/events.js';
import type { AuthoredMessage, ConversationStore, SharedMessage, StoredMessage } from '../store/types.js';
import { runError, type AgentRunRequest, type StartAgentRun } from './run.js';

/** `to` of a message addressed to every participant. */
export const BROADCAST = 'all';
/** `author` of the owner's messages, and `to` of an agent's answer to a message addressed to it alone. */
export const USER = 'user';
/** Names a participant may not have: they mean something else in `author` and `to`. */
export const RESERVED_NAMES: readonly string[] = [BROADCAST, USER];

/** Emitted before a participant's run events. */
export interface AgentStartedEvent {
  type: 'agent_started';
  agent: string;
}

/** Emitted after a participant's run: its answer (stored unless the run ended as a stated failure). */
export interface AgentFinishedEvent extends Omit<DoneEvent, 'type' | 'conversation_id'> {
  type: 'agent_finished';
  agent: string;
}

/** What a shared turn streams: each participant's run events between its `agent_started` and `agent_finished`. */
export type SharedEvent = RunEvent | AgentStartedEvent | AgentFinishedEvent;

/**
 * The conversation as `agent` sees it, as model turns: its own messages are `assistant` turns, the
 * user's are `user` turns, another agent's are `user` turns marked `[NAME] `. With visibility
 * `addressed` only messages it wrote or that are addressed to it or to `all` remain. Tool traffic of
 * plain chats (tool results, tool-call turns) is left out.
 */
export function viewOf(agent: string, visibility: Agent['conversation_visibility'], messages: readonly AuthoredMessage[]): StoredMessage[] {
  const out: StoredMessage[] = [];
  for (const m of messages) {
    if (m.role === 'tool' || m.role === 'system' || m.tool_calls) continue;
    const author = m.author ?? (m.role === 'user' ? USER : undefined);
    if (visibility === 'addressed' && author !== agent && m.to !== agent && m.to !== BROADCAST) continue;
    if (author === agent) out.push({ role: 'assistant', content: m.content });
    else if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else out.push({ role: 'user', content: `[${author ?? 'agent'}] ${m.content}` });
  }
  return out;
}

/** One posted message: who answers, in order, and what the request adds to each run. */
export interface SharedTurn {
  conversationId: string;
  text: string;
  /** A participant's name or `all`. */
  to: string;
  /** Who answers, in order (one participant, or all of them in listed order). */
  order: readonly string[];
  /** What each run takes from the request (user, API key, logger). */
  base: Pick<AgentRunRequest, 'userId' | 'apiKeyId' | 'log'>;
  /** Aborting it cancels the run in progress and the answers still to come. */
  abort: AbortController;
}

/** What a shared turn needs. */
export interface SharedTurnDeps {
  catalog: Catalog;
  conversations: ConversationStore;
  startRun: StartAgentRun;
}

/**
 * Start a shared turn: the first participant's run is admitted before this resolves, so a refusal
 * (busy, budget, provider) is an HTTP error and nothing is stored. The events then follow; a later
 * refusal or run error is the last event. The user's message is stored with the first answer, each
 * further answer as it completes (answers of runs ending as a stated failure are not stored).
 * @throws DomainError NOT_FOUND (a participant the user can no longer see), UNAVAILABLE, PROVIDER_UNAVAILABLE.
 */
export async function startSharedTurn(deps: SharedTurnDeps, turn: SharedTurn): Promise<AsyncGenerator<SharedEvent>> {
  const transcript = await deps.conversations.authoredMessages(turn.conversationId);
  const pending: SharedMessage[] = [{ role: 'user', content: turn.text, author: USER, to: turn.to }];
  const start = async (agent: string) => {
    const resolved = await deps.catalog.resolveAgent(agent, turn.base.userId);
    const view = viewOf(agent, resolved.agent.conversation_visibility, [...transcript, ...pending]);
    const last = view.at(-1)!;
    return deps.startRun({ ...turn.base, name: agent, message: last.content, history: view.slice(0, -1), signal: turn.abort.signal });
  };
  const first = await start(turn.order[0]!);
  return (async function* () {
    let stored = false;
    for (const [i, agent] of turn.order.entries()) {
      yield { type: 'agent_started', agent };
      let events: AsyncIterable<RunEvent>;
      try {
        events = i === 0 ? first.events : (await start(agent)).events;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        yield { type: 'error', code: err.code, message: err.message };
        return;
      }
      let done: DoneEvent | undefined;
      for await (const ev of events) {
        yield ev;
        if (ev.type === 'error') return;
        if (ev.type === 'done') done = ev;
      }
      if (!done) return;
      const { type: _t, conversation_id: _c, ...result } = done;
      if (done.error === undefined) {
        const answer: SharedMessage = { role: 'assistant', content: done.reply, author: agent, to: turn.to === BROADCAST ? BROADCAST : USER };
        await deps.conversations.appendShared(turn.conversationId, stored ? [answer] : [pending[0]!, answer], Date.now());
        pending.push(answer);
        stored = true;
      }
      yield { type: 'agent_finished', agent, ...result };
    }
  })();
}

/** The answers of a shared turn as JSON: every `agent_finished` event. @throws DomainError for an `error` event. */
export async function collectSharedTurn(events: AsyncIterable<SharedEvent>): Promise<Omit<AgentFinishedEvent, 'type'>[]> {
  const answers: Omit<AgentFinishedEvent, 'type'>[] = [];
  for await (const ev of events) {
    if (ev.type === 'error') throw runError(ev);
    if (ev.type === 'agent_finished') {
      const { type: _t, ...answer } = ev;
      answers.push(answer);
    }
  }
  return answers;
}
