/**
 * `GET /api/status` and `GET /api/config/status` (SPEC §5 `server status`, §6): full details for the
 * admin only (the control socket, or an admin account over TCP); anyone else gets a summary that
 * names no path, pid, socket, provider reason or config diagnostic text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigStatus, StatusReport } from '../../src/domain/status.js';
import { client, makeApp, type TestApp } from './fixture.js';

const DIAGNOSTIC = { code: 'E_VALUE', file: 'config/agents/secret-project.toon', line: 3, col: 1, message: 'max_tool_iterations must be 1-100' };
const CONFIG: ConfigStatus = {
  loaded_at: 1_000,
  errors: 1,
  warnings: 0,
  diagnostics: [DIAGNOSTIC],
  last_success_at: 1_000,
  last_attempt_at: 2_000,
  reloads: 1,
  rejected: 1,
  last_errors: [DIAGNOSTIC],
  last_reload_ms: 12,
  rewatches: 0,
  watch_error: 'cannot watch config/agents: EMFILE (secret-project)',
};
const REPORT: StatusReport = {
  running: true,
  pid: 424242,
  version: '1.2.3',
  node: 'v20.0.0',
  url: 'http://127.0.0.1:8080',
  socket: '/home/alice/.caxton/run/caxton.sock',
  home: '/home/alice/.caxton',
  started_at: 500,
  uptime_ms: 1_500,
  agents: 3,
  counts: { agents: 3, models: 1, tools: 2, workflows: 0, mcps: 0 },
  models: [
    {
      name: 'balanced',
      provider: 'openai',
      provider_type: 'openai',
      model: 'gpt-4o-mini',
      state: 'offline',
      reason: '401 Incorrect API key provided: sk-proj-abc',
    },
  ],
  database: { ok: true, backend: 'sqlite', path: '/home/alice/.caxton/data/ares.db', journal_mode: 'wal', schema_version: 7 },
  config: CONFIG,
  runs: { in_flight: 2, queued: 1, max_concurrent: 64 },
};
/** Strings only the admin may see. */
const PRIVATE = ['/home/alice', '424242', 'caxton.sock', 'Incorrect API key', 'secret-project', 'max_tool_iterations', 'spawn ENOENT'];

let t: TestApp;
afterEach(() => t?.close());

async function setup() {
  t = await makeApp({
    status: async () => REPORT,
    configStatus: () => CONFIG,
    mcpServers: () => [
      { name: 'files', state: 'failed', transport: 'stdio', tools: 0, tool_names: [], last_error: 'spawn ENOENT /opt/private/bin', restarts: 2 },
    ],
  });
  return client(t.app);
}

describe('status details', () => {
  it('an anonymous TCP caller gets summaries: what runs and how much, nothing that locates or explains', async () => {
    const call = await setup();
    const status = await call('GET', '/api/status');
    expect(status.status).toBe(200);
    expect(status.json).toEqual({
      detail: 'summary',
      running: true,
      version: '1.2.3',
      started_at: 500,
      uptime_ms: 1_500,
      agents: 3,
      counts: REPORT.counts,
      models: [{ name: 'balanced', provider: 'openai', provider_type: 'openai', model: 'gpt-4o-mini', state: 'offline' }],
      database: { ok: true, backend: 'sqlite', journal_mode: 'wal', schema_version: 7 },
      config: { errors: 1, warnings: 0, reloads: 1, rejected: 1 },
      runs: { in_flight: 2, queued: 1, max_concurrent: 64 },
      mcp_servers: [{ name: 'files', state: 'failed', transport: 'stdio', tools: 0 }],
    });
    const config = await call('GET', '/api/config/status');
    expect(config.json).toMatchObject({ detail: 'summary', errors: 1, rejected: 1, last_error_count: 1 });
    for (const text of [status.text, config.text]) for (const s of PRIVATE) expect(text).not.toContain(s);
  });

  it('the control socket (`caxton server status`) gets everything', async () => {
    const call = await setup();
    const status = await call('GET', '/api/status', { socket: true });
    expect(status.json).toMatchObject({
      pid: 424242,
      home: REPORT.home,
      socket: REPORT.socket,
      database: { path: REPORT.database.path },
      config: { diagnostics: [DIAGNOSTIC] },
    });
    expect(status.json.models[0].reason).toContain('Incorrect API key');
    expect(status.json.mcp_servers[0].last_error).toContain('spawn ENOENT');
    expect((await call('GET', '/api/config/status', { socket: true })).json).toEqual(CONFIG);
  });

  it('an admin account over TCP gets everything; a plain user and `--as` do not', async () => {
    const call = await setup();
    await t.store.tenants.users.create({ email: 'root@example.com', isAdmin: true });
    await t.store.tenants.users.create({ email: 'ann@example.com' });
    const rootKey = (await call('POST', '/api/keys', { socket: true, as: 'root@example.com', body: {} })).json.key as string;
    const annKey = (await call('POST', '/api/keys', { socket: true, as: 'ann@example.com', body: {} })).json.key as string;
    expect((await call('GET', '/api/status', { token: rootKey })).json.pid).toBe(424242);
    expect((await call('GET', '/api/config/status', { token: rootKey })).json.diagnostics).toEqual([DIAGNOSTIC]);
    expect((await call('GET', '/api/status', { token: annKey })).json.detail).toBe('summary');
    expect((await call('GET', '/api/config/status', { socket: true, as: 'ann@example.com' })).json.detail).toBe('summary');
  });
});
