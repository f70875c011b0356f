/**
 * The browser boundary (SPEC §6 "Web pages are not clients"), in-process with raw headers: what a web
 * page can make a browser send (foreign Origin, "simple" content types, a rebound Host) is refused
 * with no side effect, while the CLI, curl and SDKs (no Origin), same-origin pages and listed CORS
 * origins keep working. Includes the checks of the MCP conformance suite's `dns-rebinding-protection`
 * scenario against `/mcp` (an `initialize` with `Host: evil.example.com` must get 403, one with the
 * server's own localhost Host a 2xx).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_USER_ID } from '../../src/domain/users.js';
import { makeApp, type TestApp } from './fixture.js';
import { seedConversation } from '../helpers/store.js';

const EVIL = 'https://evil.example';
const LISTED = 'https://app.example.com';
const agentJson = (name: string) => JSON.stringify({ name, system_prompt: 'You help.', is_public: true });

let t: TestApp;
afterEach(async () => t?.close());

async function setup() {
  t = await makeApp({ boundary: { allowedHosts: ['caxton.lan', 'box.lan:9000'], corsOrigins: [LISTED] } });
  const conversation = { id: await seedConversation(t.store, 'router', LOCAL_USER_ID, [{ role: 'user', content: 'hi' }]) };
  /** One raw request over TCP (the default transport of app.request here). */
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    t.app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) }, { transport: 'tcp' });
  /** What the local user owns and ran: a refused request must change none of it. */
  const state = async () => ({
    agents: (await t.store.tenants.entities.visible('agents', LOCAL_USER_ID)).map((e) => e.value.name),
    keys: (await t.store.tenants.users.listApiKeys(LOCAL_USER_ID)).map((k) => k.id),
    conversations: (await t.store.tenants.history.conversations(LOCAL_USER_ID, { limit: 100 })).map((c) => c.id),
    executions: (await t.store.tenants.history.executions(LOCAL_USER_ID, { limit: 100 })).length,
  });
  /** The four requests a cross-site page was seen to get served, with the given extra headers. */
  const attacks = (headers: Record<string, string>) => [
    send('POST', '/api/agents/router/chat', headers, JSON.stringify({ message: 'hi' })),
    send('POST', '/api/agents', headers, agentJson('evil-agent')),
    send('POST', '/api/keys', headers, JSON.stringify({ name: 'stolen' })),
    send('DELETE', `/api/conversations/${conversation.id}`, headers),
  ];
  return { send, state, conversation, attacks };
}

describe('browser boundary: refused requests change nothing', () => {
  it('a cross-site simple request (text/plain + foreign Origin) gets 403 on chat, create agent, create key and delete conversation', async () => {
    const { state, attacks } = await setup();
    const before = await state();
    for (const res of await Promise.all(attacks({ origin: EVIL, 'content-type': 'text/plain' }))) {
      expect(res.status).toBe(403);
      const body = (await res.json()) as { error: { code: string; details: { hint?: string }[] } };
      expect(body.error.code).toBe('FORBIDDEN');
      expect(body.error.details[0]!.hint).toContain('[server] cors_origins');
    }
    expect(await state()).toEqual(before);
  });

  it('a foreign Origin is refused even with a JSON body, and `Origin: null` counts as foreign', async () => {
    const { state, attacks } = await setup();
    const before = await state();
    for (const origin of [EVIL, 'null', 'http://localhost:9999']) {
      for (const res of await Promise.all(attacks({ origin, host: 'localhost:8080', 'content-type': 'application/json' }))) expect(res.status).toBe(403);
    }
    expect(await state()).toEqual(before);
  });

  it('simple content types on JSON endpoints get 415, without Origin too and even with an empty body', async () => {
    const { send, state, conversation } = await setup();
    const before = await state();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain;charset=UTF-8']) {
      const chat = await send('POST', '/api/agents/router/chat', { 'content-type': type }, JSON.stringify({ message: 'hi' }));
      expect(chat.status).toBe(415);
      expect(((await chat.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect((await send('POST', '/api/agents', { 'content-type': type }, agentJson('typed-agent'))).status).toBe(415);
      expect((await send('POST', '/api/keys', { 'content-type': type })).status).toBe(415);
      expect((await send('DELETE', `/api/conversations/${conversation.id}`, { 'content-type': type })).status).toBe(415);
      expect((await send('POST', '/mcp', { 'content-type': type, accept: 'application/json, text/event-stream' }, '{}')).status).toBe(415);
    }
    // A string body without a Content-Type header is sent as text/plain by fetch: refused the same way.
    expect((await send('POST', '/api/agents', {}, agentJson('untyped'))).status).toBe(415);
    expect(await state()).toEqual(before);
  });

  it('a Host that is not loopback nor configured gets 421 MISDIRECTED naming [server] allowed_hosts, for reads too', async () => {
    const { send, state } = await setup();
    const before = await state();
    for (const host of ['evil.example:8080', 'evil.example', 'box.lan:8080', '127.0.0.1.evil.example', 'localhost.evil.example:8080']) {
      const res = await send('GET', '/api/agents', { host });
      expect(res.status).toBe(421);
      const body = (await res.json()) as { error: { code: string; message: string; details: { hint?: string }[] } };
      expect(body.error.code).toBe('MISDIRECTED');
      expect(body.error.message).toContain(host);
      expect(body.error.details[0]!.hint).toContain('[server] allowed_hosts');
      expect((await send('POST', '/api/agents', { host, 'content-type': 'application/json' }, agentJson('rebound'))).status).toBe(421);
    }
    expect(await state()).toEqual(before);
  });
});

describe('browser boundary: what keeps working', () => {
  it('loopback and configured Hosts are served, with any port unless the configured entry names one', async () => {
    const { send } = await setup();
    for (const host of [
      'localhost',
      'localhost:8080',
      '127.0.0.1:1234',
      '127.9.8.7',
      '[::1]:8080',
      'LOCALHOST:8080',
      'caxton.lan',
      'caxton.lan:8080',
      'box.lan:9000',
    ]) {
      expect((await send('GET', '/api/agents', { host })).status, host).toBe(200);
    }
  });

  it('the CLI/curl/SDK shape (no Origin, JSON) and a body-less POST without Content-Type are served', async () => {
    const { send, state } = await setup();
    expect((await send('POST', '/api/agents', { 'content-type': 'application/json' }, agentJson('curl-agent'))).status).toBe(201);
    expect((await send('POST', '/api/agents', { 'content-type': 'application/vnd.caxton+json; charset=utf-8' }, agentJson('plus-json'))).status).toBe(201);
    expect((await send('POST', '/api/keys')).status).toBe(201);
    expect((await state()).agents.sort()).toEqual(['curl-agent', 'plus-json']);
    expect((await state()).keys).toHaveLength(1);
  });

  it('the text import endpoints keep their types (TOON, TOML, JSON) and refuse text/plain', async () => {
    const { send } = await setup();
    const toon = 'name: toon-agent\nsystem_prompt: You help.\n';
    expect((await send('POST', '/api/agents/import', { 'content-type': 'text/x-toon' }, toon)).status).toBe(201);
    expect((await send('POST', '/agents', { 'content-type': 'application/toml' }, 'name = "toml-agent"\nsystem_prompt = "You help."\n')).status).toBe(201);
    expect(
      (await send('POST', '/agents', { 'content-type': 'application/json' }, JSON.stringify({ name: 'json-agent', system_prompt: 'You help.' }))).status,
    ).toBe(201);
    expect((await send('PUT', '/api/agents/toon-agent', { 'content-type': 'text/x-toon' }, 'name: toon-agent\nsystem_prompt: You help more.\n')).status).toBe(
      200,
    );
    const plain = await send('POST', '/api/agents/import', { 'content-type': 'text/plain' }, toon.replace('toon-agent', 'plain-agent'));
    expect(plain.status).toBe(415);
    expect(((await plain.json()) as { error: { details: { hint?: string }[] } }).error.details[0]!.hint).toContain('text/x-toon');
  });

  it('a same-origin page (Origin equal to the Host it reached) may change things; it gets no CORS headers', async () => {
    const { send, state } = await setup();
    const res = await send(
      'POST',
      '/api/agents',
      { host: 'localhost:8080', origin: 'http://localhost:8080', 'content-type': 'application/json' },
      agentJson('same-origin'),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await state()).agents).toEqual(['same-origin']);
  });

  it('a listed cors origin may change things and gets CORS headers; preflight answered; others get no CORS headers', async () => {
    const { send, state } = await setup();
    const res = await send('POST', '/api/agents', { origin: LISTED, 'content-type': 'application/json' }, agentJson('from-app'));
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect((await state()).agents).toEqual(['from-app']);

    const preflight = await send('OPTIONS', '/api/agents', {
      origin: LISTED,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');

    const foreignRead = await send('GET', '/api/agents', { origin: EVIL });
    expect(foreignRead.status).toBe(200); // a plain GET is harmless: without CORS headers the page cannot read it
    expect([...foreignRead.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    const foreignPreflight = await send('OPTIONS', '/api/agents', { origin: EVIL, 'access-control-request-method': 'POST' });
    expect(foreignPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the control socket (the CLI) is not subject to the boundary', async () => {
    const { state } = await setup();
    const res = await t.app.request(
      '/api/agents',
      { method: 'POST', headers: { host: 'evil.example', origin: EVIL, 'content-type': 'application/json' }, body: agentJson('from-cli') },
      { transport: 'socket' },
    );
    expect(res.status).toBe(201);
    expect((await state()).agents).toEqual(['from-cli']);
  });
});

describe('MCP conformance dns-rebinding-protection, against /mcp', () => {
  /** The request the scenario sends: an `initialize` with the given Host. */
  const initialize = (host: string) =>
    t.app.request(
      '/mcp',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', host, accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'conformance-dns-rebinding-test', version: '1.0.0' } },
        }),
      },
      { transport: 'tcp' },
    );

  it('localhost-host-rebinding-rejected: Host evil.example.com gets 403', async () => {
    await setup();
    expect((await initialize('evil.example.com')).status).toBe(403);
  });

  it("localhost-host-valid-accepted: the server URL's own Host gets a 2xx initialize result", async () => {
    await setup();
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) {
      const res = await initialize(host);
      expect(res.status, host).toBeGreaterThanOrEqual(200);
      expect(res.status, host).toBeLessThan(300);
      expect(((await res.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('caxton');
    }
  });
});
