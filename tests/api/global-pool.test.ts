/**
 * The global pool of runs (`[runtime] max_concurrent_runs`, STORY-023) as a client sees it: with
 * the pool full, a run of another agent waits in the global queue (shown in `/api/status` and
 * `/metrics`) and runs once a slot frees; with the global queue full too, a new run is refused at
 * once with 503 and `Retry-After` like a busy agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { value } from '../helpers/prometheus.js';
import { client, makeApp, type TestApp } from './fixture.js';

let fake: FakeOpenAI;
let t: TestApp;

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: { content: 'fine' } });
  t = await makeApp({ fakeUrl: fake.url, limits: { maxConcurrentRuns: 1, maxQueuedTotal: 1 } });
});
afterAll(async () => {
  t?.close();
  await fake?.close();
});

describe('the global pool of runs', () => {
  it('queues runs of other agents beyond max_concurrent_runs, refuses them when the global queue is full, and shows both', async () => {
    const call = client(t.app);
    const metric = async (name: string) => value(await (await t.app.request('/metrics')).text(), name, {});
    fake.enqueue({ content: 'slow answer', delay_ms: 1_500 });
    const slow = call('POST', '/api/agents/router/chat', { body: { message: 'take your time' } });
    await expect.poll(() => fake.requests.length, { timeout: 5_000 }).toBe(1);

    // Another agent has free slots of its own, but the pool has none: its run waits.
    const waiting = call('POST', '/api/agents/customer-support/chat', { body: { message: 'hello' } });
    await expect.poll(() => metric('caxton_runs_queued'), { timeout: 5_000 }).toBe(1);
    expect(await metric('caxton_runs_in_flight')).toBe(1);
    expect(await metric('caxton_runs_max_concurrent')).toBe(1);
    expect(fake.requests.length).toBe(1);
    const status = await call('GET', '/api/status', { socket: true });
    expect(status.json.runs).toEqual({ in_flight: 1, queued: 1, max_concurrent: 1 });

    const refused = await call('POST', '/api/agents/router/chat', { body: { message: 'me too' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/daemon is busy.*max_concurrent_runs = 1/) });

    expect((await slow).json.reply).toBe('slow answer');
    const served = await waiting;
    expect([served.status, served.json.reply]).toEqual([200, 'fine']);
    expect(await metric('caxton_runs_in_flight')).toBe(0);
    expect(await metric('caxton_runs_queued')).toBe(0);
  }, 20_000);
});
