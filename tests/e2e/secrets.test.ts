/**
 * Secrets never leave the daemon, found by value (real binary, fake provider, real SQLite):
 * the provider's error text echoes the Authorization header (a key that does not look like `sk-...`)
 * and quotes the JWT secret, a system MCP server's env token and a user tool's `api_key`; that MCP
 * server prints its token to stderr as it dies. Every output a client or operator can read is then
 * captured and searched for each value: JSON, SSE and /v1 (JSON and stream) chat errors,
 * `/agents/NAME/message`, `/mcp`, the executions API, `/api/status`, `/api/config/status`,
 * `/api/mcp/servers`, `caxton server status --json`, the daemon log and the SQLite files.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '@toon-format/toon';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOpenAI } from '../helpers/fake-openai.js';
import { homeRegistry, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { parseSse } from '../helpers/sse.js';

requireBuild();

const hex = () => randomBytes(12).toString('hex');
/** Deliberately unlike `sk-...`: only scrubbing by value can catch it. */
const KEY = `prov-${hex()}`;
const JWT = `jwt-${hex()}`;
const VAULT = `vault-${hex()}`;
const TOOL_KEY = `tool-${hex()}`;
const SECRETS = { provider_key: KEY, jwt_secret: JWT, mcp_env_token: VAULT, user_tool_key: TOOL_KEY };

describe('secrets never leave (real daemon)', { timeout: 90_000 }, () => {
  const homes = homeRegistry();
  const captured: { what: string; text: string }[] = [];
  let fake: FakeOpenAI;
  let home: TestHome;
  let base = '';

  const http = async (what: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(base + path, init);
    const text = await res.text();
    captured.push({ what, text });
    return { status: res.status, text };
  };
  const post = (what: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    http(what, path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    ({
      fake,
      home,
      url: base,
    } = await homes.startWithFake({ default: { status: 400, echo_auth: `(jwt ${JWT}, vault ${VAULT}, tool ${TOOL_KEY})` } }, (h) => {
      h.env = { ...h.env, OPENAI_API_KEY: KEY, ARES_JWT_SECRET: JWT, VAULT_TOKEN: VAULT };
      const dies = "console.error('fatal: token ' + process.env.TOKEN + ' rejected'); process.exit(1)";
      h.writeFile('config/mcps/vault.toon', encode({ name: 'vault', command: process.execPath, args: ['-e', dies], env: { TOKEN: '${VAULT_TOKEN}' } }));
      h.writeFile('config/agents/vaulter.toon', encode({ name: 'vaulter', model: 'fast', system_prompt: 'Use the vault.', tools: ['vault.*'] }));
    }));
    // A user-tier tool credential, written at run time (the owner's own 201 echo is not captured).
    const tool = await fetch(`${base}/api/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crm', type: 'http', config: { url: 'https://crm.example.com', api_key: TOOL_KEY } }),
    });
    expect(tool.status).toBe(201);
  }, 60_000);
  afterAll(() => homes.cleanupAll());

  it('chat errors over JSON, SSE, /v1 (JSON and stream), /agents/NAME/message and /mcp say what failed without the secrets', async () => {
    const json = await post('JSON chat', '/api/agents/router/chat', { message: 'hi' });
    expect(json.status).toBe(502);
    expect(JSON.parse(json.text).error.message).toMatch(
      /^provider openai \(HTTP 400\): Fake error \(HTTP 400\): invalid header Authorization: Bearer \[redacted\] \(jwt \[redacted\], vault \[redacted\], tool \[redacted\]\)/,
    );
    // The provider really got the key, and really echoed it.
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);

    const sse = await post('SSE chat', '/api/agents/router/chat', { message: 'hi', stream: true });
    expect(parseSse(sse.text)).toContainEqual({ event: 'error', data: expect.objectContaining({ message: expect.stringContaining('Bearer [redacted]') }) });
    const v1 = await post('/v1 JSON', '/v1/chat/completions', { model: 'router', messages: [{ role: 'user', content: 'hi' }] });
    expect(v1.status).toBe(502);
    expect(v1.text).toContain('Bearer [redacted]');
    const v1s = await post('/v1 stream', '/v1/chat/completions', { model: 'router', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const chunks = parseSse(v1s.text).map((e) => e.data);
    expect(chunks).toContainEqual({ error: expect.objectContaining({ message: expect.stringContaining('Bearer [redacted]') }) });
    expect(chunks.at(-1)).toBe('[DONE]');
    const message = await post('/agents/NAME/message', '/agents/router/message', { text: 'hi' });
    expect(message.status).toBe(502);
    expect(message.text).toContain('Bearer [redacted]');
    const mcp = await post(
      '/mcp tools/call',
      '/mcp',
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'router', arguments: { message: 'hi' } } },
      { accept: 'application/json, text/event-stream' },
    );
    expect(mcp.text).toMatch(/"isError":true/);
    expect(mcp.text).toContain('Bearer [redacted]');
  });

  it('stored runs, status, config status, MCP state, `server status --json` and the log carry none of them', async () => {
    const dead = await waitFor(
      'the vault MCP server to report its stderr',
      async () => {
        const r = await fetch(`${base}/api/mcp/servers`);
        const body = (await r.json()) as { servers?: { name: string; last_error: string | null }[] } | { name: string; last_error: string | null }[];
        const rows = Array.isArray(body) ? body : (body.servers ?? []);
        return rows.find((s) => s.name === 'vault' && s.last_error?.includes('fatal: token'));
      },
      20_000,
    );
    expect(dead.last_error).toContain('fatal: token [redacted] rejected');

    const executions = await http('executions API', '/api/executions?limit=50');
    expect(executions.text).toContain('Bearer [redacted]');
    await http('/api/status', '/api/status');
    await http('/api/config/status', '/api/config/status');
    await http('/api/mcp/servers', '/api/mcp/servers');
    const status = await home.run(['--json', 'server', 'status']);
    expect(status.exitCode).toBe(0);
    captured.push({ what: 'caxton server status --json', text: status.stdout + status.stderr });
    const log = readFileSync(home.logFile, 'utf8');
    expect(log).toContain('[redacted]');
    captured.push({ what: 'daemon log', text: log });

    // Stored rows, read back with SQL; the raw database files (WAL included) for the daemon's own secrets.
    const dbFile = join(home.dir, 'data', 'ares.db');
    const db = new Database(dbFile, { readonly: true });
    try {
      const rows = db.prepare('SELECT error_message, output, tool_calls FROM agent_executions').all();
      expect(JSON.stringify(rows)).toContain('[redacted]');
      captured.push({ what: 'agent_executions rows', text: JSON.stringify(rows) });
      captured.push({ what: 'messages rows', text: JSON.stringify(db.prepare('SELECT content FROM messages').all()) });
    } finally {
      db.close();
    }
    const files = readdirSync(join(home.dir, 'data')).filter((f) => f.startsWith('ares.db'));
    expect(files).toContain('ares.db');
    for (const f of files) {
      const bytes = readFileSync(join(home.dir, 'data', f)).toString('latin1');
      for (const [name, value] of Object.entries({ provider_key: KEY, jwt_secret: JWT, mcp_env_token: VAULT })) {
        expect(bytes.includes(value), `${name} in ${f}`).toBe(false);
      }
    }

    const leaks = captured.flatMap(({ what, text }) =>
      Object.entries(SECRETS)
        .filter(([, v]) => text.includes(v))
        .map(([name]) => `${name} in ${what}`),
    );
    expect(captured.length).toBeGreaterThanOrEqual(14);
    expect(leaks).toEqual([]);
  });
});
