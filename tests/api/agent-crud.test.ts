/**
 * Agent CRUD over the API (SPEC §6; DIR-12 Part 3): TOON round trip (create -> export -> import under
 * another name -> identical config), formats, import by Content-Type, and bad input answered with
 * located 400s, 409, 413. Also: the OpenAPI document passes @readme/openapi-parser validation.
 */
import { validate as validateOpenApi } from '@readme/openapi-parser';
import { decode } from '@toon-format/toon';
import { afterAll, describe, expect, it } from 'vitest';
import { client, makeApp } from './fixture.js';

const t = await makeApp({ maxBodyBytes: 16 * 1024 });
const call = client(t.app);
afterAll(() => t.close());

const support = {
  name: 'support-bot',
  display_name: 'Support Bot',
  description: 'Answers order questions',
  model: 'balanced',
  system_prompt: 'You are a helpful support agent.\nBe brief: "two lines" at most.',
  tools: ['calculator'],
  capabilities: ['support'],
  max_tool_iterations: 4,
  parameters: { tone: 'warm', limits: { refunds: 3 } },
  memory: { enabled: true, scope: 'user' },
  extra: { 'acme.ticket_queue': 'tier-1' },
};

describe('agent CRUD and formats', () => {
  it('POST /api/agents answers the DIR-12 create response with a canonical TOON preview', async () => {
    const res = await call('POST', '/api/agents', { body: support });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      id: expect.stringMatching(/^agent_/),
      name: 'support-bot',
      display_name: 'Support Bot',
      api_endpoint: '/api/agents/support-bot/chat',
      source: 'user',
      is_public: false,
    });
    expect(decode(res.json.toon_preview)).toMatchObject({ name: 'support-bot', tools: ['calculator'], system_prompt: support.system_prompt });
    expect(res.json.toon_preview).not.toMatch(/: \|$/m); // never the `key: |` extension
  });

  it('TOON round trip: export -> import under another name -> identical config', async () => {
    const exported = await call('GET', '/api/agents/support-bot/export');
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^text\/x-toon/);
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="support-bot.toon"');
    const imported = await call('POST', '/api/agents/import?name=support-copy', { text: exported.text, type: 'text/x-toon' });
    expect(imported.status, imported.text).toBe(201);
    const original = (await call('GET', '/api/agents/support-bot?format=json')).json;
    const copy = (await call('GET', '/api/agents/support-copy?format=json')).json;
    expect({ ...copy, name: 'support-bot' }).toEqual(original);
    expect(original).toMatchObject({ ...support });
    // And the text itself is identical apart from the name line.
    const copyToon = (await call('GET', '/api/agents/support-copy/export')).text;
    expect(copyToon.replace('name: support-copy', 'name: support-bot')).toBe(exported.text);
  });

  it('?format=toml and json; TOML and JSON imports by Content-Type; --public via ?public=true', async () => {
    const toml = await call('GET', '/api/agents/support-bot?format=toml');
    expect(toml.headers.get('content-type')).toMatch(/^application\/toml/);
    const fromToml = await call('POST', '/api/agents/import?name=support-toml&public=true', { text: toml.text, type: 'application/toml' });
    expect(fromToml.status, fromToml.text).toBe(201);
    expect(fromToml.json.is_public).toBe(true);
    const json = (await call('GET', '/api/agents/support-bot?format=json')).text;
    expect((await call('POST', '/api/agents/import?name=support-json', { text: json, type: 'application/json' })).status).toBe(201);
    const agents = (await call('GET', '/api/agents')).json.agents as { name: string; source: string; capabilities: string[] }[];
    const list = agents.map((a) => `${a.name}:${a.source}`);
    expect(list).toEqual(expect.arrayContaining(['support-bot:user', 'support-copy:user', 'support-toml:user', 'support-json:user', 'router:system']));
    expect(agents.find((a) => a.name === 'orchestrator')?.capabilities).toContain('planning');
    expect(agents.find((a) => a.name === 'support-bot')?.capabilities).toEqual(['support']);
  });

  it('the seed TOON with `system_prompt: |` imports (with a warning) and exports canonically', async () => {
    const seed = 'name: my-agent\nmodel: fast\nsystem_prompt: |\n  You are a helpful assistant.\n  Keep it short.\n';
    const res = await call('POST', '/api/agents/import', { text: seed });
    expect(res.status, res.text).toBe(201);
    expect(decode(res.json.toon_preview)).toMatchObject({ system_prompt: 'You are a helpful assistant.\nKeep it short.' });
    expect(res.json.warnings).toEqual([expect.objectContaining({ code: 'W_DEPRECATED', line: 3 })]);
  });

  it('PUT replaces (JSON or TOON), DELETE removes with 204, then 404', async () => {
    const put = await call('PUT', '/api/agents/support-copy', { body: { ...support, name: undefined, description: 'changed', is_public: true } });
    expect(put.status, put.text).toBe(200);
    expect(put.json.is_public).toBe(true);
    expect((await call('GET', '/api/agents/support-copy')).json.description).toBe('changed');
    const toon = (await call('GET', '/api/agents/support-copy?format=toon')).text.replace('description: changed', 'description: via toon');
    expect((await call('PUT', '/api/agents/support-copy', { text: toon })).status).toBe(200);
    expect((await call('GET', '/api/agents/support-copy')).json.description).toBe('via toon');
    expect((await call('DELETE', '/api/agents/support-copy')).status).toBe(204);
    expect((await call('GET', '/api/agents/support-copy')).status).toBe(404);
    expect((await call('DELETE', '/api/agents/router')).status).toBe(404); // system agents are read-only
  });

  it('Caxton paths: POST /agents with TOML, GET and DELETE /agents/:id', async () => {
    const toml = 'name = "caxton-bot"\nmodel = "fast"\nsystem_prompt = "Hi."\n';
    const res = await call('POST', '/agents', { text: toml, type: 'application/toml' });
    expect(res.status, res.text).toBe(201);
    expect((await call('GET', `/agents/${res.json.id}`)).json).toMatchObject({ name: 'caxton-bot', source: 'user' });
    expect((await call('DELETE', `/agents/${res.json.id}`)).status).toBe(204);
    expect((await call('GET', `/agents/${res.json.id}`)).status).toBe(404);
  });
});

describe('bad input', () => {
  it('malformed TOON, TOML and JSON get 400 with located details', async () => {
    const toon = await call('POST', '/api/agents/import', { text: 'name: x\nsystem_prompt: "unterminated\n' });
    expect(toon.status).toBe(400);
    expect(toon.json.error.details[0]).toMatchObject({ code: 'E_SYNTAX', line: 2 });
    const toml = await call('POST', '/api/agents/import', { text: 'name = "x"\nsystem_prompt = \n', type: 'application/toml' });
    expect(toml.status).toBe(400);
    expect(toml.json.error.details[0]).toMatchObject({ code: 'E_SYNTAX', line: 2 });
    const json = await call('POST', '/api/agents', { body: '{"name": "x",\n "system_prompt": }' });
    expect(json.status).toBe(400);
    expect(json.json.error.details[0]).toMatchObject({ code: 'E_SYNTAX', line: 2 });
  });

  it('the ADR-0032 [parameters] trap is explained, located', async () => {
    const trap = 'name = "trap"\nmodel = "fast"\n\n[parameters]\ntemperature = 0.2\nsystem_prompt = "You help."\n';
    const res = await call('POST', '/api/agents/import', { text: trap, type: 'application/toml' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json.error.details)).toMatch(/parameters/);
  });

  it('unknown fields, invalid names and unknown references are reported by field', async () => {
    const unknown = await call('POST', '/api/agents', { body: { name: 'u1', system_prompt: 'p', sytem_prompt: 'typo' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details).toContainEqual(expect.objectContaining({ code: 'E_UNKNOWN_FIELD', field: 'sytem_prompt' }));
    for (const name of ['../etc/passwd', 'a/b', '.hidden', 'x'.repeat(65), '1abc']) {
      const res = await call('POST', '/api/agents', { body: { name, system_prompt: 'p' } });
      expect(res.status, name).toBe(400);
      expect(res.json.error.details[0].field).toBe('name');
    }
    expect((await call('POST', '/api/agents/import?name=../../x', { text: 'name: ok\nsystem_prompt: p\n' })).status).toBe(400);
    const refs = await call('POST', '/api/agents', { body: { name: 'refs', system_prompt: 'p', model: 'gpt-9', tools: ['calculator', 'teleport'] } });
    expect(refs.status).toBe(400);
    expect(refs.json.error.details.map((d: { code: string; field: string }) => `${d.code} ${d.field}`)).toEqual(['E_REFERENCE model', 'E_REFERENCE tools.1']);
    expect(refs.json.error.details[1].hint).toContain('calculator');
  });

  it('duplicates get 409, wrong content types 415, bodies over the limit 413', async () => {
    expect((await call('POST', '/api/agents', { body: { name: 'dup', system_prompt: 'p' } })).status).toBe(201);
    expect((await call('POST', '/api/agents', { body: { name: 'dup', system_prompt: 'p' } })).status).toBe(409);
    expect((await call('POST', '/api/agents/import', { text: 'name: x', type: 'text/plain' })).status).toBe(415);
    expect((await call('POST', '/api/agents/import', { text: 'name: x', type: 'text/plain', socket: true })).status).toBe(415);
    const big = await call('POST', '/api/agents', { body: { name: 'big', system_prompt: 'x'.repeat(20_000) } });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await call('GET', '/api/agents/router?format=yaml')).status).toBe(400);
    expect((await call('POST', '/api/agents/router/rate', { body: { stars: 6 } })).status).toBe(400);
    expect(t.errors).toEqual([]);
  });
});

describe('OpenAPI', () => {
  it('/openapi.json is generated from the route schemas and passes @readme/openapi-parser', async () => {
    const doc = (await call('GET', '/openapi.json')).json;
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/api/agents',
      '/api/agents/{name}',
      '/api/agents/{name}/export',
      '/api/agents/import',
      '/api/agents/{name}/chat',
      '/api/agents/{name}/rate',
      '/api/auth/login',
      '/api/keys/{id}',
      '/api/tools',
      '/api/mcps/{name}',
      '/api/executions',
      '/api/conversations/{id}',
      '/agents',
      '/agents/{id}',
      '/agents/{name}/message',
      '/v1/models',
      '/v1/chat/completions',
      '/health',
      '/metrics',
      '/mcp',
      '/api/mcp/servers',
      '/api/agents/{name}/restart',
    ]) {
      expect(paths).toContain(p);
    }
    expect(doc.paths['/api/agents'].post.requestBody.content['application/json'].schema.properties.system_prompt).toBeDefined();
    const result = await validateOpenApi(structuredClone(doc));
    expect(result.valid, JSON.stringify(result)).toBe(true);
  });
});
