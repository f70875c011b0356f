/**
 * `GET /api/mcp/servers` with user-tier MCP servers: besides the system servers, a user sees the rows
 * the catalog lists for them — their own (private and public) by name and other users' public rows
 * as OWNER/NAME (SPEC §4) — with state, tools and last_error (`idle` until first use), never another
 * user's private row and never an owner's email; the admin over the control socket sees every live connection with
 * its owner's email. In-process app (tests/api/fixture.ts); the pool's status is given as the daemon
 * would report it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpServerStatus, PooledServerStatus } from '../../src/domain/mcp-status.js';
import { client, makeApp } from './fixture.js';

const system: McpServerStatus[] = [
  { name: 'everything', state: 'ready', transport: 'stdio', tools: 1, tool_names: ['everything.echo'], last_error: null, restarts: 0 },
];
const pooled: PooledServerStatus[] = [];
const t = await makeApp({ authRequired: true, mcpServers: () => system, userMcpServers: () => pooled });
const call = client(t.app);
afterAll(() => t.close());

const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const emails = { A: 'list-a@example.com', B: 'list-b@example.com', C: 'list-c@example.com' } as const;

beforeAll(async () => {
  for (const [who, email] of Object.entries(emails)) {
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse', name: who } })).status).toBe(201);
    tokens[who] = (await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } })).json.access_token;
  }
  const mk = async (who: string, name: string, isPublic: boolean) => {
    const res = await call('POST', '/api/mcps', { token: tokens[who], body: { name, url: `https://1.1.1.1/${name}`, is_public: isPublic } });
    expect(res.status).toBe(201);
    ids[name] = res.json.id;
  };
  await mk('A', 'a-priv', false);
  await mk('A', 'a-pub', true);
  await mk('B', 'b-priv', false);
  const userId = async (who: 'A' | 'B') => (await t.store.tenants.users.byEmail(emails[who]))!.id;
  // Live connections: A's private row is ready, B's private row failed.
  pooled.push(
    {
      key: ids['a-priv']!,
      owner: await userId('A'),
      name: 'a-priv',
      state: 'ready',
      transport: 'http',
      tools: 2,
      tool_names: ['a-priv.echo', 'a-priv.add'],
      last_error: null,
      restarts: 0,
    },
    {
      key: ids['b-priv']!,
      owner: await userId('B'),
      name: 'b-priv',
      state: 'failed',
      transport: 'http',
      tools: 0,
      tool_names: [],
      last_error: 'refused: 10.0.0.7 is a private or loopback address',
      restarts: 1,
    },
  );
});

type Row = { name: string; source: string; state: string; key?: string; owner?: string; tools: number; last_error: string | null };
const list = async (opts: { token?: string; socket?: boolean }): Promise<Row[]> => {
  const res = await call('GET', '/api/mcp/servers', opts);
  expect(res.status).toBe(200);
  return res.json.servers;
};

describe('GET /api/mcp/servers with user-tier rows', () => {
  it('a user sees the system servers, their own rows (live or idle) and no owner', async () => {
    const rows = await list({ token: tokens.A });
    expect(rows.map((r) => [r.name, r.source, r.state])).toEqual([
      ['everything', 'system', 'ready'],
      ['a-priv', 'user', 'ready'],
      ['a-pub', 'user', 'idle'],
    ]);
    expect(rows.find((r) => r.name === 'a-priv')).toMatchObject({ key: ids['a-priv'], tools: 2, last_error: null });
    expect(rows.some((r) => 'owner' in r)).toBe(false);
  });

  it("another user sees their own failed row with its error and A's public row, never A's private one", async () => {
    const rows = await list({ token: tokens.B });
    expect(rows.map((r) => [r.name, r.source, r.state])).toEqual([
      ['everything', 'system', 'ready'],
      ['b-priv', 'user', 'failed'],
      ['list-a/a-pub', 'community', 'idle'],
    ]);
    expect(rows.find((r) => r.name === 'b-priv')!.last_error).toContain('private or loopback');
    const text = JSON.stringify(rows);
    expect(text).not.toContain('a-priv');
    expect(text).not.toContain(ids['a-priv']!);
    expect(text).not.toContain(emails.A);
  });

  it("a third user sees only the public row; --as over the socket is that user's view", async () => {
    const names = (await list({ token: tokens.C })).map((r) => r.name);
    expect(names).toEqual(['everything', 'list-a/a-pub']);
    const asB = (await call('GET', '/api/mcp/servers', { socket: true, as: emails.B })).json.servers as Row[];
    expect(asB.map((r) => r.name)).toEqual(['everything', 'b-priv', 'list-a/a-pub']);
  });

  it('the admin over the control socket sees every live connection (and the public rows it could use) with owners', async () => {
    const rows = await list({ socket: true });
    expect(rows.map((r) => [r.name, r.source, r.state, r.owner])).toEqual([
      ['everything', 'system', 'ready', undefined],
      ['list-a/a-pub', 'community', 'idle', emails.A],
      ['a-priv', 'user', 'ready', emails.A],
      ['b-priv', 'user', 'failed', emails.B],
    ]);
  });
});
