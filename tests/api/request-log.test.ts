/**
 * Correlated logs (STORY-021) through the in-process app over the daemon's wiring and the fake OpenAI
 * server: every line one chat request logs (its `request` line, its run's start, tool call and end)
 * carries the request's id, the run's lines its execution id and each line a component; the
 * `X-Request-Id` header is echoed, given or generated, on success, errors and event streams, and a
 * hostile one (too long, control characters, spaces, quotes) is replaced; error bodies name the request id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';
import { parseSse } from '../helpers/sse.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids in logs and responses', () => {
  let fake: FakeOpenAI;
  let t: TestApp;
  let call: ReturnType<typeof client>;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await makeApp({ fakeUrl: fake.url });
    call = client(t.app);
    const agent = { name: 'mathy', model: 'fast', system_prompt: 'You add.', tools: ['calculator'] };
    expect((await call('POST', '/api/agents', { body: agent })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('every line of a chat with a tool call carries the given request id; the run lines carry its execution id', async () => {
    fake.enqueue({ tool_calls: [{ name: 'calculator', arguments: '{"expression":"2+3"}' }] }, { content: 'five' });
    const from = t.lines.length;
    const res = await call('POST', '/api/agents/mathy/chat', { body: { message: 'add 2 and 3' }, headers: { 'x-request-id': 'trace-42_ab=' } });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-42_ab=');
    const lines = t.lines.slice(from);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['request', 'run started', 'tool call', 'run finished']));
    for (const line of lines) expect(line, String(line.msg)).toMatchObject({ request_id: 'trace-42_ab=', component: expect.any(String) });
    const runLines = lines.filter((l) => l.component === 'runtime');
    expect(runLines).toHaveLength(3);
    for (const line of runLines) expect(line).toMatchObject({ execution_id: res.json.execution_id, agent: 'mathy' });
    expect(lines.find((l) => l.msg === 'tool call')).toMatchObject({ tool: 'calculator', is_error: false, iteration: 1 });
    expect(lines.find((l) => l.msg === 'run finished')).toMatchObject({ status: 'success', finish_reason: 'stop', tool_calls: 1 });
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ component: 'api', method: 'POST', path: '/api/agents/mathy/chat', status: 200 });
    expect(JSON.stringify(lines)).not.toContain('add 2 and 3'); // what users write stays out of the log
  });

  // A raw CR or LF never reaches the app (HTTP parsers and fetch refuse such header values); the
  // other control characters, blanks and quotes that could forge or break a log line do.
  it('generates an id when none is given, and replaces a hostile one (too long, control characters, spaces, quotes)', async () => {
    const generated = await call('GET', '/api/agents');
    expect(generated.headers.get('x-request-id')).toMatch(UUID);
    for (const hostile of ['a'.repeat(129), 'x\tforged', 'x\u0001forged', 'two words', '"quoted"', '../etc']) {
      const from = t.lines.length;
      const res = await call('GET', '/api/agents', { headers: { 'x-request-id': hostile } });
      const id = res.headers.get('x-request-id')!;
      expect(id, hostile).toMatch(UUID);
      expect(t.lines.slice(from).every((l) => l.request_id === id)).toBe(true);
    }
    expect((await call('GET', '/api/agents', { headers: { 'x-request-id': 'b'.repeat(128) } })).headers.get('x-request-id')).toBe('b'.repeat(128));
  });

  it('echoes the id on errors, in the error body, and on event streams', async () => {
    const missing = await call('GET', '/api/agents/nobody', { headers: { 'x-request-id': 'err-1' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBe('err-1');
    expect(missing.json.error).toMatchObject({ code: 'NOT_FOUND', request_id: 'err-1' });
    const noRoute = await call('GET', '/no/such/route');
    expect(noRoute.json.error.request_id).toBe(noRoute.headers.get('x-request-id'));
    const invalid = await call('POST', '/api/agents', { body: { name: 'x' }, headers: { 'x-request-id': 'err-2' } });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.request_id).toBe('err-2');
    fake.enqueue({ content: 'streamed' });
    const sse = await call('POST', '/api/agents/mathy/chat', { body: { message: 'hi', stream: true }, headers: { 'x-request-id': 'sse-1' } });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    expect(sse.headers.get('x-request-id')).toBe('sse-1');
    expect(parseSse(sse.text).map((e) => e.event)).toContain('done');
  });

  it('echoes the id on responses a handler builds itself (/mcp)', async () => {
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    };
    const res = await t.app.request(
      '/mcp',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-request-id': 'mcp-1' },
        body: JSON.stringify(init),
      },
      { transport: 'tcp' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('mcp-1');
  });

  it('lets listed web origins read the X-Request-Id header (CORS)', async () => {
    const web = await makeApp({ boundary: { allowedHosts: [], corsOrigins: ['https://app.example.com'] } });
    try {
      const res = await web.app.request('/api/agents', { headers: { origin: 'https://app.example.com', 'x-request-id': 'web-1' } }, { transport: 'tcp' });
      expect(res.headers.get('x-request-id')).toBe('web-1');
      expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    } finally {
      await web.close();
    }
  });

  it('documents request_id in the OpenAPI error schema', async () => {
    const doc = (await call('GET', '/openapi.json')).json;
    expect(JSON.stringify(doc)).toContain('"request_id"');
  });
});
