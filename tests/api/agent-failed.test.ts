/**
 * The `failed` agent state (seed STORY-024): a user agent whose model disappears from the
 * config (the model file removed by a reload) is marked failed with the reason, shown by
 * `GET /api/agents/:name` and the list; every run is refused with 503 saying why and how to recover;
 * `restart` while still broken answers 400 with the reason and leaves it failed; once the model is
 * back, runs are still refused until `restart`, which makes it serve again. A model whose provider
 * the runtime cannot find fails the agent during the run. Other agents keep serving throughout.
 * In-process app over real parts (tests/api/fixture.ts); the snapshot's models are edited as a
 * reload would swap them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/domain/entities.js';
import { client, makeApp } from './fixture.js';

const t = await makeApp();
const call = client(t.app);
afterAll(() => t.close());

const models = t.snapshot.models as Map<string, { value: Model; file: string }>;
const fast = models.get('fast')!;
const socket = { socket: true } as const;
const alice = { ...socket, as: 'carol@example.com' } as const;
const chat = (name: string, as: object = alice) => call('POST', `/api/agents/${name}/chat`, { ...as, body: { message: 'hello' } });

beforeAll(async () => {
  expect((await call('POST', '/api/auth/register', { body: { email: 'carol@example.com', password: 'correct horse' } })).status).toBe(201);
  models.set('spare', { ...fast, value: { ...fast.value, name: 'spare' } });
  models.set('ghost', { ...fast, value: { ...fast.value, name: 'ghost', provider: 'nowhere' } });
  for (const [name, model] of [
    ['drafter', 'spare'],
    ['haunted', 'ghost'],
    ['steady', 'fast'],
  ]) {
    const res = await call('POST', '/api/agents', { ...alice, body: { name, model, system_prompt: 'Draft.', is_public: true } });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
  }
  expect((await chat('drafter')).status).toBe(200);
});
afterAll(() => {
  models.delete('spare');
  models.delete('ghost');
});

describe('failed: an agent whose model is gone', () => {
  it('is shown failed with the reason, refused with 503, and other agents keep serving', async () => {
    models.delete('spare');
    const shown = await call('GET', '/api/agents/drafter', alice);
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({
      name: 'drafter',
      model: 'spare',
      state: 'failed',
      lifecycle: { state: 'failed', reason: expect.stringContaining('model spare, which does not exist') },
    });
    const listed = (await call('GET', '/api/agents', alice)).json.agents as { name: string; state: string }[];
    expect(listed.find((a) => a.name === 'drafter')!.state).toBe('failed');

    const refused = await chat('drafter');
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/drafter .* failed: .*model spare.*restart it/) });
    expect((await call('POST', '/v1/chat/completions', { ...alice, body: { model: 'drafter', messages: [{ role: 'user', content: 'hi' }] } })).status).toBe(
      503,
    );

    expect((await chat('steady')).status).toBe(200);
    expect((await chat('router', socket)).status).toBe(200);
  });

  it('restart while still broken: 400 with the reason, still failed', async () => {
    const res = await call('POST', '/api/agents/carol%2Fdrafter/restart', socket);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('model spare') });
    expect(res.json.error.details[0]).toMatchObject({ field: 'model', hint: expect.stringContaining('fast') });
    expect((await call('GET', '/api/agents/drafter', alice)).json.state).toBe('failed');
  });

  it('model back: still refused until restart; restart -> running, and it answers', async () => {
    models.set('spare', { ...fast, value: { ...fast.value, name: 'spare' } });
    expect((await chat('drafter')).status).toBe(503);
    const restarted = await call('POST', '/api/agents/carol%2Fdrafter/restart', socket);
    expect(restarted.status).toBe(200);
    expect(restarted.json).toMatchObject({ name: 'carol/drafter', state: 'running' });
    expect(restarted.json.reason).toBeUndefined();
    expect((await chat('drafter')).status).toBe(200);
    expect((await call('GET', '/api/agents/drafter', alice)).json.state).toBe('running');
  });
});

describe('failed: a model whose provider is not configured', () => {
  it('fails the agent on its first run, with the reason; restart retries and it fails again', async () => {
    const first = await chat('haunted');
    expect(first.status).toBe(400);
    expect(first.json.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('provider nowhere') });
    const shown = (await call('GET', '/api/agents/haunted', alice)).json;
    expect(shown).toMatchObject({ state: 'failed', lifecycle: { reason: expect.stringContaining('provider nowhere, which ares.toml does not define') } });
    expect((await chat('haunted')).status).toBe(503);

    expect((await call('POST', '/api/agents/carol%2Fhaunted/restart', socket)).json.state).toBe('running');
    expect((await chat('haunted')).status).toBe(400);
    expect((await call('GET', '/api/agents/haunted', alice)).json.state).toBe('failed');
    expect((await chat('steady')).status).toBe(200);
  });
});
