/**
 * The HTTP API over TCP as a script or browser uses it (SPEC §6): the Caxton message path with
 * persisted conversations, /health (GET and HEAD), and the error shape for unknown agents and bad JSON.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { homeRegistry, requireBuild } from '../helpers/cli.js';

requireBuild();

interface MessageReply {
  agent: string;
  reply: string;
  conversation_id: string;
  execution_id: string;
  usage: { input_tokens: number; output_tokens: number };
}

interface ErrorReply {
  error: { code: string; message: string; details?: unknown[] };
}

/** Send raw HTTP/1.1 and return everything the server sends until it closes the connection. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (data += d));
    s.once('end', () => resolve(data));
    s.once('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error(`no answer; got so far: ${JSON.stringify(data)}`)));
    s.write(request);
  });
}

describe('HTTP API over TCP (real daemon)', { timeout: 20_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let url = '';
  let port = 0;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const home = await homes.createWithFake(fake.url);
    await home.start();
    url = (await home.status()).url;
    port = Number(new URL(url).port);
  }, 20_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${url}${path}`, { method: 'POST', headers, body });
  const chatBodies = () =>
    fake.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as { messages: { role: string; content: string }[]; stream: boolean });

  it('POST /agents/:name/message answers with the reply and a conversation id; continuing sends the history', async () => {
    fake.enqueue({ content: 'customer-support' }, { content: 'orchestrator, this time' });

    const res1 = await post('/agents/router/message', JSON.stringify({ text: 'hi' }));
    expect(res1.status).toBe(200);
    expect(res1.headers.get('content-type')).toMatch(/application\/json/);
    const first = (await res1.json()) as MessageReply;
    expect(first.reply).toBe('customer-support');
    expect(first.conversation_id).toMatch(/\S/);
    expect(first.agent).toBe('router');

    const res2 = await post('/agents/router/message', JSON.stringify({ text: 'and now?', conversation_id: first.conversation_id }));
    expect(res2.status).toBe(200);
    const second = (await res2.json()) as MessageReply;
    expect(second.reply).toBe('orchestrator, this time');
    expect(second.conversation_id).toBe(first.conversation_id);

    const bodies = chatBodies();
    expect(bodies).toHaveLength(2);
    const msgs = bodies[1]!.messages;
    expect(msgs[0]!.role).toBe('system');
    expect(msgs.slice(1)).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'customer-support' },
      { role: 'user', content: 'and now?' },
    ]);
    // A new conversation starts empty.
    expect(bodies[0]!.messages.slice(1)).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('an unknown conversation id is a 404 in the error shape, not a silent new conversation', async () => {
    const res = await post('/agents/router/message', JSON.stringify({ text: 'hi', conversation_id: 'conv_does_not_exist' }));
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorReply;
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.message).toContain('conv_does_not_exist');
    expect(chatBodies()).toHaveLength(0);
  });

  it('GET /health -> 200 {"status":"ok"} with database info; HEAD /health -> 200 with no body', async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { status: string; database: { ok: boolean; journal_mode: string; schema_version: number } };
    expect(body.status).toBe('ok');
    expect(body.database.ok).toBe(true);
    expect(body.database.journal_mode).toBe('wal');
    expect(body.database.schema_version).toBeGreaterThanOrEqual(1);

    const head = await fetch(`${url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    // On the wire: status line 200 and nothing after the headers.
    const raw = await rawHttp(port, 'HEAD /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    const sep = raw.indexOf('\r\n\r\n');
    expect(sep).toBeGreaterThan(0);
    expect(raw.slice(sep + 4)).toBe('');
  });

  it('unknown agent -> 404 {"error":{"code","message"}} naming the agent', async () => {
    const res = await post('/agents/no-such-agent/message', JSON.stringify({ text: 'hi' }));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as ErrorReply;
    expect(body.error.code).toBe('NOT_FOUND');
    expect(typeof body.error.message).toBe('string');
    expect(body.error.message).toContain('no-such-agent');
    expect(chatBodies()).toHaveLength(0);
  });

  it('malformed JSON -> 400 in the error shape; a missing field -> 400 naming the field', async () => {
    const res = await post('/agents/router/message', '{"text": "hi"');
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorReply;
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toMatch(/JSON/);

    const missing = await post('/agents/router/message', JSON.stringify({ message: 'wrong field name' }));
    expect(missing.status).toBe(400);
    const mbody = (await missing.json()) as ErrorReply;
    expect(mbody.error.code).toBe('BAD_REQUEST');
    expect(mbody.error.message).toContain('text');
    expect(chatBodies()).toHaveLength(0);
  });

  it('an unknown API route is a 404 in the same error shape (other paths are the dashboard page)', async () => {
    for (const path of ['/api/no/such/route', '/no/such/route']) {
      const res = await fetch(`${url}${path}`, { method: 'POST' });
      expect(res.status, path).toBe(404);
      const body = (await res.json()) as ErrorReply;
      expect(body.error.code).toBe('NOT_FOUND');
      expect(body.error.message).toMatch(/\S/);
    }
    const page = await fetch(`${url}/no/such/route`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
