/**
 * Agent lifecycle over HTTP (seed STORY-009): `state` in the agent JSON and list,
 * admin-only `POST /api/agents/:name/stop|start|restart`, a stopped agent refused with 503 on every
 * way of running it (chat JSON and SSE, Caxton message path, /v1/chat/completions) while other agents
 * — including another user's agent of the same name — keep serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeApp } from './fixture.js';

// Offline provider (no fake server): runs succeed with the offline reply, which is all we need here.
const t = await makeApp();
const call = client(t.app);
afterAll(() => t.close());

const socket = { socket: true } as const;
const chat = (name: string, opts: { as?: string; stream?: boolean } = {}) =>
  call('POST', `/api/agents/${name}/chat`, {
    socket: true,
    ...(opts.as ? { as: opts.as } : {}),
    body: { message: 'hello', ...(opts.stream ? { stream: true } : {}) },
  });

beforeAll(async () => {
  for (const email of ['alice@example.com', 'bob@example.com']) {
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse' } })).status).toBe(201);
  }
  // Two users, one agent name: Alice's is public (the admin reaches it as alice/helper), Bob's is private.
  const body = { name: 'helper', model: 'fast', system_prompt: 'Help.' };
  expect((await call('POST', '/api/agents', { ...socket, as: 'alice@example.com', body: { ...body, is_public: true } })).status).toBe(201);
  expect((await call('POST', '/api/agents', { ...socket, as: 'bob@example.com', body })).status).toBe(201);
});

describe('agent lifecycle', () => {
  it('an agent never run is loaded; its first run makes it running, in the agent JSON and the list', async () => {
    const before = await call('GET', '/api/agents/router', socket);
    expect(before.json).toMatchObject({ name: 'router', state: 'loaded', lifecycle: { state: 'loaded', active: 0, queued: 0 } });
    expect((await chat('router')).status).toBe(200);
    expect((await call('GET', '/api/agents/router', socket)).json.lifecycle).toMatchObject({ state: 'running', active: 0 });
    const listed = (await call('GET', '/api/agents', socket)).json.agents as { name: string; state: string }[];
    expect(listed.find((a) => a.name === 'router')!.state).toBe('running');
    expect(listed.find((a) => a.name === 'orchestrator')!.state).toBe('loaded');
  });

  it('a stopped agent refuses every kind of run with 503, other agents keep serving', async () => {
    const stopped = await call('POST', '/api/agents/router/stop', socket);
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ name: 'router', source: 'system', state: 'stopped' });

    const refused = await chat('router');
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('router is stopped') });
    // Streaming requests get the same status, not a 200 stream holding an error event.
    expect((await chat('router', { stream: true })).status).toBe(503);
    expect((await call('POST', '/agents/router/message', { ...socket, body: { text: 'hi' } })).status).toBe(503);
    const openai = await call('POST', '/v1/chat/completions', { ...socket, body: { model: 'router', messages: [{ role: 'user', content: 'hi' }] } });
    expect(openai.status).toBe(503);
    const openaiStream = await call('POST', '/v1/chat/completions', {
      ...socket,
      body: { model: 'router', stream: true, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(openaiStream.status).toBe(503);

    expect((await chat('orchestrator')).status).toBe(200);
    expect((await call('GET', '/api/agents/router', socket)).json.state).toBe('stopped');
  });

  it('stop of a stopped agent is a conflict; start makes it serve again', async () => {
    const again = await call('POST', '/api/agents/router/stop', socket);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('CONFLICT');
    const started = await call('POST', '/api/agents/router/start', socket);
    expect(started.status).toBe(200);
    expect(started.json.state).toBe('running');
    expect((await chat('router')).status).toBe(200);
    expect((await call('POST', '/api/agents/router/start', socket)).status).toBe(409);
  });

  it('restart works from any state that is not failed by ending running', async () => {
    expect((await call('POST', '/api/agents/router/restart', socket)).json.state).toBe('running');
    expect((await call('POST', '/api/agents/orchestrator/restart', socket)).json.state).toBe('running');
    await call('POST', '/api/agents/router/stop', socket);
    expect((await call('POST', '/api/agents/router/restart', socket)).json.state).toBe('running');
    expect((await chat('router')).status).toBe(200);
  });

  it("stopping one user's agent leaves another user's agent of the same name serving", async () => {
    // The admin reaches Alice's public `helper` as alice/helper (community tier); it has never run, and stop works anyway.
    const stopped = await call('POST', '/api/agents/alice%2Fhelper/stop', socket);
    expect(stopped.json).toMatchObject({ name: 'alice/helper', source: 'community', state: 'stopped' });
    const refused = await chat('helper', { as: 'alice@example.com' });
    expect(refused.status).toBe(503);
    expect(refused.json.error.message).toMatch(/^agent helper \(agent_\w+\) is stopped/);
    expect((await chat('helper', { as: 'bob@example.com' })).status).toBe(200);
    expect((await call('GET', '/api/agents/helper', { ...socket, as: 'bob@example.com' })).json.state).toBe('running');
    await call('POST', '/api/agents/alice%2Fhelper/start', socket);
    expect((await chat('helper', { as: 'alice@example.com' })).status).toBe(200);
  });

  it('only an admin may change lifecycles: 403 over TCP and for --as users; 404 for unknown agents', async () => {
    expect((await call('POST', '/api/agents/router/stop')).status).toBe(403);
    expect((await call('POST', '/api/agents/helper/stop', { ...socket, as: 'bob@example.com' })).status).toBe(403);
    expect((await call('GET', '/api/agents/router', socket)).json.state).toBe('running');
    expect((await call('POST', '/api/agents/nobody/stop', socket)).status).toBe(404);
  });

  it('renaming or deleting a user agent drops its lifecycle state; other agents keep theirs', async () => {
    const carol = { ...socket, as: 'carol@example.com' };
    expect((await call('POST', '/api/auth/register', { body: { email: 'carol@example.com', password: 'correct horse' } })).status).toBe(201);
    expect((await call('POST', '/api/agents', { ...carol, body: { name: 'temp', model: 'fast', system_prompt: 'Help.' } })).status).toBe(201);
    expect((await chat('temp', { as: 'carol@example.com' })).status).toBe(200);
    const keys = () => t.runtime.agents.list().map((s) => s.name);
    expect(keys()).toContainEqual(expect.stringMatching(/^temp \(agent_\w+\)$/));
    const before = keys().length;
    // Renamed: the old key goes too.
    expect((await call('PUT', '/api/agents/temp', { ...carol, body: { name: 'temp2', model: 'fast', system_prompt: 'Help.' } })).status).toBe(200);
    expect(keys().some((k) => k.startsWith('temp ('))).toBe(false);
    expect((await chat('temp2', { as: 'carol@example.com' })).status).toBe(200);
    expect(keys()).toContainEqual(expect.stringMatching(/^temp2 \(agent_\w+\)$/));
    expect((await call('DELETE', '/api/agents/temp2', carol)).status).toBe(204);
    expect(keys().some((k) => k.startsWith('temp'))).toBe(false);
    expect(keys()).toHaveLength(before - 1);
    expect(keys()).toContain('router');
  });

  it('the lifecycle routes are in the OpenAPI document', async () => {
    const paths = Object.keys((await call('GET', '/openapi.json')).json.paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/agents/{name}/stop', '/api/agents/{name}/start', '/api/agents/{name}/restart']));
  });
});
