/**
 * The approval gate (src/runtime/approvals.ts, src/api/approvals.ts): an agent whose `approval[]`
 * names `calculator` pauses on its call; approving runs it once and the run goes on; a rejection
 * reaches the model as `rejected by USER: reason` (the fake's request log); two approvals, one after
 * the other or at once, run the call once; the timeout sweeper rejects what waited too long
 * (the sweep's clock given); another user can neither see nor decide the paused run; SSE and /v1 say it paused;
 * the resumed run keeps the paused request's sampling, response_format and tool settings and is
 * charged to the API key that request used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';
import { parseSse } from '../helpers/sse.js';

let fake: FakeOpenAI;
let t: TestApp;
let call: ReturnType<typeof client>;
const tokens: Record<'A' | 'B', string> = { A: '', B: '' };

const gated = {
  name: 'gated',
  model: 'fast',
  system_prompt: 'You compute.',
  tools: ['calculator', 'current_time'],
  approval: ['calc*'],
  approval_timeout_secs: 60,
};

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await makeApp({ fakeUrl: fake.url, budgets: { api_key: { tokens_per_month: 1_000_000 } } });
  call = client(t.app);
  for (const who of ['A', 'B'] as const) {
    const email = `${who.toLowerCase()}@example.com`;
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse', name: who } })).status).toBe(201);
    tokens[who] = (await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } })).json.access_token;
  }
  expect((await call('POST', '/api/agents', { token: tokens.A, body: gated })).status).toBe(201);
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

/** Ask `gated` something that makes the model call the calculator (call id `id`); the run pauses. */
async function pause(id: string) {
  fake.enqueue({ tool_calls: [{ id, name: 'calculator', arguments: '{"expression":"6*7"}' }] });
  const res = await call('POST', '/api/agents/gated/chat', { token: tokens.A, body: { message: 'What is 6*7?' } });
  expect(res.status).toBe(200);
  return res.json;
}

const toolMessages = (id: string) =>
  fake.requests.flatMap((r) =>
    (r.body.messages as { role: string; tool_call_id?: string; content: string }[]).filter((m) => m.role === 'tool' && m.tool_call_id === id),
  );

const execution = async (id: string) =>
  ((await call('GET', '/api/executions?agent=gated&limit=100', { token: tokens.A })).json.executions as { id: string }[]).find((e) => e.id === id) as any;

describe('approval gate', () => {
  it('pauses on a gated call, lists it, and an approval runs the call once and finishes the run', async () => {
    const paused = await pause('call_ok');
    expect(paused).toMatchObject({
      finish_reason: 'awaiting_approval',
      approval: { execution_id: paused.execution_id, calls: [{ id: 'call_ok', name: 'calculator' }] },
    });
    expect(await execution(paused.execution_id)).toMatchObject({ status: 'awaiting_approval', finish_reason: 'awaiting_approval' });
    const waiting = (await call('GET', '/api/executions?status=awaiting_approval', { token: tokens.A })).json.executions as { id: string; status: string }[];
    expect(waiting.map((e) => [e.id, e.status])).toEqual([[paused.execution_id, 'awaiting_approval']]);
    const listed = (await call('GET', '/api/approvals', { token: tokens.A })).json.approvals;
    expect(listed.map((a: { execution_id: string }) => a.execution_id)).toContain(paused.execution_id);
    expect(toolMessages('call_ok')).toEqual([]);

    fake.enqueue({ content: 'It is 42.' });
    const done = await call('POST', `/api/executions/${paused.execution_id}/approve`, { token: tokens.A });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ reply: 'It is 42.', finish_reason: 'stop', execution_id: paused.execution_id, conversation_id: paused.conversation_id });
    // The calculator ran once: one result reached the model, one call is on the row.
    expect(toolMessages('call_ok')).toEqual([expect.objectContaining({ content: '42' })]);
    const row = await execution(paused.execution_id);
    expect(row).toMatchObject({ status: 'success', finish_reason: 'stop' });
    expect(row.tool_calls.filter((c: { id: string }) => c.id === 'call_ok')).toHaveLength(1);

    const again = await call('POST', `/api/executions/${paused.execution_id}/approve`, { token: tokens.A });
    expect(again.status).toBe(409);
    expect(toolMessages('call_ok')).toHaveLength(1);
  });

  it('two approvals at once: one resumes the run, the other is refused, the call runs once', async () => {
    const paused = await pause('call_race');
    fake.enqueue({ content: 'Done.' });
    const both = await Promise.all([0, 1].map(() => call('POST', `/api/executions/${paused.execution_id}/approve`, { token: tokens.A })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(toolMessages('call_race')).toHaveLength(1);
  });

  it('a rejection reaches the model as "rejected by USER: reason"', async () => {
    const paused = await pause('call_no');
    fake.enqueue({ content: 'Understood, I will not compute it.' });
    const res = await call('POST', `/api/executions/${paused.execution_id}/reject`, { token: tokens.A, body: { reason: 'not today' } });
    expect(res.status).toBe(200);
    expect(res.json.reply).toBe('Understood, I will not compute it.');
    expect(toolMessages('call_no')).toEqual([expect.objectContaining({ content: 'rejected by a: not today' })]);
  });

  it('another user can neither list nor decide the paused run; its user still can', async () => {
    const paused = await pause('call_b');
    expect((await call('GET', '/api/approvals', { token: tokens.B })).json.approvals).toEqual([]);
    for (const action of ['approve', 'reject']) {
      expect((await call('POST', `/api/executions/${paused.execution_id}/${action}`, { token: tokens.B })).status).toBe(404);
    }
    expect(toolMessages('call_b')).toEqual([]);
    fake.enqueue({ content: 'ok' });
    expect((await call('POST', `/api/executions/${paused.execution_id}/approve`, { token: tokens.A })).status).toBe(200);
  });

  it('after approval_timeout_secs the sweeper rejects the calls and the run goes on', async () => {
    const paused = await pause('call_late');
    const { expires_at } = paused.approval;
    expect(expires_at - Date.now()).toBeGreaterThan(55_000);
    expect(await t.services.approvals.sweep(expires_at - 1)).toBe(0);
    fake.enqueue({ content: 'Nobody approved, so no answer.' });
    expect(await t.services.approvals.sweep(expires_at)).toBe(1);
    expect(toolMessages('call_late')).toEqual([expect.objectContaining({ content: 'rejected by system: no decision within 60 s (approval_timeout_secs)' })]);
    expect(await execution(paused.execution_id)).toMatchObject({ status: 'success', output: expect.stringContaining('Nobody approved') });
    expect((await call('POST', `/api/executions/${paused.execution_id}/approve`, { token: tokens.A })).status).toBe(409);
  });

  it('streams approval_required then done, and the approval streams the rest', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_sse', name: 'calculator', arguments: '{"expression":"1+1"}' }] });
    const res = await call('POST', '/api/agents/gated/chat', { token: tokens.A, body: { message: '1+1?', stream: true } });
    const events = parseSse(res.text);
    expect(events.slice(-2).map((e) => e.event)).toEqual(['approval_required', 'done']);
    const id = events.find((e) => e.data.execution_id)!.data.execution_id as string;
    fake.enqueue({ content: 'Two.' });
    const rest = await call('POST', `/api/executions/${id}/approve`, { token: tokens.A, body: { stream: true } });
    const restEvents = parseSse(rest.text);
    expect(restEvents.map((e) => e.event)).toEqual(['start', 'tool_result', 'text_delta', 'usage', 'done']);
    expect(restEvents.at(-1)?.data).toMatchObject({ reply: 'Two.' });
  });

  it('/v1 answers finish_reason stop with caxton_finish_reason awaiting_approval and the execution id', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_v1', name: 'calculator', arguments: '{"expression":"2+2"}' }] });
    const res = await call('POST', '/v1/chat/completions', { token: tokens.A, body: { model: 'gated', messages: [{ role: 'user', content: '2+2?' }] } });
    expect(res.status).toBe(200);
    const choice = res.json.choices[0];
    expect(choice).toMatchObject({ finish_reason: 'stop', caxton_finish_reason: 'awaiting_approval', caxton_approval: { calls: [{ id: 'call_v1' }] } });
    // A stateless run keeps its messages with the approval: the approval continues it.
    fake.enqueue({ content: 'Four.' });
    const done = await call('POST', `/api/executions/${choice.caxton_approval.execution_id}/approve`, { token: tokens.A });
    expect(done.json).toMatchObject({ reply: 'Four.', conversation_id: '' });
    expect(toolMessages('call_v1')).toEqual([expect.objectContaining({ content: '4' })]);
  });

  it("a resumed run keeps the request's overrides and is charged to its API key", async () => {
    const key = (await call('POST', '/api/keys', { token: tokens.A, body: { name: 'ci' } })).json.key as string;
    const keyUsed = async () =>
      ((await call('GET', '/api/usage', { token: key })).json.budgets as { scope: string; used: number }[]).find((b) => b.scope === 'api_key')!.used;
    const body = {
      model: 'gated',
      messages: [{ role: 'user', content: 'JSON please: 3*3?' }],
      temperature: 0.25,
      seed: 7,
      response_format: { type: 'json_object' },
      tool_choice: 'required',
      parallel_tool_calls: false,
    };
    fake.enqueue({
      tool_calls: [{ id: 'call_keep', name: 'calculator', arguments: '{"expression":"3*3"}' }],
      usage: { prompt_tokens: 40, completion_tokens: 2 },
    });
    const paused = await call('POST', '/v1/chat/completions', { token: key, body });
    const id = paused.json.choices[0].caxton_approval.execution_id as string;
    expect(await keyUsed()).toBe(42);

    fake.enqueue({ content: '{"answer": 9}', usage: { prompt_tokens: 50, completion_tokens: 8 } });
    const done = await call('POST', `/api/executions/${id}/approve`, { token: tokens.A });
    expect(done.status).toBe(200);
    const resumed = fake.requests.at(-1)!.body;
    // A forced tool_choice held for the paused run's first model call; the resumed one asks with auto.
    expect(resumed).toMatchObject({ temperature: 0.25, seed: 7, response_format: { type: 'json_object' }, tool_choice: 'auto', parallel_tool_calls: false });
    expect(await keyUsed()).toBe(100);

    // The reply check of response_format holds for the resumed run too.
    fake.enqueue({ tool_calls: [{ id: 'call_check', name: 'calculator', arguments: '{"expression":"1+2"}' }] });
    const again = await call('POST', '/v1/chat/completions', { token: key, body });
    fake.enqueue({ content: 'three' });
    const refused = await call('POST', `/api/executions/${again.json.choices[0].caxton_approval.execution_id}/approve`, { token: tokens.A });
    expect(refused.status).toBe(502);
    expect(JSON.stringify(refused.json)).toContain('response_format');
  });

  it('an agent with a malformed approval pattern is refused, naming the field', async () => {
    const res = await call('POST', '/api/agents', { token: tokens.A, body: { ...gated, name: 'bad-gate', approval: ['calc ulator'] } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toContain('approval');
  });
});
