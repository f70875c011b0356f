/**
 * The client address behind per-address limits and logs: `X-Forwarded-For` counts only when the peer
 * is a trusted proxy (`[server] trusted_proxies`), so clients behind one load balancer get their own
 * limits while a client talking to the daemon directly cannot pick the address it is counted under.
 *
 * Requests carry a peer and headers the way the node server binds them (`env.incoming`).
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { afterAll, describe, expect, it } from 'vitest';
import { clientAddressOf } from '../../src/api/client-address.js';
import { makeApp, type TestApp } from './fixture.js';

const PASSWORD = 'correct horse battery';

/** A Node request as the server sees it: the socket peer and the forwarded-for header, if any. */
function incoming(peer: string | undefined, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('clientAddressOf', () => {
  const trust = (list: string[]) => proxyaddr.compile(list);

  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddressOf(incoming('203.0.113.9', '198.51.100.1'), trust([]))).toBe('203.0.113.9');
    expect(clientAddressOf(incoming('127.0.0.1', '198.51.100.1'), trust(['10.0.0.0/8']))).toBe('127.0.0.1');
  });

  it('from a trusted peer, is the nearest forwarded address that is not itself a trusted proxy', () => {
    expect(clientAddressOf(incoming('10.0.0.2', '198.51.100.1'), trust(['10.0.0.0/8']))).toBe('198.51.100.1');
    // A client-sent entry on the left cannot win: the proxy appended the address it really saw.
    expect(clientAddressOf(incoming('10.0.0.2', '192.0.2.66, 198.51.100.1'), trust(['10.0.0.0/8']))).toBe('198.51.100.1');
    // Two proxies in a row: the inner one (10.0.0.3) is skipped because it is trusted too.
    expect(clientAddressOf(incoming('10.0.0.2', '198.51.100.1, 10.0.0.3'), trust(['10.0.0.0/8']))).toBe('198.51.100.1');
    expect(clientAddressOf(incoming('::ffff:127.0.0.1', '2001:db8::7'), trust(['loopback']))).toBe('2001:db8::7');
  });

  it('is the trusted peer itself when it forwards nothing, and `unknown` without a peer', () => {
    expect(clientAddressOf(incoming('10.0.0.2'), trust(['10.0.0.0/8']))).toBe('10.0.0.2');
    expect(clientAddressOf(incoming(undefined, '198.51.100.1'), trust(['10.0.0.0/8']))).toBe('unknown');
    expect(clientAddressOf(undefined, trust([]))).toBe('unknown');
  });
});

/** POST JSON as TCP peer `peer`, optionally with `X-Forwarded-For: forwardedFor`. */
function post(t: TestApp, peer: string, forwardedFor?: string) {
  return async (path: string, body: unknown) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) };
    const res = await t.app.request(
      path,
      { method: 'POST', headers, body: JSON.stringify(body) },
      { transport: 'tcp', incoming: incoming(peer, forwardedFor) },
    );
    return res.status;
  };
}

/** Register `n` accounts from `send`, returning each status. */
async function register(send: ReturnType<typeof post>, prefix: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push(await send('/api/auth/register', { email: `${prefix}${i}@example.com`, password: PASSWORD }));
  return statuses;
}

describe('per-address limits behind a trusted proxy', async () => {
  const t = await makeApp({ trustedProxies: ['10.0.0.0/8'] });
  afterAll(() => t.close());

  it('clients forwarded by the proxy each get their own registration limit', async () => {
    expect(await register(post(t, '10.0.0.2', '198.51.100.1'), 'a', 11)).toEqual([...Array<number>(10).fill(201), 429]);
    // Another client through the same proxy, and the first one through another proxy of the range.
    expect(await register(post(t, '10.0.0.2', '198.51.100.2'), 'b', 1)).toEqual([201]);
    expect(await register(post(t, '10.0.0.3', '198.51.100.1'), 'c', 1)).toEqual([429]);
  });

  it('a failed login is logged with the forwarded client address', async () => {
    expect(await post(t, '10.0.0.2', '198.51.100.7')('/api/auth/login', { email: 'nobody@example.com', password: PASSWORD })).toBe(401);
    expect(t.warnings.at(-1)).toMatchObject({ msg: 'login failed', client: '198.51.100.7' });
  });

  it('a peer outside trusted_proxies is counted under its own address, whatever it forwards', async () => {
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push(...(await register(post(t, '203.0.113.5', `198.51.100.${100 + i}`), `d${i}-`, 1)));
    expect(statuses).toEqual([...Array<number>(10).fill(201), 429]);
  });
});

describe('per-address limits without trusted proxies (the default)', async () => {
  const t = await makeApp();
  afterAll(() => t.close());

  it('a forged X-Forwarded-For does not dodge the limit: the peer is counted', async () => {
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push(...(await register(post(t, '127.0.0.1', `198.51.100.${i}`), `e${i}-`, 1)));
    expect(statuses).toEqual([...Array<number>(10).fill(201), 429]);
    expect(await post(t, '127.0.0.1', '198.51.100.99')('/api/auth/login', { email: 'nobody@example.com', password: PASSWORD })).toBe(401);
    expect(t.warnings.at(-1)).toMatchObject({ msg: 'login failed', client: '127.0.0.1' });
  });
});
