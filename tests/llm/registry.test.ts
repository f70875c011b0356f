/** Provider registry: the passive health check (last failure shown in states, cleared by the next success). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry } from '../../src/llm/registry.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

const drain = async (it: AsyncIterable<unknown>) => {
  for await (const _ of it) void _;
};

describe('provider registry health', () => {
  it('reports the last failed request of a ready provider until a request succeeds', async () => {
    const reg = createProviderRegistry(
      { openai: { type: 'openai', base_url: fake.url, api_key_env: 'KEY', timeout_ms: 2000, max_retries: 0 } },
      { env: { KEY: 'sk-abcdefghijklmnop' } },
    );
    const p = await reg.get('openai');
    const req = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
    expect(reg.states()[0]).toEqual({ name: 'openai', type: 'openai', base_url: fake.url, state: 'ready' });
    fake.enqueue({ status: 401 });
    await expect(drain(p.chat(req))).rejects.toThrow(/rejected the API key/);
    expect(reg.states()[0]).toMatchObject({
      state: 'ready',
      reason: expect.stringMatching(/^last request failed \d+ s ago: provider openai rejected the API key \(HTTP 401\): check KEY$/),
    });
    expect(JSON.stringify(reg.states())).not.toContain('sk-abcdefghijklmnop');
    await drain(p.chat(req));
    expect(reg.states()[0]!.reason).toBeUndefined();
  });
});
