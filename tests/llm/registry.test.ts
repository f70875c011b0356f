/**
 * Provider registry: the passive health check (last failure shown in states, cleared by the next
 * success); a provider that cannot serve is PROVIDER_UNAVAILABLE with its reason (never the offline
 * provider in its place), re-probed until it comes up; the offline provider serves type `offline` only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
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

/** The error `get` rejects with. */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as DomainError,
  );

describe('providers that cannot serve', () => {
  it('an OpenAI provider without its key is PROVIDER_UNAVAILABLE naming it and the variable', async () => {
    const reg = createProviderRegistry({ openai: { type: 'openai', api_key_env: 'NO_KEY', timeout_ms: 1000, max_retries: 0 } }, { env: {} });
    const err = await refusal(reg.get('openai'));
    expect(err).toBeInstanceOf(DomainError);
    expect({ code: err!.code, message: err!.message, retry: err!.retryAfterSecs }).toEqual({
      code: 'PROVIDER_UNAVAILABLE',
      message: 'provider openai: NO_KEY is not set',
      retry: undefined,
    });
  });

  it('an unreachable OpenAI-compatible server is PROVIDER_UNAVAILABLE until it answers a probe, then used', async () => {
    const server: Server = createServer((_req, res) => res.end('{"data":[]}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r)); // nothing listens there now
    const base = `http://127.0.0.1:${port}/v1`;
    const reg = createProviderRegistry(
      { local: { type: 'openai-compatible', base_url: base, timeout_ms: 1000, max_retries: 0 } },
      { reprobeMs: 0, probeTimeoutMs: 500 },
    );
    const err = await refusal(reg.get('local'));
    expect({ code: err!.code, message: err!.message }).toEqual({ code: 'PROVIDER_UNAVAILABLE', message: `provider local: ${base} is not reachable` });
    expect(err!.retryAfterSecs).toBeGreaterThanOrEqual(1);
    expect(reg.states()[0]).toMatchObject({ state: 'offline', reason: `${base} is not reachable` });

    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      const provider = await reg.get('local');
      expect({ name: provider.name, type: provider.type }).toEqual({ name: 'local', type: 'openai-compatible' });
      expect(reg.states()[0]!.state).toBe('ready');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a provider of type offline is served by the offline provider', async () => {
    const reg = createProviderRegistry({ demo: { type: 'offline', timeout_ms: 1000, max_retries: 0 } });
    const provider = await reg.get('demo');
    expect(provider.type).toBe('offline');
    let text = '';
    for await (const ev of provider.chat({ model: 'offline', messages: [{ role: 'user', content: 'hi' }] })) if (ev.type === 'text_delta') text += ev.text;
    expect(text).toMatch(/^\[offline\] No language model is connected, so this is a canned reply\. You said: "hi"\./);
  });
});
