/**
 * Deleting a conversation a run is using (SPEC §6 history routes): 409 CONFLICT with a hint, the
 * conversation and its run untouched; once the run has ended the delete succeeds (204) and the
 * conversation is gone (404).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';

let fake: FakeOpenAI;
let t: TestApp;

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: { content: 'noted' } });
  t = await makeApp({ fakeUrl: fake.url });
});
afterAll(async () => {
  t?.close();
  await fake?.close();
});

describe('DELETE /api/conversations/:id while a run uses it', () => {
  it('answers 409 with a hint and deletes nothing; deletes once the run has ended', async () => {
    const call = client(t.app);
    const first = await call('POST', '/api/agents/router/chat', { body: { message: 'remember this' } });
    expect(first.status).toBe(200);
    const id = first.json.conversation_id as string;

    fake.enqueue({ content: 'second answer', delay_ms: 1_000 });
    const second = call('POST', '/api/agents/router/chat', { body: { message: 'and this', conversation_id: id } });
    await expect.poll(() => fake.requests.length, { timeout: 5_000 }).toBe(2);

    const busy = await call('DELETE', `/api/conversations/${id}`);
    expect(busy.status).toBe(409);
    expect(busy.json.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('in use by a run') });
    expect(busy.json.error.details[0].hint).toMatch(/wait until the run ends/);

    const done = await second;
    expect(done.status).toBe(200);
    expect(done.json.reply).toBe('second answer');
    expect((await call('GET', `/api/conversations/${id}`)).json.messages).toHaveLength(4);

    expect((await call('DELETE', `/api/conversations/${id}`)).status).toBe(204);
    expect((await call('GET', `/api/conversations/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/conversations/${id}`)).status).toBe(404);
  });
});
