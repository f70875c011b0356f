/**
 * Shared conversations (STORY-032): `POST /api/conversations {participants}`,
 * `POST /api/conversations/:id/messages {text, to?, stream?}` (JSON, or SSE of the chat events plus
 * `agent_started`/`agent_finished` per participant), `POST /api/conversations/:id/participants
 * {agent}` and `DELETE /api/conversations/:id/participants/:agent`. `GET /api/conversations/:id`
 * (routes/history.ts) shows participants and authored messages. Only the owner reads or posts:
 * another user's conversation answers 404. Turns run in src/api/shared-conversation.ts.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { ChatResultSchema } from '../../domain/api-types.js';
import { DomainError } from '../../domain/errors.js';
import { newOrderedId } from '../../runtime/ids.js';
import type { AppDeps, AppEnv } from '../deps.js';
import type { WireErrors } from '../errors.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';
import type { StartAgentRun } from '../run.js';
import { BROADCAST, collectSharedTurn, RESERVED_NAMES, startSharedTurn, type SharedEvent } from '../shared-conversation.js';
import { errorEventData } from '../sse.js';

const tags = ['conversations'];
const ParticipantSchema = z.object({ agent: z.string(), joined_at: z.number().describe('ms since epoch') });
const ParticipantsSchema = z.object({ id: z.string(), participants: z.array(ParticipantSchema) });
const AnswerSchema = ChatResultSchema.omit({ conversation_id: true }).extend({ agent: z.string() });
const AgentName = z.string().min(1, 'must not be empty');
const NotFound = { description: 'conversation (not yours or absent) or agent not found', schema: ErrorSchema };

/** SSE of a shared turn: one `event: <type>` + `data: <json>` per event; errors written as on the wire. */
function sharedSse(c: Context, events: AsyncIterable<SharedEvent>, abort: AbortController, wire: WireErrors): Response {
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => abort.abort());
    try {
      for await (const ev of events) {
        if (stream.aborted) break;
        await stream.writeSSE({ event: ev.type, data: JSON.stringify(ev.type === 'error' ? errorEventData(ev, wire) : ev) });
      }
    } catch (err) {
      const { code, message } = wire(err);
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ type: 'error', code, message }) });
    }
  });
}

/** `POST /api/conversations`. */
const createSpec = {
  method: 'post',
  path: '',
  summary: 'Start a shared conversation with several agents (participants answer in listed order)',
  tags,
  body: z.object({ participants: z.array(AgentName).min(1, 'name at least one agent').max(32) }).strict(),
  responses: {
    201: { description: 'created', schema: ParticipantsSchema },
    400: { description: 'a reserved or repeated name', schema: ErrorSchema },
    404: { description: 'an agent you cannot see (named in the error)', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `POST /api/conversations/{id}/messages`. */
const postSpec = {
  method: 'post',
  path: '/{id}/messages',
  summary:
    'Post a message to one participant (`to`, default the first) or to `all` (each answers in listed order, seeing the earlier answers): JSON, or SSE when `stream` or Accept: text/event-stream',
  tags,
  body: z.object({ text: z.string().min(1, 'must not be empty'), to: z.string().min(1).optional(), stream: z.boolean().optional() }).strict(),
  responses: {
    200: {
      description: 'the answers, or an SSE stream of run events with `agent_started` {agent} and `agent_finished` {agent, reply, ...} around each participant',
      schema: z.object({ conversation_id: z.string(), to: z.string(), answers: z.array(AnswerSchema) }),
      alternatives: { 'text/event-stream': z.string().describe('Server-Sent Events: agent_started, the run events, agent_finished per participant') },
    },
    400: { description: '`to` is not a participant', schema: ErrorSchema },
    404: NotFound,
    409: { description: 'the conversation has no participants, or a turn is in progress', schema: ErrorSchema },
    429: { description: 'rate limit or budget reached', schema: ErrorSchema },
    503: { description: 'the first participant is stopped, failed or busy', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `POST /api/conversations/{id}/participants`. */
const joinSpec = {
  method: 'post',
  path: '/{id}/participants',
  summary: 'Add an agent to a shared conversation (it answers after the others)',
  tags,
  body: z.object({ agent: AgentName }).strict(),
  responses: {
    200: { description: 'participants now', schema: ParticipantsSchema },
    400: { description: 'a reserved name', schema: ErrorSchema },
    404: NotFound,
    409: { description: 'already a participant', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `DELETE /api/conversations/{id}/participants/{agent}`. */
const leaveSpec = {
  method: 'delete',
  path: '/{id}/participants/{agent}',
  summary: 'Remove an agent from a shared conversation (its messages stay)',
  tags,
  responses: {
    204: { description: 'removed' },
    404: { description: 'conversation not yours or absent, or the agent is no participant', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** The id of the caller's conversation in the path. @throws DomainError NOT_FOUND (never reveals another user's). */
async function own(deps: AppDeps, c: Context<AppEnv>): Promise<string> {
  const id = c.req.param('id')!;
  if (!(await deps.conversations.get(id, c.get('userId')))) throw new DomainError('NOT_FOUND', `conversation ${id} not found`);
  return id;
}

/** `name` as the catalog resolves it for the caller. @throws DomainError BAD_REQUEST (reserved name) naming `field`, NOT_FOUND naming the agent. */
async function participant(deps: AppDeps, name: string, userId: string, field: string): Promise<string> {
  if (RESERVED_NAMES.includes(name))
    throw new DomainError('BAD_REQUEST', `${field}: "${name}" cannot be a participant`, [
      { field, message: `"${name}" is reserved`, hint: `"${BROADCAST}" addresses every participant and "user" is you` },
    ]);
  try {
    return (await deps.catalog.resolveAgent(name, userId)).name;
  } catch (err) {
    if (err instanceof DomainError && err.code === 'NOT_FOUND')
      throw new DomainError('NOT_FOUND', `${field}: agent ${name} not found`, [
        { field, message: `no agent named ${name} that you can see`, hint: 'caxton agent list' },
      ]);
    throw err;
  }
}

/** Create a shared conversation of the listed agents, in order. @throws DomainError BAD_REQUEST (reserved or repeated name), NOT_FOUND (agent). */
async function createConversation(deps: AppDeps, c: OpContext<typeof createSpec>): Promise<Response> {
  const userId = c.get('userId');
  const names: string[] = [];
  for (const [i, name] of c.req.valid('json').participants.entries()) {
    const resolved = await participant(deps, name, userId, `participants[${i}]`);
    if (names.includes(resolved))
      throw new DomainError('BAD_REQUEST', `participants[${i}]: ${resolved} is listed twice`, [{ field: `participants[${i}]`, message: 'listed twice' }]);
    names.push(resolved);
  }
  const now = Date.now();
  const id = newOrderedId('conv');
  await deps.conversations.createShared({ id, agent_name: names[0]!, user_id: userId, created_at: now, updated_at: now }, names);
  return c.json({ id, participants: await deps.conversations.participants(id) }, 201);
}

/**
 * The participant a message goes to (`to`, default the first one), or `all`.
 * @throws DomainError CONFLICT (no participants), BAD_REQUEST (`to` is not a participant).
 */
function addressee(id: string, names: string[], to: string | undefined): string {
  if (names.length === 0)
    throw new DomainError('CONFLICT', `conversation ${id} has no participants`, [
      { field: 'id', message: 'no participants', hint: `add one with POST /api/conversations/${id}/participants` },
    ]);
  const target = to ?? names[0]!;
  if (target !== BROADCAST && !names.includes(target))
    throw new DomainError('BAD_REQUEST', `to: ${target} is not a participant`, [{ field: 'to', message: `one of ${[...names, BROADCAST].join(', ')}` }]);
  return target;
}

/** What a turn needs besides the app's dependencies. */
interface TurnDeps {
  startRun: StartAgentRun;
  /** Conversations with a turn in progress on this node: a second post waits for none, it is refused (409). */
  busy: Set<string>;
  /** How errors are written into an SSE stream. */
  wire: WireErrors;
}

/**
 * Run one turn of a shared conversation: JSON of the answers, or SSE when `stream` or Accept:
 * text/event-stream. The conversation stays in `busy` until the turn's events are drained (or it
 * fails to start). @throws DomainError NOT_FOUND, CONFLICT (no participants, or a turn in progress), BAD_REQUEST.
 */
async function postMessage(deps: AppDeps, turn: TurnDeps, c: OpContext<typeof postSpec>): Promise<Response> {
  const { busy } = turn;
  const id = await own(deps, c);
  const body = c.req.valid('json');
  const names = (await deps.conversations.participants(id)).map((p) => p.agent);
  const to = addressee(id, names, body.to);
  if (busy.has(id))
    throw new DomainError('CONFLICT', `conversation ${id} has a turn in progress`, [{ field: 'id', message: 'in use', hint: 'post again once it ends' }]);
  busy.add(id);
  const abort = new AbortController();
  c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
  const apiKeyId = c.get('apiKeyId');
  const base = { userId: c.get('userId'), log: c.var.log, ...(apiKeyId ? { apiKeyId } : {}) };
  let events: AsyncGenerator<SharedEvent>;
  try {
    events = await startSharedTurn(
      { catalog: deps.catalog, conversations: deps.conversations, startRun: turn.startRun },
      { conversationId: id, text: body.text, to, order: to === BROADCAST ? names : [to], base, abort },
    );
  } catch (err) {
    busy.delete(id);
    throw err;
  }
  const released = (async function* () {
    try {
      yield* events;
    } finally {
      busy.delete(id);
    }
  })();
  if (body.stream ?? (c.req.header('accept') ?? '').includes('text/event-stream')) return sharedSse(c, released, abort, turn.wire);
  return c.json({ conversation_id: id, to, answers: await collectSharedTurn(released) });
}

/** Shared-conversation routes under `/api/conversations`. */
export function conversationRoutes(deps: AppDeps, startRun: StartAgentRun, wire: WireErrors): Routes {
  const r = new Routes('/api/conversations');
  const store = deps.conversations;
  const turn: TurnDeps = { startRun, busy: new Set<string>(), wire };
  r.op(createSpec, (c) => createConversation(deps, c));
  r.op(postSpec, (c) => postMessage(deps, turn, c));
  r.op(joinSpec, async (c) => {
    const id = await own(deps, c);
    const agent = await participant(deps, c.req.valid('json').agent, c.get('userId'), 'agent');
    if (!(await store.join(id, agent, Date.now())))
      throw new DomainError('CONFLICT', `${agent} already takes part in conversation ${id}`, [{ field: 'agent', message: 'already a participant' }]);
    return c.json({ id, participants: await store.participants(id) });
  });
  r.op(leaveSpec, async (c) => {
    const id = await own(deps, c);
    const agent = c.req.param('agent')!;
    if (!(await store.leave(id, agent)))
      throw new DomainError('NOT_FOUND', `${agent} is not a participant of conversation ${id}`, [{ field: 'agent', message: 'no participant' }]);
    return c.body(null, 204);
  });
  return r;
}
