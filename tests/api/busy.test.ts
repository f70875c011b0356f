/**
 * Load shedding as a client sees it (SPEC §7 "one agent's failure never affects another agent's
 * runs"): when an agent's run slots and queue are full, another request for it is refused at once
 * with 503 and `Retry-After`, stored nowhere but counted in `/metrics` as refused, while another
 * agent still answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { value } from '../helpers/prometheus.js';
import { client, makeApp, type TestApp } from './fixture.js';

let fake: FakeOpenAI;
let t: TestApp;

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: { content: 'fine' } });
  t = await makeApp({ fakeUrl: fake.url, limits: { maxConcurrentPerAgent: 1, maxQueuedPerAgent: 0 } });
});
afterAll(async () => {
  t?.close();
  await fake?.close();
});

describe('a busy agent', () => {
  it('refuses the next run with 503 and Retry-After, records nothing, and leaves other agents serving', async () => {
    const call = client(t.app);
    const executions = async () => (await call('GET', '/api/executions')).json.executions.length as number;
    fake.enqueue({ content: 'slow answer', delay_ms: 1_000 });
    const slow = call('POST', '/api/agents/router/chat', { body: { message: 'take your time' } });
    await expect.poll(() => fake.requests.length, { timeout: 5_000 }).toBe(1);
    const before = await executions();

    const refused = await call('POST', '/api/agents/router/chat', { body: { message: 'me too' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/busy/) });
    expect(await executions()).toBe(before);
    const metrics = await (await t.app.request('/metrics')).text();
    expect(value(metrics, 'caxton_agent_runs_refused_total', { agent: 'router', source: 'system' })).toBe(1);
    expect(value(metrics, 'caxton_agent_runs_in_flight', { agent: 'router' })).toBe(1);

    const other = await call('POST', '/api/agents/customer-support/chat', { body: { message: 'hello' } });
    expect([other.status, other.json.reply]).toEqual([200, 'fine']);
    expect((await slow).json.reply).toBe('slow answer');
  });
});
