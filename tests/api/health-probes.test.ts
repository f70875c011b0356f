/**
 * The probes for Kubernetes and load balancers (STORY-027): `/health/live` answers while the process
 * serves; `/health/ready` answers 200 when the database is reachable, the config loaded and a
 * provider usable, and 503 naming the failing check when the database is down (the outage double of
 * tests/helpers/store-doubles.ts) or no provider can serve (no API key). Both are public and in OpenAPI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { databaseOutage } from '../helpers/store-doubles.js';
import { client, makeApp, type TestApp } from './fixture.js';

const outage = databaseOutage();
let fake: FakeOpenAI;
let t: TestApp;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await makeApp({ fakeUrl: fake.url, wrapStore: outage.wrap, authRequired: true });
  call = client(t.app);
});
afterAll(async () => {
  outage.down = false;
  await t?.close();
  await fake?.close();
});

const check = (body: { checks: { name: string; ok: boolean; message: string }[] }, name: string) => body.checks.find((c) => c.name === name);

describe('/health/live and /health/ready', () => {
  it('are public, and ready when the database, the config and a provider are usable', async () => {
    const live = await call('GET', '/health/live');
    expect(live.status).toBe(200);
    expect(live.json).toMatchObject({ status: 'ok' });
    const ready = await call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe('ready');
    expect(ready.json.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ['database', true],
      ['config', true],
      ['providers', true],
    ]);
    expect(check(ready.json, 'providers')?.message).toContain('openai');
  });

  it('ready is 503 naming the database while it is down, live stays 200, and ready comes back with it', async () => {
    outage.down = true;
    try {
      const ready = await call('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.json.status).toBe('not_ready');
      expect(check(ready.json, 'database')).toMatchObject({ ok: false, message: expect.stringContaining('database unavailable') });
      expect(check(ready.json, 'providers')?.ok).toBe(true);
      expect((await call('GET', '/health/live')).status).toBe(200);
    } finally {
      outage.down = false;
    }
    expect((await call('GET', '/health/ready')).status).toBe(200);
  });

  it('ready is 503 naming the providers when none can serve requests, without their reasons', async () => {
    const offline = await makeApp({ authRequired: true, providerWithoutKey: true });
    try {
      const ready = await client(offline.app)('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(check(ready.json, 'providers')).toMatchObject({ ok: false, message: expect.stringContaining('no provider can serve requests (openai: offline') });
      expect(ready.text).not.toContain('NO_SUCH_KEY_VAR');
      expect(check(ready.json, 'database')?.ok).toBe(true);
    } finally {
      await offline.close();
    }
  });

  it('are documented in the OpenAPI document', async () => {
    const paths = (await call('GET', '/openapi.json')).json.paths;
    expect(paths['/health/live'].get.responses['200']).toBeDefined();
    expect(paths['/health/ready'].get.responses['503']).toBeDefined();
  });
});
