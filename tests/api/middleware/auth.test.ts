/**
 * The authentication middleware (src/api/middleware/auth.ts) on its own: a bare Hono app with the
 * middleware and a route that echoes who the request acts as, over the socket and over TCP.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/errors.js';
import { LOCAL_USER_ID } from '../../../src/domain/users.js';
import type { AppEnv } from '../../../src/api/deps.js';
import { authMiddleware } from '../../../src/api/middleware/auth.js';

const users = { byEmail: async (email: string) => (email === 'bob@example.com' ? ({ id: 'usr_bob', email } as never) : undefined) };
const auth = {
  authenticate: async (credential: string) => {
    if (credential === 'good-admin') return { userId: 'usr_admin', isAdmin: true };
    if (credential === 'local-token') return { userId: LOCAL_USER_ID, isAdmin: true };
    if (credential === 'good' || credential === 'cxk_good') return { userId: 'usr_bob', isAdmin: false };
    throw new DomainError('UNAUTHORIZED', 'invalid or expired credentials');
  },
};

function app(required: boolean) {
  const a = new Hono<AppEnv>();
  a.onError((err, c) => c.json({ code: (err as DomainError).code }, err instanceof DomainError && err.code === 'NOT_FOUND' ? 404 : 401));
  a.use(authMiddleware({ auth, users, required, isPublic: (p) => p === '/health' }));
  a.get('*', (c) => c.json({ userId: c.get('userId'), isAdmin: c.get('isAdmin') }));
  return a;
}

const get = async (a: Hono<AppEnv>, path: string, headers: Record<string, string> = {}, transport: 'socket' | 'tcp' = 'tcp') => {
  const res = await a.request(path, { headers }, { transport });
  return { status: res.status, body: (await res.json()) as { userId?: string; isAdmin?: boolean; code?: string } };
};

describe('auth middleware', () => {
  it('over the socket: the local admin, or the --as user without admin rights', async () => {
    expect((await get(app(true), '/x', {}, 'socket')).body).toEqual({ userId: LOCAL_USER_ID, isAdmin: true });
    expect((await get(app(true), '/x', { 'x-caxton-as': 'bob@example.com' }, 'socket')).body).toEqual({ userId: 'usr_bob', isAdmin: false });
    expect(await get(app(true), '/x', { 'x-caxton-as': 'nobody@example.com' }, 'socket')).toEqual({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('over TCP with a Bearer credential: its user; admin rights only for a real admin account', async () => {
    expect((await get(app(true), '/x', { authorization: 'Bearer good' })).body).toEqual({ userId: 'usr_bob', isAdmin: false });
    expect((await get(app(true), '/x', { authorization: 'bearer good-admin' })).body).toEqual({ userId: 'usr_admin', isAdmin: true });
    expect((await get(app(false), '/x', { authorization: 'Bearer cxk_good' })).body).toEqual({ userId: 'usr_bob', isAdmin: false });
  });

  it('bad or malformed credentials are 401, on public paths too', async () => {
    expect((await get(app(false), '/health', { authorization: 'Bearer cxk_nope' })).status).toBe(401);
    expect((await get(app(false), '/x', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln' })).status).toBe(401);
    expect((await get(app(true), '/health', { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await get(app(false), '/x', { authorization: 'Basic abc' })).status).toBe(401);
  });

  it('a placeholder bearer (no cxk_ key, no JWT) is no credential when auth is not required, and 401 when it is', async () => {
    for (const placeholder of ['sk-anything', 'ollama', 'not.a-jwt']) {
      expect(await get(app(false), '/x', { authorization: `Bearer ${placeholder}` })).toEqual({ status: 200, body: { userId: LOCAL_USER_ID, isAdmin: false } });
      expect((await get(app(true), '/x', { authorization: `Bearer ${placeholder}` })).status).toBe(401);
    }
  });

  it('without credentials: local without admin rights, or 401 off the public paths when auth is required', async () => {
    expect((await get(app(false), '/x')).body).toEqual({ userId: LOCAL_USER_ID, isAdmin: false });
    expect((await get(app(true), '/x')).status).toBe(401);
    expect((await get(app(true), '/health')).body).toEqual({ userId: LOCAL_USER_ID, isAdmin: false });
  });
});
