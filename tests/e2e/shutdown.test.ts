/**
 * Shutdown keeps the record (SPEC §7, §8), through the real daemon and a fake OpenAI server that
 * never answers in time: runs still in flight when `shutdown_grace_ms` ends are cancelled and
 * recorded `cancelled` with the reason `daemon shutting down`; each client gets a stated end (JSON
 * 503 body, SSE `error` event, /v1 error chunk then `data: [DONE]`); requests arriving during the
 * drain, including one half-sent before the signal, get 503 with `Connection: close`, never a reset;
 * the daemon exits 0.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, waitFor } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { parseSse } from '../helpers/sse.js';

requireBuild();

/** Send `head` on a raw TCP connection, then (after `between` resolves) `rest`; the whole answer as text. */
async function rawRequest(port: number, head: string, between: Promise<unknown>, rest: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(head);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
  const ended = new Promise<string>((resolve, reject) => {
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
  });
  await between;
  socket.write(rest);
  return ended;
}

describe('shutdown past the grace period (real daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  afterAll(() => homes.cleanupAll());

  it('cancels and records every run, gives every client a stated end, refuses new requests with 503, exits 0', async () => {
    const fake = await startFakeOpenAI();
    fake.setDefault({ content: 'too late', delay_ms: 60_000 });
    const home = homes.create();
    home.writeAresToml(openaiToml(fake.url).replace('port = 0', 'port = 0\nshutdown_grace_ms = 4000'));
    home.env = { OPENAI_API_KEY: 'test-key' };
    expect((await home.run(['init'])).exitCode).toBe(0);
    const daemon = home.spawn(['server', 'start', '--port', '0', '--foreground'], { timeoutMs: 50_000 });
    const st = await waitFor('the daemon to serve', () => home.status().catch(() => undefined), 15_000);
    home.pids.add(st.pid);
    const port = Number(new URL(st.url).port);

    const post = (path: string, body: object) =>
      fetch(`${st.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const settle = <T>(p: Promise<T>) =>
      p.then(
        (v) => v,
        (err: Error) => err,
      );
    const json = settle(
      post('/api/agents/router/chat', { message: 'json please' }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { error: { code: string; message: string } },
      })),
    );
    const sse = settle(post('/api/agents/router/chat', { message: 'sse please', stream: true }).then((r) => r.text()));
    const v1 = settle(
      post('/v1/chat/completions', { model: 'router', stream: true, messages: [{ role: 'user', content: 'v1 please' }] }).then((r) => r.text()),
    );
    await waitFor('three runs waiting on the model', () => fake.requests.filter((r) => r.path === '/v1/chat/completions').length === 3);

    // Half a request is on the wire when the signal comes; the rest follows during the drain.
    const body = JSON.stringify({ message: 'late' });
    const signalled = (async () => {
      await new Promise((r) => setTimeout(r, 50));
      process.kill(st.pid, 'SIGTERM');
      await waitFor('the shutdown to begin', () => readFileSync(home.logFile, 'utf8').includes('shutting down'));
    })();
    const halfSent = rawRequest(
      port,
      'POST /api/agents/router/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      signalled,
      `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await signalled;

    // A request on a new connection during the drain: 503, says why, closes the connection.
    const fresh = await fetch(`${st.url}/health`);
    expect(fresh.status).toBe(503);
    expect(fresh.headers.get('connection')).toBe('close');
    expect(((await fresh.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/shutting down/),
    });
    const half = await halfSent;
    expect(half).toMatch(/^HTTP\/1\.1 503 /);
    expect(half.toLowerCase()).toContain('connection: close');
    expect(half).toContain('shutting down');

    // The runs in flight are cut at the grace period, and each client is told so.
    const j = await json;
    if (j instanceof Error) throw new Error(`the JSON client got no answer: ${j.message}`);
    expect(j.status).toBe(503);
    expect(j.body.error).toMatchObject({ code: 'CANCELLED', message: 'daemon shutting down' });
    const s = await sse;
    if (s instanceof Error) throw new Error(`the SSE client got no stated end: ${s.message}`);
    const frames = parseSse(s);
    expect(frames.map((e) => e.event)).toContain('start');
    expect(frames).toContainEqual({ event: 'error', data: expect.objectContaining({ message: 'daemon shutting down' }) });
    const o = await v1;
    if (o instanceof Error) throw new Error(`the /v1 client got no stated end: ${o.message}`);
    const chunks = parseSse(o).map((e) => e.data);
    expect(chunks).toContainEqual({ error: { message: 'daemon shutting down', type: 'server_error', param: null, code: 'cancelled' } });
    expect(chunks.at(-1)).toBe('[DONE]');

    const exited = await daemon;
    expect(exited.exitCode, exited.stderr).toBe(0);
    await fake.close();

    const db = new Database(join(home.dir, 'data', 'ares.db'), { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT input, status, error_message, finish_reason FROM agent_executions ORDER BY input').all();
    db.close();
    expect(rows).toEqual(
      ['json please', 'sse please', 'v1 please'].map((input) => ({
        input: expect.stringContaining(input),
        status: 'cancelled',
        error_message: 'daemon shutting down',
        finish_reason: 'cancelled',
      })),
    );
  });
});
