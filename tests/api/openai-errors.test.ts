/**
 * What OpenAI clients see on /v1 (SPEC §6, src/api/openai-errors.ts): every kind of error in OpenAI's
 * shape as the official `openai` client parses it (its error class, `type`, `param`, `code`), a
 * streamed error chunk included; `models.retrieve` for NAME and OWNER/NAME; placeholder keys on a
 * daemon without required auth; a reply of the offline demo provider marked as such. The app runs
 * in-process behind a real HTTP listener; the agent's model is the fake OpenAI server.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiError } from '../../src/api/openai-errors.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';

/** Serve `t` on a loopback port (TCP transport); its /v1 base URL and a close function. */
async function listen(t: TestApp): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createAdaptorServer({ fetch: (req, env) => t.app.fetch(req, { ...env, transport: 'tcp' }) }) as Server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((r) => server.close(() => r())) };
}

/** The error `fn` rejects with (fails the test when it resolves). */
async function errorOf(fn: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the call to fail').toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hello' }] });
const askStream = (model: string) => ({ ...ask(model), stream: true as const });

let fake: FakeOpenAI;
let t: TestApp;
let http: Awaited<ReturnType<typeof listen>>;
let anon: OpenAI;
let keyed: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: { content: 'real model reply' } });
  t = await makeApp({ fakeUrl: fake.url, userRequestsPerMinute: { 'limited@example.com': 1 }, budgets: { api_key: { tokens_per_day: 1 } } });
  http = await listen(t);
  const call = client(t.app);
  for (const [email, handle] of [
    ['limited@example.com', undefined],
    ['bob@example.com', 'bob'],
  ] as const) {
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse', ...(handle ? { handle } : {}) } })).status).toBe(201);
  }
  const bob = (await call('POST', '/api/auth/login', { body: { email: 'bob@example.com', password: 'correct horse' } })).json.access_token as string;
  expect((await call('POST', '/api/agents', { token: bob, body: { name: 'helper', model: 'fast', system_prompt: 'Help.', is_public: true } })).status).toBe(
    201,
  );
  const key = (await call('POST', '/api/keys', { socket: true, as: 'limited@example.com', body: {} })).json.key as string;
  anon = new OpenAI({ apiKey: 'sk-anything', baseURL: http.base, maxRetries: 0 });
  keyed = new OpenAI({ apiKey: key, baseURL: http.base, maxRetries: 0 });
}, 30_000);

afterAll(async () => {
  await http?.close();
  await t?.close();
  await fake?.close();
});

describe('errors on /v1 in OpenAI shape, as the official client reads them', () => {
  it('an unknown route is 404 invalid_request_error', async () => {
    const err = await errorOf(() => anon.get('/no-such-route'));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect({ type: err.type, param: err.param, code: err.code }).toEqual({ type: 'invalid_request_error', param: null, code: 'not_found' });
    expect(err.message).toContain('no route for GET /v1/no-such-route');
  });

  it('an unknown model is 404 model_not_found naming param model, on chat and on models.retrieve', async () => {
    for (const call of [() => anon.chat.completions.create(ask('nobody')), () => anon.models.retrieve('nobody')]) {
      const err = await errorOf(call);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect({ type: err.type, param: err.param, code: err.code }).toEqual({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
      expect(err.message).toContain('The model `nobody` does not exist');
    }
  });

  it('an invalid body is 400 naming the field', async () => {
    const err = await errorOf(() => anon.chat.completions.create({ model: 'router', messages: [] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect({ type: err.type, param: err.param, code: err.code }).toEqual({ type: 'invalid_request_error', param: 'messages', code: 'bad_request' });
  });

  it('a bad cxk_ key and a bad JWT are 401 authentication_error, even on a daemon without required auth', async () => {
    for (const apiKey of ['cxk_not-a-real-key', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl']) {
      const sdk = new OpenAI({ apiKey, baseURL: http.base, maxRetries: 0 });
      const err = await errorOf(() => sdk.chat.completions.create(ask('router')));
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect({ type: err.type, code: err.code }).toEqual({ type: 'authentication_error', code: 'invalid_api_key' });
    }
  });

  it('a write from a foreign web page is 403 permission_error', async () => {
    const sdk = new OpenAI({ apiKey: 'sk-anything', baseURL: http.base, maxRetries: 0, defaultHeaders: { origin: 'https://evil.example' } });
    const err = await errorOf(() => sdk.chat.completions.create(ask('router')));
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.type).toBe('permission_error');
  });

  it('a budget is 429 insufficient_quota, the rate limit 429 rate_limit_exceeded, both rate_limit_error', async () => {
    const budget = await errorOf(() => keyed.chat.completions.create(ask('router')));
    expect(budget).toBeInstanceOf(OpenAI.RateLimitError);
    expect({ type: budget.type, code: budget.code, param: budget.param }).toEqual({
      type: 'rate_limit_error',
      code: 'insufficient_quota',
      param: 'api_key.tokens_per_day',
    });
    const rate = await errorOf(() => keyed.chat.completions.create(ask('router')));
    expect(rate).toBeInstanceOf(OpenAI.RateLimitError);
    expect({ type: rate.type, code: rate.code }).toEqual({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(rate.headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('a stopped agent is 503 server_error', async () => {
    expect((await client(t.app)('POST', '/api/agents/orchestrator/stop', { socket: true })).status).toBe(200);
    try {
      const err = await errorOf(() => anon.chat.completions.create(askStream('orchestrator')));
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect({ status: err.status, type: err.type, code: err.code }).toEqual({ status: 503, type: 'server_error', code: 'unavailable' });
    } finally {
      await client(t.app)('POST', '/api/agents/orchestrator/start', { socket: true });
    }
  });

  it('a failing provider is 502 server_error, and a streamed chat gets the same error as its error chunk', async () => {
    fake.enqueue({ status: 400 });
    const err = await errorOf(() => anon.chat.completions.create(ask('router')));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect({ status: err.status, type: err.type, code: err.code }).toEqual({ status: 502, type: 'server_error', code: 'provider_error' });

    fake.enqueue({ status: 400 });
    const stream = await anon.chat.completions.create(askStream('router'));
    const streamed = await errorOf(async () => {
      for await (const _chunk of stream) {
        // the role chunk, then the error chunk
      }
    });
    expect({ type: streamed.type, code: streamed.code, param: streamed.param }).toEqual({ type: 'server_error', code: 'provider_error', param: null });
    expect(streamed.message).toContain('provider openai');
  });

  it('maps the statuses no request above produces to OpenAI types', () => {
    const wire = { code: 'PAYLOAD_TOO_LARGE', message: 'too large', details: [{ field: 'body', message: 'over 1 MiB' }] };
    expect(openAiError(wire, 413).error).toEqual({ message: 'too large', type: 'invalid_request_error', param: 'body', code: 'payload_too_large' });
    expect(openAiError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'x', details: [] }, 415).error.type).toBe('invalid_request_error');
    expect(openAiError({ code: 'INTERNAL', message: 'x', details: [] }, 500).error).toMatchObject({ type: 'server_error', code: 'internal' });
  });

  it('the rest of the API keeps its own error shape', async () => {
    const res = await client(t.app)('GET', '/api/agents/nobody');
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'NOT_FOUND', details: expect.any(Array) });
    expect(res.json.error.type).toBeUndefined();
  });
});

describe('GET /v1/models/{id}', () => {
  it('retrieves NAME and OWNER/NAME as /v1/models lists them, the slash encoded or not', async () => {
    const listed = new Map<string, OpenAI.Model>();
    for await (const m of anon.models.list()) listed.set(m.id, m);
    expect(await anon.models.retrieve('router')).toEqual(listed.get('router'));
    expect(await anon.models.retrieve('bob/helper')).toEqual(listed.get('bob/helper'));
    const raw = await fetch(`${http.base}/models/bob/helper`);
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual(listed.get('bob/helper'));
  });
});

describe('keys on a loopback daemon without required auth', () => {
  it('a placeholder key (sk-anything, ollama) acts as the anonymous local user, as with Ollama', async () => {
    for (const apiKey of ['sk-anything', 'ollama']) {
      const sdk = new OpenAI({ apiKey, baseURL: http.base, maxRetries: 0 });
      const res = await sdk.chat.completions.create(ask('router'));
      expect(res.choices[0]!.message.content).toBe('real model reply');
      expect(res.system_fingerprint).toBeUndefined(); // a real model's reply
    }
  });

  it('a revoked key is 401', async () => {
    const call = client(t.app);
    const created = (await call('POST', '/api/keys', { socket: true, body: {} })).json as { id: string; key: string };
    expect((await call('DELETE', `/api/keys/${created.id}`, { socket: true })).status).toBe(204);
    const sdk = new OpenAI({ apiKey: created.key, baseURL: http.base, maxRetries: 0 });
    const err = await errorOf(() => sdk.models.list());
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('with auth required', () => {
  it('a placeholder key is 401 authentication_error', async () => {
    const strict = await makeApp({ authRequired: true, fakeUrl: fake.url });
    const served = await listen(strict);
    try {
      const sdk = new OpenAI({ apiKey: 'sk-anything', baseURL: served.base, maxRetries: 0 });
      const err = await errorOf(() => sdk.chat.completions.create(ask('router')));
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect({ type: err.type, code: err.code }).toEqual({ type: 'authentication_error', code: 'invalid_api_key' });
    } finally {
      await served.close();
      await strict.close();
    }
  });
});

describe('the offline demo provider', () => {
  it('marks its canned reply: system_fingerprint caxton-offline and X-Caxton-Provider: offline, stream and not', async () => {
    const demo = await makeApp();
    const served = await listen(demo);
    try {
      const sdk = new OpenAI({ apiKey: 'ollama', baseURL: served.base, maxRetries: 0 });
      const { data, response } = await sdk.chat.completions.create(ask('router')).withResponse();
      expect(data.system_fingerprint).toBe('caxton-offline');
      expect(data.choices[0]!.message.content).toContain('[offline]');
      expect(data.choices[0]!.finish_reason).toBe('stop');
      expect(response.headers.get('x-caxton-provider')).toBe('offline');
      const stream = await sdk.chat.completions.create(askStream('router'));
      for await (const chunk of stream) expect(chunk.system_fingerprint).toBe('caxton-offline');
    } finally {
      await served.close();
      await demo.close();
    }
  });
});
