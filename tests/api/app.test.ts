import { afterAll, describe, expect, it } from 'vitest';
import { makeApp } from './fixture.js';
import { parseSse } from '../helpers/sse.js';

// In-process: the real app over real parts (shipped config, SQLite file, offline provider), no port.
const { app, store, errors, close } = await makeApp({ maxBodyBytes: 1024 });
afterAll(() => close());

const post = (path: string, body: unknown) =>
  app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('HTTP API (in-process)', () => {
  it('GET and HEAD /health report the database', async () => {
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', version: '0.0.0-test', database: { ok: true, journal_mode: 'wal' } });
    const head = await app.request('/health', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('lists agents with their source tier', async () => {
    const body = (await (await app.request('/api/agents')).json()) as { agents: { name: string; source: string; model: string }[] };
    expect(body.agents.map((a) => [a.name, a.source, a.model])).toEqual([
      ['customer-support', 'system', 'balanced'],
      ['orchestrator', 'system', 'powerful'],
      ['router', 'system', 'fast'],
    ]);
  });

  it('POST /agents/:name/message answers and continues the conversation', async () => {
    const first = await post('/agents/router/message', { text: 'hello' });
    expect(first.status).toBe(200);
    const a = (await first.json()) as { reply: string; conversation_id: string; agent: string };
    expect(a.agent).toBe('router');
    expect(a.reply).toContain('[offline]');
    expect(a.reply).toContain('canned reply');
    expect(first.headers.get('x-caxton-provider')).toBe('offline');
    const second = (await (await post('/agents/router/message', { text: 'again', conversation_id: a.conversation_id })).json()) as { conversation_id: string };
    expect(second.conversation_id).toBe(a.conversation_id);
    expect((await store.conversations.messages(a.conversation_id)).map((m) => m.content)).toEqual([
      'hello',
      expect.stringContaining('hello'),
      'again',
      expect.stringContaining('again'),
    ]);
  });

  it('streams chat as SSE events ending in done', async () => {
    const res = await post('/api/agents/router/chat', { message: 'hi', stream: true });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await res.text()).map((e) => e.event);
    expect(events[0]).toBe('start');
    expect(events).toContain('text_delta');
    expect(events.at(-1)).toBe('done');
  });

  it('answers errors in the SPEC §6 shape with a fitting status, changing nothing', async () => {
    const unknown = await post('/agents/nobody/message', { text: 'x' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND', message: 'agent nobody not found' } });

    const malformed = await post('/agents/router/message', '{"text": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');

    const wrong = await post('/agents/router/message', { txt: 'x' });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(/text/);

    const big = await post('/agents/router/message', { text: 'x'.repeat(5000) });
    expect(big.status).toBe(413);

    const missingConv = await post('/agents/router/message', { text: 'x', conversation_id: 'conv_nope' });
    expect(missingConv.status).toBe(404);

    expect((await app.request('/no/such/route')).status).toBe(404);
    expect(errors).toEqual([]);
  });
});
