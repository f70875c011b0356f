/**
 * Rate limits per client address, per user and per API key (`[limits] requests_per_minute`, with a
 * per-user quota in `[limits.users."EMAIL"]`), in process: each request comes from the TCP peer it
 * names, so the per-address bucket of one peer does not hide the per-user and per-key ones. A refused
 * request names the bucket, carries `Retry-After` and the draft's `RateLimit` headers; the control
 * socket and the probes are exempt.
 */
import type { IncomingMessage } from 'node:http';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/api/deps.js';
import { makeErrorHandler } from '../../src/api/errors.js';
import { rateLimiter } from '../../src/api/middleware/rate-limit.js';
import { SILENT_LOG } from '../../src/domain/log.js';
import { toWireError } from '../../src/domain/wire-error.js';
import { makeApp } from './fixture.js';

const QUOTA = 3;
const VIP_QUOTA = 5;
const t = await makeApp({ requestsPerMinute: QUOTA, userRequestsPerMinute: { 'VIP@example.com': VIP_QUOTA } });
afterAll(() => t.close());

let peers = 0;
/** A fresh TCP peer address (its own per-address bucket). */
const freshPeer = () => `198.51.100.${++peers}`;

/** A request over TCP from `peer` (default: a fresh one), or over the control socket. */
async function send(method: string, path: string, opts: { peer?: string; token?: string; body?: unknown; socket?: boolean } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const incoming = { socket: { remoteAddress: opts.peer ?? freshPeer() }, headers: {} } as unknown as IncomingMessage;
  const res = await t.app.request(
    path,
    { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) },
    opts.socket ? { transport: 'socket' } : { transport: 'tcp', incoming },
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as any) : undefined };
}

/** Register and log in `email`; returns an access token. */
async function login(email: string): Promise<string> {
  expect((await send('POST', '/api/auth/register', { body: { email, password: 'correct horse battery' } })).status).toBe(201);
  return (await send('POST', '/api/auth/login', { body: { email, password: 'correct horse battery' } })).json.access_token as string;
}

describe('rate limits', () => {
  it('per client address: headers on every answer, then 429 with Retry-After naming the address limit', async () => {
    const peer = freshPeer();
    for (let left = QUOTA - 1; left >= 0; left--) {
      const res = await send('GET', '/api/agents', { peer });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe(`"address";q=${QUOTA};w=60`);
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"address";r=${left};t=\\d+$`));
    }
    const refused = await send('GET', '/api/agents', { peer });
    expect(refused.status).toBe(429);
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(refused.json.error).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: [{ field: 'address' }] });
    expect(refused.json.error.message).toMatch(/3 requests per minute per client address/);
    // Another address has its own bucket.
    expect((await send('GET', '/api/agents')).status).toBe(200);
  });

  it('per user, whatever the address, and per API key; a per-user quota replaces the default for that user', async () => {
    const token = await login('plain@example.com');
    for (let i = 0; i < QUOTA; i++) expect((await send('GET', '/api/agents', { token })).status).toBe(200);
    const refused = await send('GET', '/api/agents', { token });
    expect(refused.status).toBe(429);
    expect(refused.json.error.message).toMatch(/per user/);
    expect(refused.headers.get('ratelimit-policy')).toBe(`"address";q=${QUOTA};w=60, "user";q=${QUOTA};w=60`);

    const vip = await login('vip@example.com');
    const key = (await send('POST', '/api/keys', { token: vip, body: { name: 'ci' } })).json.key as string;
    // The key's own bucket (the default quota) runs out before the user's larger one.
    for (let i = 0; i < QUOTA; i++) {
      const res = await send('GET', '/api/agents', { token: key });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe(`"address";q=${QUOTA};w=60, "user";q=${VIP_QUOTA};w=60, "key";q=${QUOTA};w=60`);
    }
    const keyRefused = await send('GET', '/api/agents', { token: key });
    expect(keyRefused.status).toBe(429);
    expect(keyRefused.json.error.message).toMatch(/per API key/);
    // The user (one request left after POST /api/keys and three key requests) may still use a token.
    expect((await send('GET', '/api/agents', { token: vip })).status).toBe(200);
    expect((await send('GET', '/api/agents', { token: vip })).status).toBe(429);
  });

  it("the admin's requests_per_minute override wins over [limits.users] and the default, at once; {} restores them", async () => {
    const token = await login('vip-override@example.com');
    const setLimits = async (body: object) => {
      const res = await send('PUT', '/api/users/vip-override@example.com/limits', { socket: true, body });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return res.json;
    };
    expect((await setLimits({ requests_per_minute: 1 })).overrides).toEqual({ requests_per_minute: 1 });
    expect((await send('GET', '/api/agents', { token })).headers.get('ratelimit-policy')).toContain('"user";q=1;w=60');
    const refused = await send('GET', '/api/agents', { token });
    expect(refused.status).toBe(429);
    expect(refused.json.error.message).toMatch(/at most 1 requests per minute per user/);

    await setLimits({ requests_per_minute: 0 }); // unlimited: the refused user may go on at once
    for (let i = 0; i < QUOTA + 2; i++) {
      const res = await send('GET', '/api/agents', { token });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe(`"address";q=${QUOTA};w=60`);
    }
    await setLimits({});
    for (let i = 0; i < QUOTA; i++) expect((await send('GET', '/api/agents', { token })).status).toBe(200);
    expect((await send('GET', '/api/agents', { token })).status).toBe(429);
    const bad = await send('PUT', '/api/users/vip-override@example.com/limits', { socket: true, body: { requests_per_minute: -1 } });
    expect(bad.status).toBe(400);
  });

  it('the control socket and the probes are never limited', async () => {
    for (let i = 0; i < QUOTA * 3; i++) {
      const res = await send('GET', '/api/agents', { socket: true });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toBeNull();
    }
    const peer = freshPeer();
    for (let i = 0; i < QUOTA * 3; i++) expect((await send('GET', '/health', { peer })).status).toBe(200);
    expect((await send('GET', '/api/agents', { peer })).headers.get('ratelimit')).toMatch(new RegExp(`r=${QUOTA - 1};`));
  });
});

describe('token bucket refill (injected clock)', () => {
  it('a refused client gets one request back after Retry-After, and a full minute refills the quota', async () => {
    let now = 1_000_000;
    const limits = rateLimiter({ requestsPerMinute: 2, now: () => now }, { addressOf: () => '192.0.2.1', users: { byId: async () => undefined } });
    const app = new Hono<AppEnv>();
    app.onError(makeErrorHandler(SILENT_LOG, (err) => toWireError(err, (s) => s)));
    app.use(limits.byAddress);
    app.get('/x', (c) => c.text('ok'));
    const get = () => app.request('/x', {}, { transport: 'tcp' });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    now += 29_000;
    expect((await get()).status).toBe(429);
    now += 1_000;
    const back = await get();
    expect(back.status).toBe(200);
    expect(back.headers.get('ratelimit')).toBe('"address";r=0;t=60');
    now += 60_000;
    expect((await get()).headers.get('ratelimit')).toBe('"address";r=1;t=30');
  });

  it('with more clients than it remembers, drops a bucket that is full again, not an older client still waiting', async () => {
    let now = 0;
    const limits = rateLimiter(
      { requestsPerMinute: 2, maxKeys: 2, now: () => now },
      { addressOf: (c) => c.req.header('x-peer') ?? '', users: { byId: async () => undefined } },
    );
    const app = new Hono<AppEnv>();
    app.onError(makeErrorHandler(SILENT_LOG, (err) => toWireError(err, (s) => s)));
    app.use(limits.byAddress);
    app.get('/x', (c) => c.text('ok'));
    const from = async (peer: string) => (await app.request('/x', { headers: { 'x-peer': peer } }, { transport: 'tcp' })).status;
    expect([await from('b'), await from('b')]).toEqual([200, 200]); // b: empty, the oldest bucket
    now += 1_000;
    expect(await from('a')).toBe(200); // a: one left
    now += 30_000; // a is full again; b has one unit back
    expect(await from('c')).toBe(200); // a third client: a's full bucket goes, b's stays
    expect([await from('b'), await from('b')]).toEqual([200, 429]);
  });
});
