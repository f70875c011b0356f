/**
 * The browser boundary and the TCP listener's limits against the real daemon (SPEC §6, §2), with
 * node's http client so the real `Host` header path is exercised: a rebound Host gets 421 (403 on
 * `/mcp`, the MCP conformance `dns-rebinding-protection` checks), a cross-site simple request changes
 * nothing, a listed CORS origin works; anonymous TCP status is a summary while `server status` (the
 * socket) is full; a slow-drip body gets 408 while SSE streams longer than the request timeout finish;
 * connections beyond `max_connections` are refused. The home is created and the daemon started under
 * `umask 000`: everything it creates is still owner-only, and looser modes are tightened at start.
 */
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { CAXTON_BIN, cleanEnv, homeRegistry, openaiToml, requireBuild, waitFor, type StartJson, type TestHome } from '../helpers/cli.js';
import { parseSse } from '../helpers/sse.js';

requireBuild();

const LISTED = 'https://app.example.com';
const MAX_CONNECTIONS = 6;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

describe('browser boundary and listener limits (real daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let port = 0;

  /** Run the CLI in this home with `umask 000` (the daemon it starts inherits it). */
  const underUmask000 = (args: string[]) =>
    execa('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, CAXTON_BIN, '--home', home.dir, ...args], { env: cleanEnv(home.env), reject: false });

  const start = async () => {
    const r = await underUmask000(['--json', 'server', 'start', '--port', '0']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as StartJson;
    home.pids.add(out.pid);
    port = Number(new URL(out.url).port);
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = homes.create();
    home.env = { OPENAI_API_KEY: 'test-key' };
    expect((await underUmask000(['init'])).exitCode).toBe(0);
    writeFileSync(
      home.aresToml,
      openaiToml(fake.url).replace(
        'port = 0\n',
        `port = 0\nallowed_hosts = ["caxton.lan"]\ncors_origins = ["${LISTED}"]\nrequest_timeout_ms = 1500\nheaders_timeout_ms = 1000\nmax_connections = ${MAX_CONNECTIONS}\n`,
      ),
    );
    await start();
  }, 30_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake?.close();
  });

  /** One request over a fresh connection (closed after the reply) with exactly these headers. */
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close', ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  /** The daemon's own `host:port`. */
  const own = () => `127.0.0.1:${port}`;
  const agentNames = async () => (JSON.parse((await send('GET', '/api/agents?source=user')).text) as { agents: { name: string }[] }).agents.map((a) => a.name);
  const keyCount = async () => (JSON.parse((await send('GET', '/api/keys')).text) as { keys: unknown[] }).keys.length;

  it('a rebound Host gets 421 (403 on /mcp); loopback and configured names are served', async () => {
    const rebound = await send('GET', '/api/agents', { host: `evil.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.text).toContain('[server] allowed_hosts');
    expect((await send('GET', '/api/agents', { host: `localhost:${port}` })).status).toBe(200);
    expect((await send('GET', '/api/agents', { host: `caxton.lan:${port}` })).status).toBe(200);

    // The MCP conformance suite's dns-rebinding-protection scenario: the same initialize, two Hosts.
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'conformance-dns-rebinding-test', version: '1.0.0' } },
    });
    const mcp = (host: string) => send('POST', '/mcp', { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, init);
    expect((await mcp('evil.example.com')).status).toBe(403);
    const valid = await mcp(`127.0.0.1:${port}`);
    expect(valid.status).toBe(200);
    expect(valid.text).toContain('"serverInfo"');
  });

  it('cross-site simple requests and rebound writes change nothing; curl-style and listed-origin requests work', async () => {
    const agentsBefore = await agentNames();
    const keysBefore = await keyCount();
    const agent = (name: string) => JSON.stringify({ name, system_prompt: 'You help.', is_public: true });
    expect((await send('POST', '/api/agents', { origin: 'https://evil.example', 'content-type': 'text/plain' }, agent('evil-one'))).status).toBe(403);
    expect((await send('POST', '/api/keys', { origin: 'null', 'content-type': 'text/plain' }, '{}')).status).toBe(403);
    expect((await send('POST', '/api/agents', { 'content-type': 'text/plain' }, agent('evil-two'))).status).toBe(415);
    expect(
      (
        await send(
          'POST',
          '/api/agents',
          { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'content-type': 'application/json' },
          agent('evil-three'),
        )
      ).status,
    ).toBe(421);
    expect(await agentNames()).toEqual(agentsBefore);
    expect(await keyCount()).toBe(keysBefore);

    expect((await send('POST', '/api/agents', { 'content-type': 'application/json' }, agent('curl-one'))).status).toBe(201);
    const fromApp = await send('POST', '/api/agents', { origin: LISTED, 'content-type': 'application/json' }, agent('app-one'));
    expect(fromApp.status).toBe(201);
    expect(fromApp.headers['access-control-allow-origin']).toBe(LISTED);
    const sameOrigin = await send('POST', '/api/keys', { host: own(), origin: `http://${own()}` });
    expect(sameOrigin.status).toBe(201);
    expect(sameOrigin.headers['access-control-allow-origin']).toBeUndefined();
    expect((await agentNames()).sort()).toEqual([...agentsBefore, 'app-one', 'curl-one'].sort());
  });

  it('anonymous TCP status is a summary; `server status` over the socket keeps its full output', async () => {
    const tcp = await send('GET', '/api/status');
    expect(tcp.status).toBe(200);
    expect(JSON.parse(tcp.text)).toMatchObject({ detail: 'summary', running: true });
    expect(tcp.text).not.toContain(home.dir);
    expect(tcp.text).not.toContain('"pid"');
    const full = await home.status();
    expect(full.home).toBe(home.dir);
    expect(full.socket).toBe(home.socket);
    expect(full.pid).toBeGreaterThan(0);
    const text = await home.run(['server', 'status']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain(home.socket);
  });

  it('a slow-drip body gets 408 and the connection closed; SSE streams longer than the request timeout finish; extra connections are refused', async () => {
    // Headers at once, then one body byte every 200 ms: the 1.5 s request timeout ends it.
    const dripped = await new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      let got = '';
      const drip = setInterval(() => sock.write('a'), 200);
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => (got += d));
      sock.on('close', () => {
        clearInterval(drip);
        resolve(got);
      });
      sock.on('error', () => undefined);
      sock.write(`POST /api/agents HTTP/1.1\r\nHost: ${own()}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
    });
    expect(dripped).toMatch(/^HTTP\/1\.1 408/);

    // MAX_CONNECTIONS streams that last longer than the request timeout (one word every 400 ms). A
    // connection the daemon refuses never reaches the app, so each is opened until it is accepted
    // (the previous tests' connections may still be closing).
    fake.setDefault({ content: 'one two three four five six seven eight', chunk_delay_ms: 400 });
    const streams: Promise<string>[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) streams.push((await waitFor(`stream ${i + 1} to start`, () => openStream().catch(() => undefined))).done);
    await expect(send('GET', '/health')).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
    for (const text of await Promise.all(streams)) {
      expect(parseSse(text).map((e) => e.event)).toContain('done');
      expect(text).toContain('eight');
    }
    fake.setDefault({ content: 'ok' });
    await waitFor('a connection to be accepted again', () =>
      send('GET', '/health').then(
        (r) => r.status === 200,
        () => false,
      ),
    );
  });

  /** Start a streaming chat; resolves once its response starts, with `done`: the whole stream's text. */
  const openStream = () =>
    new Promise<{ done: Promise<string> }>((started, refused) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/agents/router/chat',
          agent: false,
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          started({
            done: new Promise<string>((resolve, reject) => {
              res.on('data', (d: string) => (text += d));
              res.on('end', () => resolve(text));
              res.on('error', reject);
            }),
          });
        },
      );
      req.on('error', refused);
      req.end(JSON.stringify({ message: 'hi', stream: true }));
    });

  it('created under umask 000, everything is owner-only; looser modes are tightened at the next start', async () => {
    const mode = (rel: string) => (statSync(join(home.dir, rel)).mode & 0o777).toString(8);
    const expectPrivate = () => {
      for (const dir of ['config', 'config/agents', 'data', 'logs', 'run']) expect(mode(dir), dir).toBe('700');
      for (const file of ['ares.toml', 'data/ares.db', 'data/ares.db-wal', 'data/ares.db-shm', 'data/jwt-secret', 'logs/caxton.log', 'run/caxton.sock'])
        expect(mode(file), file).toBe('600');
      for (const file of readdirSync(join(home.dir, 'config', 'agents'))) expect(mode(`config/agents/${file}`), file).toBe('600');
    };
    expectPrivate();

    expect((await home.run(['server', 'stop'])).exitCode).toBe(0);
    for (const rel of ['data', 'logs']) chmodSync(join(home.dir, rel), 0o755);
    for (const rel of ['data/ares.db', 'logs/caxton.log']) chmodSync(join(home.dir, rel), 0o644);
    await start();
    expectPrivate();
  });
});
