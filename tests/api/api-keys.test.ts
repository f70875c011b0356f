/**
 * API keys are looked up once and remembered (src/api/auth.ts), yet revoking one through the API
 * stops it at once: the very next request with it is 401, while the owner's other key keeps working.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { client, makeApp } from './fixture.js';

const t = await makeApp({ authRequired: true });
const call = client(t.app);
afterAll(() => t.close());

describe('API key revocation', () => {
  it('a key in use stops working on the request after its revocation', async () => {
    expect((await call('POST', '/api/auth/register', { body: { email: 'keys@example.com', password: 'correct horse' } })).status).toBe(201);
    const token = (await call('POST', '/api/auth/login', { body: { email: 'keys@example.com', password: 'correct horse' } })).json.access_token as string;
    const doomed = (await call('POST', '/api/keys', { token, body: { name: 'doomed' } })).json;
    const kept = (await call('POST', '/api/keys', { token, body: { name: 'kept' } })).json;
    expect((await call('GET', '/api/me', { token: doomed.key })).json.email).toBe('keys@example.com');
    expect((await call('GET', '/api/me', { token: kept.key })).status).toBe(200);
    expect((await call('DELETE', `/api/keys/${doomed.id}`, { token: kept.key })).status).toBe(204);
    expect((await call('GET', '/api/me', { token: doomed.key })).status).toBe(401);
    expect((await call('GET', '/api/me', { token: kept.key })).status).toBe(200);
  });
});
