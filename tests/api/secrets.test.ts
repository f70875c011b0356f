/**
 * Response scrubbing in the API (src/api/scrub.ts): error bodies from any route or middleware, report
 * routes and exports lose configured secret values; the scrubber learns values after the app is built.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SecretScrubber } from '../../src/domain/secrets.js';
import { client, makeApp } from './fixture.js';

const SECRET = 'sekrit-0123456789';
const secrets = new SecretScrubber();
const t = await makeApp({ secrets });
const call = client(t.app);
afterAll(() => t.close());

describe('API responses never carry configured secrets', () => {
  it('error bodies echoing request input lose the value, learned after start, and stay valid JSON', async () => {
    expect((await call('GET', `/api/agents/${SECRET}`)).text).toContain(SECRET);
    secrets.set('row:x', [SECRET]);
    for (const path of [`/api/agents/${SECRET}`, `/no/such/${SECRET}`]) {
      const r = await call('GET', path);
      expect(r.status).toBe(404);
      expect(r.text).not.toContain(SECRET);
      expect(r.json.error.message).toContain('[redacted]');
    }
    const bad = await call('POST', '/api/agents', { body: { name: 'x', model: SECRET, system_prompt: 'hi' } });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain(SECRET);
  });

  it('exports lose the value', async () => {
    const created = await call('POST', '/api/agents', { body: { name: 'leaky', model: 'fast', system_prompt: `token is ${SECRET}` } });
    expect(created.status).toBe(201);
    const exported = await call('GET', '/api/agents/leaky/export');
    expect(exported.status).toBe(200);
    expect(exported.text).toContain('token is [redacted]');
  });
});
