/**
 * The user-tier MCP pool and per-user tool sets (SPEC §4) on real MCP servers:
 * server-everything as a stdio child (one child per row, shared; ended on drop, change and close),
 * in-memory SDK servers for resolution through the Toolbox (a user's server shadows the system one of
 * the same name, another user's private row never resolves, user-tier tool rows that cannot run are
 * listed as unavailable with the reason, an idle system server is woken for a user agent).
 */
import { createRequire } from 'node:module';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer as SdkServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentSchema, McpServerSchema, ToolSchema, type Agent, type McpServer, type Tool } from '../../../src/domain/entities.js';
import type { TransportFactory } from '../../../src/tools/mcp/connection.js';
import { createMcpManager, type McpManager } from '../../../src/tools/mcp/manager.js';
import { createMcpPool, type McpPool } from '../../../src/tools/mcp/pool.js';
import { createScopedSets } from '../../../src/tools/scoped-sets.js';
import type { ResolvedEntity, UserEntity } from '../../../src/domain/users.js';
import { createToolbox } from '../../../src/tools/toolbox.js';
import { createBuiltinTools } from '../../../src/tools/builtin/index.js';
import type { MemoryStore } from '../../../src/store/types.js';
import { processAlive, waitFor } from '../../helpers/cli.js';

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const quiet = { info() {}, warn() {}, error() {} };

const pools: McpPool[] = [];
const managers: McpManager[] = [];
afterEach(async () => {
  await Promise.all([...pools.splice(0).map((p) => p.close()), ...managers.splice(0).map((m) => m.close())]);
});

const server = (fields: Record<string, unknown>): McpServer => McpServerSchema.parse(fields);
const agent = (tools: string[]): Agent => AgentSchema.parse({ name: 'bot', system_prompt: 'x', tools });
const tool = (fields: Record<string, unknown>): Tool => ToolSchema.parse(fields);
const ctx = (userId: string) => ({ agentName: 'bot', userId, signal: new AbortController().signal });

/** In-memory servers whose `echo` says which server answered (`tag`). */
function tagged(): TransportFactory {
  return async (s) => {
    const srv = new SdkServer({ name: s.name, version: '1.0.0' });
    const tag = s.url ?? s.command ?? '';
    srv.registerTool('echo', { inputSchema: { message: z.string() } }, async ({ message }) => ({ content: [{ type: 'text', text: `${tag}: ${message}` }] }));
    const [client, side] = InMemoryTransport.createLinkedPair();
    await srv.connect(side);
    return { transport: client };
  };
}

describe('MCP pool (real stdio children)', () => {
  it('one child per row, shared by every get; ended when the row is dropped, changed, or the pool closes', async () => {
    const pool = createMcpPool({ log: quiet });
    pools.push(pool);
    const row = server({ name: 'ev', command: process.execPath, args: [EVERYTHING, 'stdio'], timeout_secs: 20 });
    const a = pool.get('mcp_1', row)!;
    await a.settled();
    expect(pool.get('mcp_1', row)).toBe(a);
    const first = a.childPid()!;
    expect(processAlive(first)).toBe(true);
    expect(pool.status()).toMatchObject([{ key: 'mcp_1', name: 'ev', state: 'ready' }]);

    // Changed value: a new connection, the old child ends.
    const b = pool.get('mcp_1', { ...row, timeout_secs: 19 })!;
    expect(b).not.toBe(a);
    await b.settled();
    await waitFor('the old child to end', () => !processAlive(first), 10_000);
    const second = b.childPid()!;

    pool.drop('mcp_1');
    await waitFor('the dropped child to end', () => !processAlive(second), 10_000);
    expect(pool.status()).toEqual([]);

    const c = pool.get('mcp_2', row)!;
    await c.settled();
    const third = c.childPid()!;
    await pool.close();
    expect(processAlive(third)).toBe(false);
    expect(pool.get('mcp_3', row)).toBeUndefined();
  }, 40_000);
});

describe('MCP pool: dropping by owner', () => {
  it("closes the connections of one owner's rows and keeps the others'; with no owner, every connection", async () => {
    const pool = createMcpPool({ log: quiet, createTransport: tagged() });
    pools.push(pool);
    const web = server({ name: 'web', url: 'http://web.example/mcp' });
    pool.get('mcp_a1', web, { owner: 'ann' });
    pool.get('mcp_a2', web, { owner: 'ann' });
    pool.get('mcp_b1', web, { owner: 'bob' });
    pool.dropOwned('ann');
    expect(pool.status().map((s) => s.key)).toEqual(['mcp_b1']);
    pool.dropOwned(undefined);
    expect(pool.status()).toEqual([]);
  });
});

describe('per-user tool sets through the Toolbox', () => {
  const systemWeb = server({ name: 'web', url: 'http://system.example/mcp' });
  const annWeb = server({ name: 'web', url: 'http://ann.example/mcp' });
  const idle = server({ name: 'quiet', url: 'http://quiet.example/mcp' });

  /** A user-tier row of `owner` (only what the scoped sets read: id and owner). */
  const row = <T extends { name: string }>(owner: string, id: string, value: T): ResolvedEntity<T> => ({
    name: value.name,
    value,
    source: 'user',
    entity: { id, user_id: owner } as UserEntity,
  });
  /** Rows per user: ann owns a private `web` server, a `weather` tool of type http and a disabled `clock`. */
  const mcpRows: Record<string, Record<string, ResolvedEntity<McpServer>>> = { ann: { web: row('ann', 'mcp_ann_web', annWeb) } };
  const toolRows: Record<string, Record<string, ResolvedEntity<Tool>>> = {
    ann: { weather: row('ann', 'tool_1', tool({ name: 'weather', type: 'http' })), clock: row('ann', 'tool_2', tool({ name: 'clock', enabled: false })) },
  };
  const system: Record<string, McpServer> = { web: systemWeb, quiet: idle };

  async function setup() {
    const mcp = createMcpManager({ log: quiet, createTransport: tagged() });
    managers.push(mcp);
    mcp.reconcile([systemWeb, idle], new Set(['web']));
    await mcp.settled();
    const pool = createMcpPool({ log: quiet, createTransport: tagged() });
    pools.push(pool);
    const scoped = createScopedSets({
      builtins: createBuiltinTools({ memory: {} as MemoryStore }),
      system: mcp,
      pool,
      resolveMcp: async (name, userId) => mcpRows[userId]?.[name] ?? (system[name] ? { name, value: system[name], source: 'system' } : undefined),
      resolveTool: async (name, userId) => toolRows[userId]?.[name],
    });
    return { mcp, pool, toolbox: createToolbox({ sets: scoped.sets, prepare: scoped.prepare }) };
  }

  it("a user's own server wins over the system one of the same name; other users get the system one", async () => {
    const { toolbox } = await setup();
    const a = agent(['web.echo']);
    await toolbox.prepare(a, 'ann');
    expect((await toolbox.forAgent(a, 'ann')).tools.map((t) => t.spec.name)).toEqual(['web__echo']);
    expect(await toolbox.call(a, 'web__echo', { message: 'hi' }, ctx('ann'))).toEqual({ content: 'http://ann.example/mcp: hi' });
    await toolbox.prepare(a, 'bob');
    expect(await toolbox.call(a, 'web__echo', { message: 'hi' }, ctx('bob'))).toEqual({ content: 'http://system.example/mcp: hi' });
    // Without a user (callers that have none): the system tier only.
    expect(await toolbox.call(a, 'web__echo', { message: 'x' }, { agentName: 'bot', userId: '', signal: new AbortController().signal })).toEqual({
      content: 'http://system.example/mcp: x',
    });
  });

  it('a system server idle because no system agent names it is woken for a user agent', async () => {
    const { mcp, toolbox } = await setup();
    expect(mcp.status().find((s) => s.name === 'quiet')!.state).toBe('idle');
    const a = agent(['quiet.*']);
    await toolbox.prepare(a, 'bob');
    expect(mcp.status().find((s) => s.name === 'quiet')!.state).toBe('ready');
    expect(await toolbox.call(a, 'quiet__echo', { message: 'awake' }, ctx('bob'))).toEqual({ content: 'http://quiet.example/mcp: awake' });
    // A later reload that still names it in no system agent keeps it started.
    mcp.reconcile([systemWeb, idle], new Set(['web']));
    expect(mcp.status().find((s) => s.name === 'quiet')!.state).toBe('ready');
  });

  it('user-tier tool rows cannot run: their owner sees why, builtins stay offered, other users see no row', async () => {
    const { toolbox } = await setup();
    const a = agent(['calculator', 'weather', 'clock']);
    const mine = await toolbox.forAgent(a, 'ann');
    expect(mine.tools.map((t) => t.name)).toEqual(['calculator']);
    expect(mine.unavailable).toEqual([
      { name: 'weather', reason: expect.stringContaining('your tool weather has type http') },
      { name: 'clock', reason: 'disabled by your tool clock (enabled = false)' },
    ]);
    expect((await toolbox.call(a, 'weather', {}, ctx('ann'))).isError).toBe(true);
    expect(await toolbox.call(a, 'calculator', { expression: '6*7' }, ctx('ann'))).toEqual({ content: '42' });
    expect((await toolbox.forAgent(a, 'bob')).unavailable.map((u) => u.reason)).toEqual([
      expect.stringContaining('no tool named weather'),
      expect.stringContaining('no tool named clock'),
    ]);
  });
});
