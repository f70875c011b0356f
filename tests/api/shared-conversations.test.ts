/**
 * Shared conversations (STORY-032) through the API over the fake OpenAI server: three agents
 * collaborate (a broadcast answered in listed order, each participant seeing the earlier answers in
 * its request), a message addressed to one, a join and a leave, `conversation_visibility =
 * "addressed"` hiding others' exchanges, every stored message with its author; another user can
 * neither read nor post; a plain chat into a shared conversation is refused (400 naming
 * `conversation_id`, pointing at its messages endpoint) and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequestLog } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';
import { parseSse } from '../helpers/sse.js';

let fake: FakeOpenAI;
let t: TestApp;
let call: ReturnType<typeof client>;
const tokens: Record<'A' | 'B', string> = { A: '', B: '' };

/** The agent a request is for (its system prompt is `You are NAME.`). */
const agentOf = (r: FakeRequestLog) => /You are (\w+)\./.exec(r.body.messages[0].content)?.[1] ?? '?';
/** What the model was shown after the system prompt, as `role: content` lines. */
const shown = (r: FakeRequestLog) => (r.body.messages as { role: string; content: string }[]).slice(1).map((m) => `${m.role}: ${m.content}`);
const chats = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));

beforeAll(async () => {
  let n = 0;
  fake = await startFakeOpenAI({ default: (req) => ({ content: `${agentOf(req)} answer ${++n}` }) });
  t = await makeApp({ fakeUrl: fake.url, authRequired: true });
  call = client(t.app);
  for (const who of ['A', 'B'] as const) {
    const email = `${who.toLowerCase()}@example.com`;
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse' } })).status).toBe(201);
    tokens[who] = (await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } })).json.access_token;
  }
  for (const [name, extra] of [
    ['planner', {}],
    ['coder', {}],
    ['critic', { conversation_visibility: 'addressed' }],
    ['tester', {}],
  ] as const) {
    const res = await call('POST', '/api/agents', { token: tokens.A, body: { name, system_prompt: `You are ${name}.`, ...extra } });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

describe('a shared conversation of three agents', () => {
  it('broadcasts in order, addresses one, joins, leaves and hides what `addressed` agents should not see', async () => {
    const created = await call('POST', '/api/conversations', { token: tokens.A, body: { participants: ['planner', 'coder', 'critic'] } });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect(created.json.participants.map((p: { agent: string }) => p.agent)).toEqual(['planner', 'coder', 'critic']);

    // Broadcast: each answers in listed order and sees the answers before its own.
    let before = chats().length;
    const all = await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'Plan the release', to: 'all' } });
    expect(all.status).toBe(200);
    expect(all.json.answers.map((a: { agent: string }) => a.agent)).toEqual(['planner', 'coder', 'critic']);
    const round = chats().slice(before);
    expect(round.map(agentOf)).toEqual(['planner', 'coder', 'critic']);
    expect(shown(round[0]!)).toEqual(['user: Plan the release']);
    expect(shown(round[1]!)).toEqual(['user: Plan the release', `user: [planner] ${all.json.answers[0].reply}`]);
    expect(shown(round[2]!)).toEqual(['user: Plan the release', `user: [planner] ${all.json.answers[0].reply}`, `user: [coder] ${all.json.answers[1].reply}`]);

    // Addressed to coder alone; the default addressee is the first participant.
    before = chats().length;
    const direct = await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'Write the changelog', to: 'coder' } });
    expect(direct.json.answers.map((a: { agent: string }) => a.agent)).toEqual(['coder']);
    expect(chats().slice(before).map(agentOf)).toEqual(['coder']);
    const dflt = await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'Anything else?' } });
    expect(dflt.json).toMatchObject({ to: 'planner', answers: [{ agent: 'planner' }] });

    // The critic (visibility "addressed") sees broadcasts and its own messages, not the coder's or planner's private exchanges.
    before = chats().length;
    await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'Review it', to: 'critic' } });
    const critic = shown(chats()[before]!);
    expect(critic.join('\n')).not.toMatch(/changelog|Anything else/);
    expect(critic).toContain('user: Plan the release');
    expect(critic).toContain(`assistant: ${all.json.answers[2].reply}`);
    expect(critic.at(-1)).toBe('user: Review it');

    // Join, then leave: the newcomer answers last and sees everything; whoever left answers no more.
    const joined = await call('POST', `/api/conversations/${id}/participants`, { token: tokens.A, body: { agent: 'tester' } });
    expect(joined.json.participants.map((p: { agent: string }) => p.agent)).toEqual(['planner', 'coder', 'critic', 'tester']);
    expect((await call('POST', `/api/conversations/${id}/participants`, { token: tokens.A, body: { agent: 'tester' } })).status).toBe(409);
    expect((await call('DELETE', `/api/conversations/${id}/participants/planner`, { token: tokens.A })).status).toBe(204);
    expect((await call('DELETE', `/api/conversations/${id}/participants/planner`, { token: tokens.A })).status).toBe(404);
    before = chats().length;
    const second = await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'Ship it?', to: 'all' } });
    expect(second.json.answers.map((a: { agent: string }) => a.agent)).toEqual(['coder', 'critic', 'tester']);
    expect(shown(chats().at(-1)!).join('\n')).toMatch(/Write the changelog/);
    expect(chats().slice(before).map(agentOf)).toEqual(['coder', 'critic', 'tester']);
    const gone = await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'hi', to: 'planner' } });
    expect(gone.status).toBe(400);
    expect(gone.json.error.message).toContain('planner is not a participant');

    // Every message records its author and addressee.
    const shownConv = await call('GET', `/api/conversations/${id}`, { token: tokens.A });
    expect(shownConv.json.participants.map((p: { agent: string }) => p.agent)).toEqual(['coder', 'critic', 'tester']);
    const msgs = shownConv.json.messages as { role: string; author: string; to: string; content: string }[];
    expect(msgs.slice(0, 4).map((m) => [m.author, m.to])).toEqual([
      ['user', 'all'],
      ['planner', 'all'],
      ['coder', 'all'],
      ['critic', 'all'],
    ]);
    expect(msgs.slice(4, 6).map((m) => [m.author, m.to, m.content])).toEqual([
      ['user', 'coder', 'Write the changelog'],
      ['coder', 'user', direct.json.answers[0].reply],
    ]);
    expect(msgs).toHaveLength(4 + 2 + 2 + 2 + 4);
  });

  it('streams agent_started / agent_finished around each participant run', async () => {
    const id = (await call('POST', '/api/conversations', { token: tokens.A, body: { participants: ['planner', 'coder'] } })).json.id;
    const res = await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'go', to: 'all', stream: true } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(res.text).map((e) => [e.event, e.data.agent]);
    const framing = events.filter(([e]) => e === 'agent_started' || e === 'agent_finished' || e === 'done').map(([e, a]) => (a ? `${e}:${a}` : e));
    expect(framing).toEqual(['agent_started:planner', 'done', 'agent_finished:planner', 'agent_started:coder', 'done', 'agent_finished:coder']);
  });

  it('refuses unknown, reserved and repeated participants by name, changing nothing', async () => {
    const unknown = await call('POST', '/api/conversations', { token: tokens.A, body: { participants: ['planner', 'ghost'] } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toBe('participants[1]: agent ghost not found');
    const reserved = await call('POST', '/api/conversations', { token: tokens.A, body: { participants: ['all'] } });
    expect(reserved.status).toBe(400);
    const twice = await call('POST', '/api/conversations', { token: tokens.A, body: { participants: ['coder', 'coder'] } });
    expect(twice.json.error.message).toContain('listed twice');
    const bad = await call('POST', '/api/agents', { token: tokens.A, body: { name: 'odd', system_prompt: 'x', conversation_visibility: 'some' } });
    expect(bad.status).toBe(400);
  });

  it('refuses a plain chat into a shared conversation on every chat entry point, storing nothing', async () => {
    const id = (await call('POST', '/api/conversations', { token: tokens.A, body: { participants: ['planner', 'coder'] } })).json.id;
    expect((await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'Plan it', to: 'planner' } })).status).toBe(200);
    const before = (await call('GET', `/api/conversations/${id}`, { token: tokens.A })).json.messages;
    const seen = chats().length;
    for (const [path, body] of [
      ['/api/agents/planner/chat', { message: 'hi', conversation_id: id }],
      ['/agents/planner/message', { text: 'hi', conversation_id: id }],
    ] as const) {
      const res = await call('POST', path, { token: tokens.A, body });
      expect(res.status, path).toBe(400);
      expect(res.json.error.message).toContain(`POST /api/conversations/${id}/messages`);
      expect(res.json.error.details).toContainEqual(expect.objectContaining({ field: 'conversation_id' }));
    }
    const v1 = await call('POST', '/v1/chat/completions', {
      token: tokens.A,
      body: { model: 'planner', conversation_id: id, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(v1.status).toBe(400);
    expect(v1.json.error).toMatchObject({ type: 'invalid_request_error', param: 'conversation_id' });
    expect(chats()).toHaveLength(seen);
    expect((await call('GET', `/api/conversations/${id}`, { token: tokens.A })).json.messages).toEqual(before);
  });

  it('another user can neither read, post to, nor change the conversation; a refused first run stores nothing', async () => {
    const id = (await call('POST', '/api/conversations', { token: tokens.A, body: { participants: ['planner'] } })).json.id;
    for (const [method, path, body] of [
      ['GET', `/api/conversations/${id}`, undefined],
      ['POST', `/api/conversations/${id}/messages`, { text: 'hi' }],
      ['POST', `/api/conversations/${id}/participants`, { agent: 'planner' }],
      ['DELETE', `/api/conversations/${id}/participants/planner`, undefined],
    ] as const) {
      const res = await call(method, path, { token: tokens.B, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // B cannot bring A's private agent into a conversation of its own either.
    expect((await call('POST', '/api/conversations', { token: tokens.B, body: { participants: ['planner'] } })).status).toBe(404);

    fake.enqueue({ status: 500 });
    const failed = await call('POST', `/api/conversations/${id}/messages`, { token: tokens.A, body: { text: 'hello?' } });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect((await call('GET', `/api/conversations/${id}`, { token: tokens.A })).json.messages).toEqual([]);
  });
});
