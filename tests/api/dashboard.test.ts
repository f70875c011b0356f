/**
 * The dashboard's server side, in-process: its files served at `/` over TCP only (the build's
 * Brotli twin when there is one, else gzip on the fly; immutable
 * hashed assets, index.html revalidated, page paths answered with index.html, a missing asset 404,
 * the API unchanged, the Host check still applied, the page public when auth is required), and the
 * live event stream `GET /api/events` (agent state changes, runs started and finished, log lines for
 * the admin only).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleTo, type LiveEvent } from '../../src/api/live-events.js';
import { collect, sseEvents } from '../helpers/sse.js';
import { tempDir } from '../helpers/tmp.js';
import { client, makeApp, type TestApp } from './fixture.js';

const ASSET = 'assets/main-ABC123.js';
/** An asset the build wrote a Brotli twin for (`.br`), as scripts/build-web.mjs does for every file. */
const TWINNED = 'assets/chunk-DEF456.js';
const TWINNED_TEXT = `export const x = ${JSON.stringify('y'.repeat(4000))};`;

function builtDashboard(): string {
  const root = tempDir('cx-web-');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Caxton dashboard</title><div id="app"></div>');
  writeFileSync(join(root, ASSET), `console.log(${JSON.stringify('x'.repeat(4000))});`);
  writeFileSync(join(root, TWINNED), TWINNED_TEXT);
  writeFileSync(join(root, `${TWINNED}.br`), brotliCompressSync(TWINNED_TEXT));
  return root;
}

describe('dashboard files', () => {
  let t: TestApp;
  let authRequired: TestApp;
  beforeAll(async () => {
    const dashboardRoot = builtDashboard();
    t = await makeApp({ dashboardRoot });
    authRequired = await makeApp({ dashboardRoot, authRequired: true });
  });
  afterAll(async () => {
    await t.close();
    await authRequired.close();
  });

  it('serves index.html at / (no-cache) and hashed assets gzipped and immutable', async () => {
    const call = client(t.app);
    const index = await call('GET', '/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('Caxton dashboard');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = await call('GET', `/${ASSET}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
  });

  it("sends the build's Brotli twin of an asset to a browser that accepts it", async () => {
    const res = await t.app.request(`/${TWINNED}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, { transport: 'tcp' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(brotliDecompressSync(Buffer.from(await res.arrayBuffer())).toString()).toBe(TWINNED_TEXT);
    const plain = await t.app.request(`/${TWINNED}`, { headers: { 'accept-encoding': 'identity' } }, { transport: 'tcp' });
    expect(await plain.text()).toBe(TWINNED_TEXT);
  });

  it('answers page paths with index.html, a missing asset with 404, and leaves the API alone', async () => {
    const call = client(t.app);
    for (const page of ['/chat', '/runs', '/edit/helper']) expect((await call('GET', page)).text).toContain('Caxton dashboard');
    expect((await call('GET', '/assets/gone-XYZ.js')).status).toBe(404);
    const agents = await call('GET', '/api/agents');
    expect(agents.json.agents.map((a: { name: string }) => a.name)).toContain('router');
    expect((await call('GET', '/api/no-such-route')).json.error.code).toBe('NOT_FOUND');
    expect((await call('GET', '/health')).json.status).toBe('ok');
  });

  it('is served on TCP only, and not to a foreign Host (DNS rebinding)', async () => {
    const call = client(t.app);
    expect((await call('GET', '/', { socket: true })).status).toBe(404);
    expect((await call('GET', '/', { headers: { host: 'evil.example:8080' } })).status).toBe(421);
  });

  it('with auth required the page loads (it asks for a login) while the API still wants credentials', async () => {
    const call = client(authRequired.app);
    expect((await call('GET', '/')).status).toBe(200);
    expect((await call('GET', '/api/agents')).status).toBe(401);
  });
});

describe('GET /api/events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp();
  });
  afterAll(() => t.close());

  const open = (socket: boolean) => t.app.request('/api/events', { headers: { accept: 'text/event-stream' } }, { transport: socket ? 'socket' : 'tcp' });

  it('streams agent state changes and runs to their user, and log lines to the admin only', { timeout: 15_000 }, async () => {
    const call = client(t.app);
    const live = t.services.deps.live!;
    const [anon, admin] = await Promise.all([open(false), open(true)]);
    expect(anon.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const [anonStream, adminStream] = [sseEvents(anon), sseEvents(admin)];
    expect((await anonStream.next()).value).toEqual({ event: 'ready', data: { user_id: 'local', is_admin: false } });
    expect((await adminStream.next()).value).toMatchObject({ event: 'ready', data: { is_admin: true } });
    const finished = (e: { event: string }) => e.event === 'run_finished';
    const anonEvents = collect(anonStream, finished).finally(() => anonStream.return(undefined));
    const adminEvents = collect(adminStream, finished).finally(() => adminStream.return(undefined));
    live.publish({ type: 'log', line: '{"msg":"a log line"}' });
    expect((await call('POST', '/api/agents/router/stop', { socket: true })).status).toBe(200);
    expect((await call('POST', '/api/agents/router/start', { socket: true })).status).toBe(200);
    expect((await call('POST', '/api/agents/customer-support/chat', { body: { message: 'hello' } })).status).toBe(200);
    const seen = await anonEvents;
    const seenByAdmin = await adminEvents;
    expect(seen.filter((e) => e.event === 'agent_state').map((e) => e.data.state)).toEqual(['stopped', 'running']);
    expect(seen.find((e) => e.event === 'run_started')?.data).toMatchObject({ agent: 'customer-support', user_id: 'local' });
    expect(seen.at(-1)?.data).toMatchObject({ type: 'run_finished', agent: 'customer-support', status: 'success', created_at: expect.any(Number) });
    expect(seen.some((e) => e.event === 'log')).toBe(false);
    expect(seenByAdmin.find((e) => e.event === 'log')?.data.line).toBe('{"msg":"a log line"}');
  });
});

describe('who sees which live event', () => {
  const own: LiveEvent = { type: 'agent_state', agent: 'helper', state: 'stopped', owner: 'ann' };
  const system: LiveEvent = { type: 'agent_state', agent: 'router', state: 'stopped' };
  const run: LiveEvent = { type: 'run_started', execution_id: 'e1', agent: 'helper', user_id: 'ann', conversation_id: 'c1' };
  const log: LiveEvent = { type: 'log', line: '{}' };

  it("a user sees system agents and their own agents and runs; never another user's, nor log lines", () => {
    expect([own, system, run, log].map((e) => visibleTo(e, 'ann', false))).toEqual([true, true, true, false]);
    expect([own, system, run, log].map((e) => visibleTo(e, 'bob', false))).toEqual([false, true, false, false]);
    expect([own, system, run, log].map((e) => visibleTo(e, 'root', true))).toEqual([true, true, true, true]);
  });
});
