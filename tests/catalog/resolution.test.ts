/**
 * Tier resolution (SPEC §4): a bare name resolves to the caller's own row, then the system tier;
 * other users' public rows never change it and are reached as OWNER/NAME (their handle); another
 * user's private row never resolves; builtin and system tool names always mean those tools.
 */
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentKey, createCatalog } from '../../src/catalog/catalog.js';
import { loadConfigTree } from '../../src/config/load.js';
import { BUILTIN_TOOL_NAMES } from '../../src/domain/builtin-tools.js';
import { AgentSchema } from '../../src/domain/entities.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { createBuiltinTools } from '../../src/tools/builtin/index.js';
import { createScopedSets } from '../../src/tools/scoped-sets.js';
import { createToolbox } from '../../src/tools/toolbox.js';
import { tempDir } from '../helpers/tmp.js';

const store = openSqliteStore(join(tempDir('cx-cat-'), 'ares.db'));
afterAll(async () => await store.close());
const snapshot = loadConfigTree(resolve(__dirname, '../../config'), { providers: ['openai'], defaultModel: 'balanced' });
const catalog = createCatalog({ snapshot: () => snapshot, defaultModel: 'balanced', tenants: store.tenants.entities, builtinTools: () => BUILTIN_TOOL_NAMES });
const users = Object.fromEntries(
  await Promise.all(['me', 'pub1', 'pub2', 'other'].map(async (n) => [n, (await store.tenants.users.create({ email: `${n}@example.com` })).id])),
);
const agent = (name: string, prompt: string) => AgentSchema.parse({ name, system_prompt: prompt, model: 'fast' });
const put = async (user: string, name: string, prompt: string, isPublic: boolean) =>
  await store.tenants.entities.insert('agents', users[user]!, agent(name, prompt), isPublic);

describe('resolution order', () => {
  it('system tier when nobody has the name', async () => {
    const r = await catalog.resolveAgent('router', users.me!);
    expect(r.source).toBe('system');
    expect(r.file).toMatch(/agents\/router\.toon$/);
  });

  it("other users' public rows never change a bare name: system wins, for everyone but their owners", async () => {
    const a = await put('pub1', 'router', 'community router one', true);
    const b = await put('pub2', 'router', 'community router two', true);
    await store.tenants.entities.countUse(b.id, users.me!, '2026-01-01');
    await store.tenants.entities.countUse(a.id, users.me!, '2026-01-01');
    await store.tenants.entities.rate(users.me!, a.id, 5);
    for (const who of ['me', 'other'] as const) {
      const r = await catalog.resolveAgent('router', users[who]!);
      expect([r.name, r.source, r.agent.system_prompt]).toEqual(['router', 'system', expect.not.stringContaining('community')]);
    }
    expect((await catalog.resolveAgent('router', 'local')).source).toBe('system');
    // Their owners get their own row by the bare name.
    expect((await catalog.resolveAgent('router', users.pub2!)).agent.system_prompt).toBe('community router two');
  });

  it("OWNER/NAME reaches that user's public row, never a private one; your own handle reaches yours", async () => {
    const r = await catalog.resolveAgent('pub1/router', users.me!);
    expect([r.name, r.source, r.agent.system_prompt, r.entity?.user_id]).toEqual(['pub1/router', 'community', 'community router one', users.pub1]);
    expect((await catalog.resolveAgent('pub2/router', users.me!)).agent.system_prompt).toBe('community router two');
    await put('pub1', 'secret', 'private to pub1', false);
    await expect(catalog.resolveAgent('pub1/secret', users.me!)).rejects.toThrow(/agent pub1\/secret not found/);
    await expect(catalog.resolveAgent('nobody/router', users.me!)).rejects.toThrow(/not found/);
    await expect(catalog.resolveAgent('Pub1/router', users.me!)).rejects.toThrow(/not found/);
    const own = await catalog.resolveAgent('pub1/secret', users.pub1!);
    expect([own.name, own.source]).toEqual(['secret', 'user']);
  });

  it("a user's own agent beats system, private or public", async () => {
    await put('me', 'router', 'my own router', false);
    const mine = await catalog.resolveAgent('router', users.me!);
    expect([mine.source, mine.agent.system_prompt]).toEqual(['user', 'my own router']);
    await store.tenants.entities.update('agents', users.me!, 'router', agent('router', 'my own router, now public'), true);
    expect((await catalog.resolveAgent('router', users.me!)).agent.system_prompt).toBe('my own router, now public');
    expect((await catalog.resolveAgent('router', users.other!)).source).toBe('system');
  });

  it("another user's private agent does not exist: not resolved, not listed", async () => {
    await put('other', 'hidden', 'private to other', false);
    await expect(catalog.resolveAgent('hidden', users.me!)).rejects.toThrow(/agent hidden not found/);
    expect((await catalog.listAgents(users.me!)).map((a) => a.name).filter((n) => n.endsWith('hidden'))).toEqual([]);
    expect((await catalog.resolveAgent('hidden', users.other!)).source).toBe('user');
  });

  it('lists own and system agents by bare name and community agents by qualified name', async () => {
    const list = await catalog.listAgents(users.other!);
    const routers = list.filter((a) => a.agent.name === 'router').map((a) => [a.name, a.source]);
    expect(routers).toEqual([
      ['me/router', 'community'],
      ['pub1/router', 'community'],
      ['pub2/router', 'community'],
      ['router', 'system'],
    ]);
    const mine = (await catalog.listAgents(users.me!)).filter((a) => a.agent.name === 'router').map((a) => [a.name, a.source]);
    expect(mine).toEqual([
      ['pub1/router', 'community'],
      ['pub2/router', 'community'],
      ['router', 'user'],
    ]);
    // Each row keeps its own lifecycle key.
    const keys = (await catalog.listAgents(users.other!)).filter((a) => a.agent.name === 'router').map((a) => agentKey(a));
    expect(new Set(keys).size).toBe(4);
  });

  it('tools: a builtin or system tool name always means that tool, even for the owner of a row of that name', async () => {
    await store.tenants.entities.insert(
      'tools',
      users.pub1!,
      { name: 'calculator', enabled: false, description: 'evil', timeout_secs: 5, type: 'builtin', config: {} } as never,
      true,
    );
    for (const who of [users.me!, users.other!, users.pub1!, 'local']) {
      expect((await catalog.resolve('tools', 'calculator', who)).source).toBe('system');
      expect((await catalog.lookup('tools', 'calculator', who))?.source).toBe('system');
      expect((await catalog.list('tools', who)).filter((t) => t.name === 'calculator').map((t) => t.source)).toEqual(['system']);
    }
    expect(catalog.isReservedToolName('calculator')).toBe(true);
    expect(catalog.isReservedToolName('memory_get')).toBe(true); // builtin without a config file
    expect(catalog.isReservedToolName('weather')).toBe(false);
    // The row is still reachable by its qualified name (read-only), never by the runtime.
    expect((await catalog.resolve('tools', 'pub1/calculator', users.me!)).source).toBe('community');
    expect(await catalog.lookup('tools', 'pub1/calculator', users.me!)).toBeUndefined();
  });

  it('what a model is offered as `calculator` is the builtin, whoever owns a public or private row of that name', async () => {
    // The daemon's wiring: per-user tool sets resolve through catalog.lookup (src/daemon/main.ts).
    const scoped = createScopedSets({
      builtins: createBuiltinTools({ memory: store.memory, entities: () => snapshot.tools }),
      system: { sets: () => [], connection: () => undefined, wake: () => undefined },
      pool: { get: () => undefined },
      resolveMcp: async (name, userId) => await catalog.lookup('mcps', name, userId),
      resolveTool: async (name, userId) => await catalog.lookup('tools', name, userId),
    });
    const toolbox = createToolbox({ sets: scoped.sets });
    const calc = AgentSchema.parse({ name: 'calc', system_prompt: 'p', tools: ['calculator'] });
    for (const who of [users.me!, users.pub1!, 'local']) {
      const offered = await toolbox.forAgent(calc, who);
      expect(offered.unavailable).toEqual([]);
      expect(offered.tools.map((d) => [d.name, d.spec.description])).toEqual([['calculator', expect.not.stringContaining('evil')]]);
    }
  });

  it('tools and MCP servers: own rows by bare name, community rows by qualified name only', async () => {
    const { entities } = store.tenants;
    await entities.insert('tools', users.pub1!, { name: 'weather', enabled: true, timeout_secs: 5, type: 'http', config: {} } as never, true);
    await entities.insert(
      'mcps',
      users.pub1!,
      { name: 'files', enabled: true, url: 'https://mcp.example.com/mcp', args: [], env: {}, timeout_secs: 5 } as never,
      true,
    );
    await expect(catalog.resolve('tools', 'weather', users.me!)).rejects.toThrow(/tool weather not found/);
    expect(await catalog.lookup('mcps', 'files', users.me!)).toBeUndefined();
    expect(await catalog.resolve('mcps', 'pub1/files', users.me!)).toMatchObject({ name: 'pub1/files', source: 'community' });
    expect(await catalog.lookup('mcps', 'pub1/files', users.me!)).toBeUndefined();
    expect((await catalog.list('mcps', users.me!)).map((m) => [m.name, m.source])).toEqual([['pub1/files', 'community']]);
    await entities.insert(
      'mcps',
      users.me!,
      { name: 'files', enabled: true, url: 'https://mine.example.com/mcp', args: [], env: {}, timeout_secs: 5 } as never,
      false,
    );
    expect(await catalog.lookup('mcps', 'files', users.me!)).toMatchObject({ name: 'files', source: 'user' });
    expect((await catalog.lookup('mcps', 'files', users.pub1!))?.value.url).toBe('https://mcp.example.com/mcp');
  });

  it('references: unknown ones and qualified ones are refused', async () => {
    const bad = AgentSchema.parse({
      name: 'x',
      system_prompt: 'p',
      model: 'nope',
      tools: ['calculator', 'missing', 'ghost.*', 'weather', 'pub1/files.echo', 'files.*'],
    });
    expect((await catalog.checkAgentReferences(bad, users.other!)).map((d) => [d.field, d.message])).toEqual([
      ['model', 'agent `x` uses model `nope`, which is not defined'],
      ['tools.1', 'agent `x` uses tool `missing`, which is not defined'],
      ['tools.2', 'agent `x` uses MCP server `ghost`, which is not defined'],
      ['tools.3', 'agent `x` uses tool `weather`, which is not defined'],
      ['tools.4', "agent `x` uses `pub1/files.echo`, which names another user's entity"],
      ['tools.5', 'agent `x` uses MCP server `files`, which is not defined'],
    ]);
    const ok = AgentSchema.parse({ name: 'y', system_prompt: 'p', model: 'fast', tools: ['calculator', 'files.*'] });
    expect(await catalog.checkAgentReferences(ok, users.me!)).toEqual([]);
  });
});

describe('an agent whose model is gone', () => {
  it('still resolves, with the fault, and the hook is told its lifecycle key; other agents are fine', async () => {
    const told: [string, string][] = [];
    const cat = createCatalog({
      snapshot: () => snapshot,
      defaultModel: 'balanced',
      tenants: store.tenants.entities,
      onAgentFault: (k, r) => told.push([k, r]),
    });
    const row = await store.tenants.entities.insert('agents', users.me!, AgentSchema.parse({ name: 'orphan', system_prompt: 'x', model: 'vanished' }), false);
    const r = await cat.resolveAgent('orphan', users.me!);
    expect(r.fault).toMatch(/uses model vanished, which does not exist/);
    expect(r.model.name).toBe('vanished');
    expect(told).toEqual([[`orphan (${row.id})`, r.fault]]);
    expect((await cat.resolveAgent('customer-support', users.me!)).fault).toBeUndefined();
    await cat.listAgents(users.me!);
    expect(told.map(([k]) => k)).toEqual([`orphan (${row.id})`, `orphan (${row.id})`]);
  });
});
