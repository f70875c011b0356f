/**
 * The OpenAPI document is the truth (issue requirement "The OpenAPI document is the truth"): every
 * route is driven in-process — anonymous on loopback, with an access JWT, with an API key, as the
 * admin, over the control socket — to its successes and the errors cheap to cause, and every answer
 * is checked against `/openapi.json` with openapi-backend: its status must be declared for its
 * operation, its media type and required headers declared for that status, and a JSON body must
 * validate against the declared schema (SSE: every event's data is JSON, or `[DONE]`). The errors the middleware gives
 * every operation (401, 421/403, 413, 415, 429, 503) are caused on every operation of the document.
 * Finally every operation must have answered with a success at least once (exceptions listed).
 */
import { OpenAPIBackend, type Document, type Operation } from 'openapi-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { databaseOutage } from '../helpers/store-doubles.js';
import { makeApp, type TestApp } from './fixture.js';
import { parseSse } from '../helpers/sse.js';

/** Operations that never answer with a success, and why. */
const NO_SUCCESS: Record<string, string> = {
  getMcp: 'the MCP endpoint is stateless: GET (a server-sent stream) is always 405',
  deleteMcp: 'the MCP endpoint is stateless: DELETE (ending a session) is always 405',
};

const MAX_BODY = 4096;
const outage = databaseOutage();
let fake: FakeOpenAI;
let t: TestApp;
/** The parts of the document the test reads directly. */
type Doc = Omit<Document, 'paths'> & { paths: Record<string, Record<string, Operation>> };
let doc: Doc;
let api: OpenAPIBackend;
/** operationId -> statuses seen. */
const seen = new Map<string, Set<number>>();

interface Call {
  token?: string;
  body?: unknown;
  text?: string;
  type?: string;
  socket?: boolean;
  headers?: Record<string, string>;
}
interface Answer {
  status: number;
  json: any;
  text: string;
  type: string;
  operationId: string;
}

const mediaType = (h: string | null) => (h ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * Check one answer against the document: the operation of `method path`, the status declared for it,
 * the media type declared for that status, the headers it declares required, and a JSON body valid
 * against its schema.
 */
function check(method: string, path: string, res: Response, text: string): string {
  const { status } = res;
  const type = mediaType(res.headers.get('content-type'));
  const url = new URL(path, 'http://127.0.0.1');
  const op = api.matchOperation({ method, path: url.pathname, headers: {}, query: Object.fromEntries(url.searchParams) });
  expect(op, `${method} ${url.pathname} is an operation of the document`).toBeTruthy();
  const where = `${op!.operationId} answered ${status} (${type || 'no body'}): ${text.slice(0, 300)}`;
  const declared = op!.responses?.[String(status)] as
    { content?: Record<string, { schema: unknown }>; headers?: Record<string, { required?: boolean }> } | undefined;
  expect(declared, `${where}: status declared`).toBeDefined();
  for (const [name, header] of Object.entries(declared!.headers ?? {}))
    if (header.required) expect(res.headers.get(name), `${where}: header ${name}`).not.toBeNull();
  if (text !== '') {
    expect(Object.keys(declared!.content ?? {}), `${where}: media type declared`).toContain(type);
    if (type === 'application/json') {
      const result = api.validateResponse(JSON.parse(text), op!, status);
      expect(result.errors, `${where}: body valid`).toBeNull();
    } else if (type === 'text/event-stream') {
      const notJson = parseSse(text).filter((e) => typeof e.data === 'string' && e.data !== '[DONE]');
      expect(notJson, `${where}: every event's data is JSON or [DONE]`).toEqual([]);
    }
  }
  const statuses = seen.get(op!.operationId!) ?? new Set<number>();
  statuses.add(status);
  seen.set(op!.operationId!, statuses);
  return op!.operationId!;
}

/** Send a request to `app` (TCP unless `socket`) and check its answer against the document. */
async function send(app: TestApp, method: string, path: string, opts: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.text !== undefined) {
    body = opts.text;
    headers['content-type'] ??= opts.type ?? 'text/x-toon';
  } else if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await app.app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) }, { transport: opts.socket ? 'socket' : 'tcp' });
  const text = await res.text();
  const type = mediaType(res.headers.get('content-type'));
  const operationId = check(method, path, res, text);
  let json: any;
  try {
    json = type.endsWith('json') && text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, type, operationId };
}

/** Operations whose success is a stream that does not end (read up to its first event by `firstEvent`). */
const ENDLESS = new Set(['getApiEvents']);

/** GET an endless SSE `path` and check its answer with what arrived up to the first event (the stream is then cancelled). */
async function firstEvent(path: string, opts: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const res = await t.app.request(path, { headers }, { transport: 'tcp' });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  const operationId = check('GET', path, res, text);
  return { status: res.status, json: undefined, text, type: mediaType(res.headers.get('content-type')), operationId };
}

/** `send` to the main app, expecting `status`. */
async function expectStatus(status: number, method: string, path: string, opts: Call = {}): Promise<Answer> {
  const a = await send(t, method, path, opts);
  expect(a.status, `${method} ${path}: ${a.text.slice(0, 300)}`).toBe(status);
  return a;
}

/** Every operation of the document as a request: path parameters filled with `nobody`. */
function operations(): { method: string; path: string; operationId: string }[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace(/\{\w+\}/g, 'nobody'), operationId: op.operationId! })),
  );
}

const SAFE = new Set(['GET', 'HEAD']);
const agent = (name: string, extra: object = {}) => ({ name, system_prompt: 'You help.', ...extra });
const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

let alice: { jwt: string; key: string; refresh: string };
let bob: { jwt: string };
let admin: { jwt: string };

/** Register and log in `email` (handle from the email). */
async function account(email: string) {
  await expectStatus(201, 'POST', '/api/auth/register', { body: { email, password: 'correct horse' } });
  const login = await expectStatus(200, 'POST', '/api/auth/login', { body: { email, password: 'correct horse' } });
  return { jwt: login.json.access_token as string, refresh: login.json.refresh_token as string };
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: { content: 'fine' } });
  t = await makeApp({ fakeUrl: fake.url, maxBodyBytes: MAX_BODY, wrapStore: outage.wrap });
  doc = (await (await t.app.request('/openapi.json')).json()) as Doc;
  api = new OpenAPIBackend({ definition: structuredClone(doc) as Document, quick: true });
  await api.init();
  const a = await account('alice@example.com');
  alice = { ...a, key: (await expectStatus(201, 'POST', '/api/keys', { token: a.jwt, body: { name: 'contract' } })).json.key };
  bob = await account('bob@example.com');
  await expectStatus(201, 'POST', '/api/users', { socket: true, body: { email: 'root@example.com', password: 'correct horse', is_admin: true } });
  admin = { jwt: (await expectStatus(200, 'POST', '/api/auth/login', { body: { email: 'root@example.com', password: 'correct horse' } })).json.access_token };
}, 30_000);
afterAll(async () => {
  outage.down = false;
  await t?.close();
  await fake?.close();
});

describe('the document', () => {
  it('names every operation with a unique camelCase operationId, has a server, and says anonymous requests are served on loopback', () => {
    const ids = operations().map((o) => o.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(doc.security).toEqual([{ bearer: [] }, {}]);
    expect(doc.paths['/health']!.get!.security).toEqual([{}, { bearer: [] }]);
    const register = doc.paths['/api/auth/register']!.post!.requestBody as any;
    expect(register.content['application/json'].schema.properties.email.format).toBe('email');
    expect(Object.keys((doc.paths['/api/agents/import']!.post!.requestBody as any).content)).toEqual(
      expect.arrayContaining(['application/json', 'text/x-toon', 'application/toml']),
    );
    expect((doc.paths['/api/agents/import']!.post!.requestBody as any).content['application/json'].schema.type).toBe('object');
  });

  it('requires credentials where auth is required, except on the public operations', async () => {
    const strict = await makeApp({ authRequired: true });
    try {
      const strictDoc = (await (await strict.app.request('/openapi.json')).json()) as Doc;
      expect(strictDoc.security).toEqual([{ bearer: [] }]);
      expect((await send(strict, 'GET', '/api/agents')).status).toBe(401);
      expect((await send(strict, 'GET', '/health/live')).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

/** Each test drives many operations in turn: seconds on a loaded 2-core machine. */
describe('every operation answers as documented', { timeout: 30_000 }, () => {
  it('health, metrics, status and the document itself', async () => {
    await expectStatus(200, 'GET', '/health');
    await expectStatus(200, 'GET', '/health/live');
    for (const path of ['/health', '/health/live']) expect((await expectStatus(200, 'HEAD', path)).text).toBe('');
    expect([200, 503]).toContain((await send(t, 'HEAD', '/health/ready')).status);
    expect([200, 503]).toContain((await send(t, 'GET', '/health/ready')).status);
    expect((await expectStatus(200, 'GET', '/metrics')).type).toBe('text/plain');
    await expectStatus(200, 'GET', '/openapi.json');
    for (const opts of [{}, { token: admin.jwt }, { socket: true }]) {
      await expectStatus(200, 'GET', '/api/status', opts);
      await expectStatus(200, 'GET', '/api/config/status', opts);
    }
  });

  it('every read without path parameters, anonymous on loopback, with an access JWT and with an API key', async () => {
    const reads = operations().filter((o) => o.method === 'GET' && !o.path.includes('nobody') && !(o.operationId in NO_SUCCESS));
    for (const op of reads) {
      for (const token of [undefined, alice.jwt, alice.key]) {
        const opts = token ? { token } : {};
        const a = ENDLESS.has(op.operationId) ? await firstEvent(op.path, opts) : await send(t, op.method, op.path, opts);
        expect(a.status, `${op.operationId} ${token ? token.slice(0, 4) : 'anonymous'}`).toBeLessThan(op.path === '/health/ready' ? 504 : 300);
      }
    }
  });

  it('accounts, tokens, keys and users', async () => {
    await expectStatus(400, 'POST', '/api/auth/register', { body: { email: 'carol@example.com', password: 'short' } });
    await expectStatus(400, 'POST', '/api/auth/register', { body: { email: 'not an email', password: 'correct horse' } });
    await expectStatus(409, 'POST', '/api/auth/register', { body: { email: 'carol@example.com', password: 'correct horse', handle: 'alice' } });
    await expectStatus(401, 'POST', '/api/auth/login', { body: { email: 'alice@example.com', password: 'wrong horse' } });
    await expectStatus(400, 'POST', '/api/auth/login', { body: {} });
    await expectStatus(401, 'POST', '/api/auth/refresh', { body: { refresh_token: 'cxr_nothing' } });
    await expectStatus(400, 'POST', '/api/auth/refresh', { body: {} });
    const again = await account('dave@example.com');
    const rotated = await expectStatus(200, 'POST', '/api/auth/refresh', { body: { refresh_token: again.refresh } });
    await expectStatus(204, 'POST', '/api/auth/logout', { body: { refresh_token: rotated.json.refresh_token } });
    const key = await expectStatus(201, 'POST', '/api/keys', { token: alice.jwt });
    await expectStatus(200, 'GET', '/api/keys', { token: alice.key });
    await expectStatus(204, 'DELETE', `/api/keys/${key.json.id}`, { token: alice.jwt });
    await expectStatus(404, 'DELETE', `/api/keys/${key.json.id}`, { token: alice.jwt });
    await expectStatus(403, 'POST', '/api/users', { token: alice.jwt, body: { email: 'erin@example.com' } });
    await expectStatus(201, 'POST', '/api/users', { token: admin.jwt, body: { email: 'erin@example.com' } });
    await expectStatus(409, 'POST', '/api/users', { token: admin.jwt, body: { email: 'erin@example.com' } });
    for (const opts of [{}, { token: alice.jwt }, { token: alice.key }, { socket: true }]) await expectStatus(200, 'GET', '/api/me', opts);
  });

  it('agents: create, import, read, export, replace, delete', async () => {
    const token = alice.jwt;
    for (const opts of [{}, { token }, { token: alice.key }]) await expectStatus(200, 'GET', '/api/agents', opts);
    await expectStatus(400, 'GET', '/api/agents?source=elsewhere', { token });
    await expectStatus(201, 'POST', '/api/agents', { token, body: agent('helper', { is_public: true }) });
    await expectStatus(200, 'POST', '/api/agents?dry_run=true', { token, body: agent('preview') });
    await expectStatus(409, 'POST', '/api/agents', { token, body: agent('helper') });
    await expectStatus(400, 'POST', '/api/agents', { token, body: { name: 'nameless' } });
    await expectStatus(201, 'POST', '/api/agents/import', { token, text: 'name: imported\nsystem_prompt: You help.\n' });
    await expectStatus(200, 'POST', '/api/agents/import?dry_run=true', {
      token,
      text: 'name = "tomlish"\nsystem_prompt = "You help."\n',
      type: 'application/toml',
    });
    await expectStatus(201, 'POST', '/api/agents/import', { token, body: agent('jsonish') });
    await expectStatus(400, 'POST', '/api/agents/import', { token, text: 'name: [unclosed\n' });
    await expectStatus(200, 'GET', '/api/agents/helper', { token });
    for (const format of ['toon', 'toml', 'json']) {
      await expectStatus(200, 'GET', `/api/agents/helper?format=${format}`, { token });
      await expectStatus(200, 'GET', `/api/agents/helper/export?format=${format}`, { token });
    }
    await expectStatus(200, 'GET', '/api/agents/helper/export', { token });
    await expectStatus(400, 'GET', '/api/agents/helper?format=yaml', { token });
    await expectStatus(404, 'GET', '/api/agents/nobody', { token });
    await expectStatus(404, 'GET', '/api/agents/nobody/export', { token });
    await expectStatus(200, 'PUT', '/api/agents/imported', { token, body: { system_prompt: 'You help more.' } });
    await expectStatus(200, 'PUT', '/api/agents/imported?public=false', {
      token,
      text: 'name = "imported"\nsystem_prompt = "Again."\n',
      type: 'application/toml',
    });
    await expectStatus(404, 'PUT', '/api/agents/nobody', { token, body: { system_prompt: 'x' } });
    await expectStatus(204, 'DELETE', '/api/agents/jsonish', { token });
    await expectStatus(404, 'DELETE', '/api/agents/jsonish', { token });
  });

  it('agents: chat (JSON and SSE), rate, lifecycle', async () => {
    const token = alice.jwt;
    await expectStatus(201, 'POST', '/api/agents', { token, body: agent('talker', { is_public: true }) });
    await expectStatus(200, 'POST', '/api/agents/talker/chat', { token, body: { message: 'hi' } });
    expect((await expectStatus(200, 'POST', '/api/agents/talker/chat', { token, body: { message: 'hi', stream: true } })).type).toBe('text/event-stream');
    await expectStatus(404, 'POST', '/api/agents/nobody/chat', { token, body: { message: 'hi' } });
    await expectStatus(400, 'POST', '/api/agents/talker/chat', { token, body: { message: '' } });
    await expectStatus(200, 'POST', '/api/agents/alice%2Ftalker/chat', { token: bob.jwt, body: { message: 'hi' } });
    await expectStatus(409, 'POST', '/api/agents/alice%2Fhelper/rate', { token: bob.jwt, body: { stars: 4 } });
    await expectStatus(200, 'POST', '/api/agents/alice%2Ftalker/rate', { token: bob.jwt, body: { stars: 4 } });
    await expectStatus(403, 'POST', '/api/agents/talker/rate', { token, body: { stars: 4 } });
    await expectStatus(404, 'POST', '/api/agents/nobody/rate', { token, body: { stars: 4 } });
    await expectStatus(400, 'POST', '/api/agents/router/rate', { token, body: { stars: 4 } });
    await expectStatus(403, 'POST', '/api/agents/router/stop', { token });
    await expectStatus(404, 'POST', '/api/agents/nobody/stop', { token: admin.jwt });
    await expectStatus(200, 'POST', '/api/agents/router/stop', { token: admin.jwt });
    await expectStatus(409, 'POST', '/api/agents/router/stop', { token: admin.jwt });
    await expectStatus(503, 'POST', '/api/agents/router/chat', { body: { message: 'hi' } });
    await expectStatus(503, 'POST', '/api/agents/router/chat', { body: { message: 'hi', stream: true } });
    await expectStatus(503, 'POST', '/agents/router/message', { body: { text: 'hi' } });
    await expectStatus(200, 'POST', '/api/agents/router/start', { token: admin.jwt });
    await expectStatus(200, 'POST', '/api/agents/router/restart', { socket: true });
  });

  it('workflows: list, run (JSON and SSE), and workflow:NAME on /v1', async () => {
    const token = alice.jwt;
    await expectStatus(200, 'GET', '/api/workflows', { token });
    await expectStatus(200, 'POST', '/api/workflows/default/run', { token, body: { message: 'hi' } });
    expect((await expectStatus(200, 'POST', '/api/workflows/default/run', { token, body: { message: 'hi', stream: true } })).type).toBe('text/event-stream');
    await expectStatus(404, 'POST', '/api/workflows/nope/run', { token, body: { message: 'hi' } });
    await expectStatus(400, 'POST', '/api/workflows/default/run', { token, body: { message: '' } });
    await expectStatus(200, 'POST', '/v1/chat/completions', { token, body: { model: 'workflow:default', messages: [{ role: 'user', content: 'hi' }] } });
    await expectStatus(200, 'GET', '/v1/models/workflow:default', { token });
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    await expectStatus(400, 'POST', '/v1/chat/completions', { token, body: { model: 'workflow:default', tools, messages: [{ role: 'user', content: 'hi' }] } });
    await expectStatus(200, 'POST', '/v1/responses', { token, body: { model: 'workflow:default', input: 'hi' } });
    await expectStatus(200, 'POST', '/v1/responses', { token, body: { model: 'workflow:default', input: 'hi', stream: true } });
    await expectStatus(400, 'POST', '/v1/responses', { token, body: { model: 'workflow:default', input: 'hi', instructions: 'Be brief.' } });
    await expectStatus(200, 'POST', '/api/agents/router/stop', { token: admin.jwt });
    await expectStatus(503, 'POST', '/api/workflows/default/run', { token, body: { message: 'hi', stream: true } });
    await expectStatus(200, 'POST', '/api/agents/router/start', { token: admin.jwt });
  });

  it('the Caxton /agents paths', async () => {
    await expectStatus(200, 'GET', '/agents');
    const created = await expectStatus(201, 'POST', '/agents', { text: 'name = "deployed"\nsystem_prompt = "You help."\n', type: 'application/toml' });
    await expectStatus(200, 'POST', '/agents?dry_run=true', { body: agent('previewed') });
    await expectStatus(400, 'POST', '/agents', { text: 'name = \n', type: 'application/toml' });
    await expectStatus(200, 'GET', `/agents/${created.json.id}`);
    await expectStatus(200, 'GET', '/agents/router');
    await expectStatus(404, 'GET', '/agents/nobody');
    await expectStatus(200, 'POST', '/agents/deployed/message', { body: { text: 'hi' } });
    await expectStatus(404, 'POST', '/agents/nobody/message', { body: { text: 'hi' } });
    await expectStatus(204, 'DELETE', `/agents/${created.json.id}`);
    await expectStatus(404, 'DELETE', '/agents/router');
  });

  it('tools and MCP servers', async () => {
    const token = alice.jwt;
    const tool = { name: 'lookup', description: 'Looks up', type: 'http', config: { url: 'https://example.com/' } };
    const mcp = { name: 'remote', url: 'https://example.com/mcp' };
    for (const [kind, entity] of [
      ['tools', tool],
      ['mcps', mcp],
    ] as const) {
      await expectStatus(200, 'GET', `/api/${kind}`, { token: alice.key });
      await expectStatus(201, 'POST', `/api/${kind}`, { token, body: entity });
      await expectStatus(409, 'POST', `/api/${kind}`, { token, body: entity });
      await expectStatus(400, 'POST', `/api/${kind}`, { token, body: { name: 'bad name!' } });
      await expectStatus(200, 'GET', `/api/${kind}/${entity.name}`, { token });
      await expectStatus(404, 'GET', `/api/${kind}/nobody`, { token });
      await expectStatus(200, 'PUT', `/api/${kind}/${entity.name}`, { token, body: { ...entity, is_public: true } });
      await expectStatus(404, 'PUT', `/api/${kind}/nobody`, { token, body: { ...entity, name: 'nobody' } });
      await expectStatus(204, 'DELETE', `/api/${kind}/${entity.name}`, { token });
      await expectStatus(404, 'DELETE', `/api/${kind}/${entity.name}`, { token });
    }
    await expectStatus(409, 'POST', '/api/tools', { token, body: { ...tool, name: 'calculator' } });
    await expectStatus(403, 'POST', '/api/mcps', { token, body: { name: 'local', command: 'true' } });
    await expectStatus(201, 'POST', '/api/mcps', { token, body: mcp });
    await expectStatus(403, 'PUT', '/api/mcps/remote', { token, body: { name: 'remote', command: 'true' } });
    await expectStatus(400, 'PUT', '/api/mcps/remote', { token, body: { name: 'remote', url: 'http://127.0.0.1:1/mcp' } });
    await expectStatus(200, 'GET', '/api/mcp/servers', { token });
    await expectStatus(200, 'GET', '/api/mcp/servers', { token: admin.jwt });
  });

  it('history and usage', async () => {
    const token = alice.jwt;
    const chat = await expectStatus(200, 'POST', '/api/agents/talker/chat', { token, body: { message: 'remember me' } });
    await expectStatus(200, 'GET', '/api/executions?limit=5', { token: alice.key });
    await expectStatus(400, 'GET', '/api/executions?limit=0', { token });
    const page = await expectStatus(200, 'GET', '/api/executions?limit=1&status=success&finish_reason=stop&agent=talker&since=0', { token });
    await expectStatus(200, 'GET', `/api/executions?until=${Date.now() + 1}${page.json.next_cursor ? `&cursor=${page.json.next_cursor}` : ''}`, { token });
    await expectStatus(400, 'GET', '/api/executions?cursor=bm9wZQ', { token });
    await expectStatus(200, 'GET', '/api/executions/stats?window=3600', { token });
    await expectStatus(200, 'GET', '/api/executions/stats', { token: admin.jwt });
    await expectStatus(400, 'GET', '/api/executions/stats?window=1', { token });
    const traced = await expectStatus(200, 'POST', '/api/agents/talker/chat', { token, body: { message: 'trace me', trace: true } });
    await expectStatus(200, 'GET', `/api/executions/${traced.json.execution_id}/trace?kind=model_call,end`, { token });
    await expectStatus(400, 'GET', `/api/executions/${traced.json.execution_id}/trace?kind=nope`, { token });
    await expectStatus(404, 'GET', `/api/executions/${traced.json.execution_id}/trace`, { token: bob.jwt });
    await expectStatus(404, 'GET', `/api/executions/${chat.json.execution_id}/trace`, { token });
    await expectStatus(200, 'GET', `/api/executions/${chat.json.execution_id}`, { token });
    await expectStatus(404, 'GET', `/api/executions/${chat.json.execution_id}`, { token: bob.jwt });
    await expectStatus(200, 'GET', '/api/conversations', { token });
    await expectStatus(400, 'GET', '/api/conversations?limit=many', { token });
    await expectStatus(200, 'GET', `/api/conversations/${chat.json.conversation_id}`, { token });
    await expectStatus(404, 'GET', `/api/conversations/${chat.json.conversation_id}`, { token: bob.jwt });
    await expectStatus(204, 'DELETE', `/api/conversations/${chat.json.conversation_id}`, { token });
    await expectStatus(404, 'DELETE', `/api/conversations/${chat.json.conversation_id}`, { token });
    await expectStatus(200, 'GET', '/api/usage', { token: alice.key });
    await expectStatus(200, 'GET', '/api/usage?by=user&period=day', { token: admin.jwt });
    await expectStatus(400, 'GET', '/api/usage?by=planet', { token });
    await expectStatus(403, 'GET', '/api/usage?by=user', { token });
    await expectStatus(404, 'GET', '/api/usage?user=nobody@example.com', { token: admin.jwt });
    await expectStatus(200, 'GET', '/api/users/alice@example.com/limits', { token: admin.jwt });
    await expectStatus(403, 'GET', '/api/users/alice@example.com/limits', { token });
    await expectStatus(404, 'GET', '/api/users/nobody/limits', { token: admin.jwt });
    await expectStatus(200, 'PUT', '/api/users/alice@example.com/limits', { token: admin.jwt, body: { usd_per_day: 5 } });
    await expectStatus(400, 'PUT', '/api/users/alice@example.com/limits', { token: admin.jwt, body: { usd_per_day: -1 } });
  });

  it('shared conversations: create, post (JSON and SSE), join, leave', async () => {
    const token = alice.jwt;
    const conv = await expectStatus(201, 'POST', '/api/conversations', { token, body: { participants: ['talker', 'router'] } });
    const id = conv.json.id as string;
    await expectStatus(404, 'POST', '/api/conversations', { token, body: { participants: ['nobody'] } });
    await expectStatus(400, 'POST', '/api/conversations', { token, body: { participants: ['all'] } });
    await expectStatus(200, 'POST', `/api/conversations/${id}/messages`, { token, body: { text: 'hello both', to: 'all' } });
    const stream = await expectStatus(200, 'POST', `/api/conversations/${id}/messages`, { token, body: { text: 'and you', to: 'router', stream: true } });
    expect(stream.type).toBe('text/event-stream');
    await expectStatus(400, 'POST', `/api/conversations/${id}/messages`, { token, body: { text: 'hi', to: 'nobody' } });
    await expectStatus(404, 'POST', `/api/conversations/${id}/messages`, { token: bob.jwt, body: { text: 'hi' } });
    await expectStatus(200, 'GET', `/api/conversations/${id}`, { token });
    await expectStatus(400, 'POST', `/api/conversations/${id}/participants`, { token, body: { agent: 'user' } });
    await expectStatus(404, 'POST', `/api/conversations/${id}/participants`, { token: bob.jwt, body: { agent: 'router' } });
    await expectStatus(409, 'POST', `/api/conversations/${id}/participants`, { token, body: { agent: 'router' } });
    await expectStatus(204, 'DELETE', `/api/conversations/${id}/participants/router`, { token });
    await expectStatus(204, 'DELETE', `/api/conversations/${id}/participants/talker`, { token });
    await expectStatus(404, 'DELETE', `/api/conversations/${id}/participants/talker`, { token });
    await expectStatus(409, 'POST', `/api/conversations/${id}/messages`, { token, body: { text: 'anyone?' } });
    await expectStatus(200, 'POST', `/api/conversations/${id}/participants`, { token, body: { agent: 'router' } });
  });

  it('approvals: a paused run listed, approved (JSON and SSE), rejected; decided twice, or by another user', async () => {
    const token = alice.jwt;
    await expectStatus(201, 'POST', '/api/agents', { token, body: agent('gatekeeper', { tools: ['calculator'], approval: ['calculator'] }) });
    const pause = async (id: string) => {
      fake.enqueue({ tool_calls: [{ id, name: 'calculator', arguments: '{"expression":"1+1"}' }] });
      const paused = await expectStatus(200, 'POST', '/api/agents/gatekeeper/chat', { token, body: { message: 'sum' } });
      expect(paused.json.finish_reason).toBe('awaiting_approval');
      return paused.json.execution_id as string;
    };
    const first = await pause('call_c1');
    expect((await expectStatus(200, 'GET', '/api/approvals', { token })).json.approvals).toHaveLength(1);
    await expectStatus(200, 'GET', '/api/approvals?all=true', { token: admin.jwt });
    await expectStatus(404, 'POST', `/api/executions/${first}/approve`, { token: bob.jwt });
    await expectStatus(200, 'POST', `/api/executions/${first}/approve`, { token });
    await expectStatus(409, 'POST', `/api/executions/${first}/approve`, { token });
    const second = await pause('call_c2');
    expect((await expectStatus(200, 'POST', `/api/executions/${second}/reject`, { token, body: { reason: 'no', stream: true } })).type).toBe(
      'text/event-stream',
    );
    await expectStatus(409, 'POST', `/api/executions/${second}/reject`, { token });
    await expectStatus(400, 'POST', `/api/executions/${second}/reject`, { token, body: { reason: 7 } });
    const third = await pause('call_c3');
    expect((await expectStatus(200, 'POST', `/api/executions/${third}/approve`, { token, body: { stream: true } })).type).toBe('text/event-stream');
    await expectStatus(404, 'POST', '/api/executions/nobody/reject', { token });
  });

  it('capabilities: list and routed chat (JSON and SSE)', async () => {
    const token = alice.jwt;
    await expectStatus(200, 'GET', '/api/capabilities', { token });
    await expectStatus(200, 'POST', '/api/capabilities/routing/chat', { token, body: { message: 'hello' } });
    await expectStatus(200, 'POST', '/api/capabilities/routing/chat', { token, body: { message: 'hello', stream: true } });
    await expectStatus(400, 'POST', '/api/capabilities/routing/chat', { token, body: { message: '' } });
    await expectStatus(404, 'POST', '/api/capabilities/no-such-capability/chat', { token, body: { message: 'hello' } });
    await expectStatus(200, 'POST', '/api/agents/router/stop', { token: admin.jwt });
    await expectStatus(503, 'POST', '/api/capabilities/routing/chat', { token, body: { message: 'hello' } });
    await expectStatus(200, 'POST', '/api/agents/router/start', { token: admin.jwt });
  });

  it('memory items, conversation context and embeddings', async () => {
    const token = alice.jwt;
    const item = await expectStatus(201, 'POST', '/api/memory', { token, body: { text: 'The spare key is under the blue flower pot.' } });
    await expectStatus(400, 'POST', '/api/memory', { token, body: { text: '' } });
    await expectStatus(200, 'GET', '/api/memory', { token: alice.key });
    await expectStatus(200, 'POST', '/api/memory/search', { token, body: { query: 'where is the key?', mode: 'hybrid' } });
    await expectStatus(400, 'POST', '/api/memory/search', { token, body: { query: '' } });
    await expectStatus(200, 'GET', '/api/memory/stats', { token });
    await expectStatus(403, 'POST', '/api/memory/reindex', { token });
    await expectStatus(200, 'POST', '/api/memory/reindex', { token: admin.jwt });
    const progress = await expectStatus(200, 'POST', '/api/memory/reindex', { token: admin.jwt, headers: { accept: 'text/event-stream' } });
    expect(progress.type).toBe('text/event-stream');
    const progressEvents = parseSse(progress.text).map((e) => e.event);
    expect(progressEvents.slice(0, -1)).toContain('progress');
    expect(progressEvents.at(-1)).toBe('done');
    await expectStatus(403, 'POST', '/api/memory/reindex', { token, headers: { accept: 'text/event-stream' } });
    await expectStatus(404, 'DELETE', `/api/memory/${item.json.id}`, { token: bob.jwt });
    await expectStatus(204, 'DELETE', `/api/memory/${item.json.id}`, { token });
    const chat = await expectStatus(200, 'POST', '/api/agents/talker/chat', { token, body: { message: 'hello' } });
    await expectStatus(404, 'DELETE', `/api/conversations/${chat.json.conversation_id}/messages`, { token: bob.jwt });
    await expectStatus(200, 'DELETE', `/api/conversations/${chat.json.conversation_id}/messages`, { token });
    await expectStatus(200, 'POST', '/v1/embeddings', { token: alice.key, body: { model: 'builtin', input: ['one', 'two'] } });
    await expectStatus(404, 'POST', '/v1/embeddings', { token: alice.key, body: { model: 'nobody', input: 'one' } });
    await expectStatus(400, 'POST', '/v1/embeddings', { token: alice.key, body: { model: 'builtin' } });
  }, 30_000);

  it('MCP over Streamable HTTP', async () => {
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'contract', version: '1' } },
    };
    await expectStatus(200, 'POST', '/mcp', { body: init, headers: MCP_HEADERS });
    const list = await expectStatus(200, 'POST', '/mcp', { token: alice.key, body: { jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers: MCP_HEADERS });
    expect(list.json.result.tools.length).toBeGreaterThan(0);
    await expectStatus(202, 'POST', '/mcp', { body: { jsonrpc: '2.0', method: 'notifications/initialized' }, headers: MCP_HEADERS });
    await expectStatus(400, 'POST', '/mcp', { body: '{not json', headers: MCP_HEADERS });
    await expectStatus(406, 'POST', '/mcp', { body: init, headers: { accept: 'application/json' } });
    await expectStatus(415, 'POST', '/mcp', { socket: true, text: JSON.stringify(init), type: 'text/plain', headers: MCP_HEADERS });
    await expectStatus(405, 'GET', '/mcp');
    await expectStatus(405, 'DELETE', '/mcp');
  });

  it('the OpenAI-compatible endpoints (JSON)', async () => {
    await expectStatus(200, 'GET', '/v1/models', { token: alice.key });
    await expectStatus(200, 'GET', '/v1/models/talker', { token: alice.key });
    await expectStatus(404, 'GET', '/v1/models/nobody', { token: alice.key });
    await expectStatus(200, 'GET', '/v1/models/alice/talker', { token: bob.jwt });
    await expectStatus(404, 'GET', '/v1/models/alice/nobody', { token: bob.jwt });
    await expectStatus(200, 'POST', '/v1/chat/completions', { token: alice.key, body: { model: 'talker', messages: [{ role: 'user', content: 'hi' }] } });
    await expectStatus(404, 'POST', '/v1/chat/completions', { body: { model: 'nobody', messages: [{ role: 'user', content: 'hi' }] } });
    await expectStatus(400, 'POST', '/v1/chat/completions', { body: { model: 'talker', messages: [] } });
  });

  it('the OpenAI-compatible endpoints (SSE)', async () => {
    const chat = await expectStatus(200, 'POST', '/v1/chat/completions', {
      token: alice.key,
      body: { model: 'talker', stream: true, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(chat.type).toBe('text/event-stream');
    const streamed = await expectStatus(200, 'POST', '/v1/responses', { token: alice.key, body: { model: 'talker', input: 'hi', stream: true } });
    expect(parseSse(streamed.text).map((e) => e.event)).toContain('response.completed');
  });

  it('the Responses API (JSON)', async () => {
    const first = await expectStatus(200, 'POST', '/v1/responses', { token: alice.key, body: { model: 'talker', input: 'hi' } });
    await expectStatus(200, 'POST', '/v1/responses', { token: alice.key, body: { model: 'talker', input: 'again', previous_response_id: first.json.id } });
    await expectStatus(404, 'POST', '/v1/responses', { token: bob.jwt, body: { model: 'talker', input: 'x', previous_response_id: first.json.id } });
    await expectStatus(404, 'POST', '/v1/responses', { token: alice.key, body: { model: 'nobody', input: 'hi' } });
    await expectStatus(400, 'POST', '/v1/responses', { token: alice.key, body: { model: 'talker' } });
  });
});

describe("the middleware's errors, on every operation", { timeout: 30_000 }, () => {
  it('bad credentials: 401', async () => {
    for (const op of operations()) expect((await send(t, op.method, op.path, { token: 'cxk_not-a-key' })).status, op.operationId).toBe(401);
  });

  it('a foreign Host: 421 (403 on /mcp)', async () => {
    for (const op of operations()) {
      const status = (await send(t, op.method, op.path, { headers: { host: 'rebound.example' } })).status;
      expect(status, op.operationId).toBe(op.path === '/mcp' ? 403 : 421);
    }
  });

  it('on operations that take a body: a foreign Origin 403, a body too large 413, an unaccepted Content-Type 415', async () => {
    for (const op of operations().filter((o) => !SAFE.has(o.method))) {
      const origin = await send(t, op.method, op.path, { headers: { origin: 'https://evil.example' }, body: {} });
      expect(origin.status, op.operationId).toBe(403);
      const large = await send(t, op.method, op.path, { text: 'x'.repeat(MAX_BODY + 1), type: 'application/json' });
      expect(large.status, op.operationId).toBe(413);
      const plain = await send(t, op.method, op.path, { text: 'hello', type: 'text/plain' });
      expect(plain.status, op.operationId).toBe(415);
    }
  });

  it('the database down: 503 for every request that needs it', async () => {
    outage.down = true;
    try {
      for (const op of operations()) {
        const status = (await send(t, op.method, op.path, { token: alice.jwt, ...(SAFE.has(op.method) ? {} : { body: {} }) })).status;
        expect(status, op.operationId).toBe(503);
      }
    } finally {
      outage.down = false;
    }
  });

  it('past the rate limit: 429, except on the probes', async () => {
    const limited = await makeApp({ requestsPerMinute: 1 });
    try {
      await send(limited, 'GET', '/api/me');
      for (const op of operations()) {
        const status = (await send(limited, op.method, op.path)).status;
        if (/^\/(health|metrics)/.test(op.path)) expect(status, op.operationId).not.toBe(429);
        else expect(status, op.operationId).toBe(429);
      }
    } finally {
      await limited.close();
    }
  });
});

describe('coverage', () => {
  it('every operation of the document answered with a success at least once', () => {
    const missing = operations()
      .map((o) => o.operationId)
      .filter((id) => !(id in NO_SUCCESS) && ![...(seen.get(id) ?? [])].some((s) => s < 400));
    expect(missing).toEqual([]);
    for (const id of Object.keys(NO_SUCCESS)) expect(seen.get(id), id).toBeDefined();
  });
});
