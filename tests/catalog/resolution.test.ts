/**
 * Tier resolution (SPEC §4): the same name at user, community and system tier resolves
 * user -> community -> system; among community rows the most used (then best rated) wins; another
 * user's private agent never resolves.
 */
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/catalog/catalog.js';
import { loadConfigTree } from '../../src/config/load.js';
import { AgentSchema } from '../../src/domain/entities.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { tempDir } from '../helpers/tmp.js';

const store = openSqliteStore(join(tempDir('cx-cat-'), 'ares.db'));
afterAll(() => store.close());
const snapshot = loadConfigTree(resolve(__dirname, '../../config'), { providers: ['openai'], defaultModel: 'balanced' });
const catalog = createCatalog({ snapshot: () => snapshot, defaultModel: 'balanced', tenants: store.tenants.entities });
const users = Object.fromEntries(['me', 'pub1', 'pub2', 'other'].map((n) => [n, store.tenants.users.create({ email: `${n}@example.com` }).id]));
const agent = (name: string, prompt: string) => AgentSchema.parse({ name, system_prompt: prompt, model: 'fast' });
const put = (user: string, name: string, prompt: string, isPublic: boolean) => store.tenants.entities.insert('agents', users[user]!, agent(name, prompt), isPublic);

describe('resolution order', () => {
  it('system tier when nobody has the name', () => {
    const r = catalog.resolveAgent('router', users.me!);
    expect(r.source).toBe('system');
    expect(r.file).toMatch(/agents\/router\.toon$/);
  });

  it('community beats system; the most used, then best rated public row wins', () => {
    const a = put('pub1', 'router', 'community router one', true);
    const b = put('pub2', 'router', 'community router two', true);
    expect(catalog.resolveAgent('router', users.me!).agent.system_prompt).toBe('community router one'); // tie: oldest
    store.tenants.entities.countUse(b.id, users.me!, '2026-01-01');
    expect(catalog.resolveAgent('router', users.me!).agent.system_prompt).toBe('community router two');
    store.tenants.entities.countUse(a.id, users.me!, '2026-01-01');
    store.tenants.entities.rate(users.me!, a.id, 5);
    store.tenants.entities.rate(users.me!, b.id, 2);
    const r = catalog.resolveAgent('router', users.me!);
    expect([r.source, r.agent.system_prompt]).toEqual(['community', 'community router one']);
  });

  it("a user's own agent beats community and system, private or public", () => {
    put('me', 'router', 'my own router', false);
    const mine = catalog.resolveAgent('router', users.me!);
    expect([mine.source, mine.agent.system_prompt]).toEqual(['user', 'my own router']);
    // The publishers still see their own rows.
    expect(catalog.resolveAgent('router', users.pub2!).agent.system_prompt).toBe('community router two');
    store.tenants.entities.update('agents', users.me!, 'router', agent('router', 'my own router, now public'), true);
    expect(catalog.resolveAgent('router', users.me!).agent.system_prompt).toBe('my own router, now public');
  });

  it("another user's private agent does not exist: not resolved, not listed", () => {
    put('other', 'hidden', 'private to other', false);
    expect(() => catalog.resolveAgent('hidden', users.me!)).toThrow(/agent hidden not found/);
    expect(catalog.listAgents(users.me!).map((a) => a.agent.name)).not.toContain('hidden');
    expect(catalog.resolveAgent('hidden', users.other!).source).toBe('user');
  });

  it('lists one entry per name with the winning tier', () => {
    const list = catalog.listAgents(users.me!);
    const routers = list.filter((a) => a.agent.name === 'router');
    expect(routers).toHaveLength(1);
    expect(routers[0]!.source).toBe('user');
    const forOther = catalog.listAgents(users.other!).find((a) => a.agent.name === 'router')!;
    // For a third user, `me`'s new public row is least used, so the best-used-and-rated one still wins.
    expect([forOther.source, forOther.agent.system_prompt]).toEqual(['community', 'community router one']);
  });

  it('tools and MCP servers resolve the same way; references are checked', () => {
    store.tenants.entities.insert('tools', users.pub1!, { name: 'calculator', enabled: true, timeout_secs: 5, type: 'http', config: {} } as never, true);
    expect(catalog.resolve('tools', 'calculator', users.me!).source).toBe('community');
    expect(catalog.resolve('tools', 'calculator', users.other!).source).toBe('community');
    expect(catalog.resolve('tools', 'web_search', users.me!).source).toBe('system');
    const bad = AgentSchema.parse({ name: 'x', system_prompt: 'p', model: 'nope', tools: ['calculator', 'missing', 'ghost.*'] });
    expect(catalog.checkAgentReferences(bad, users.me!).map((d) => [d.field, d.message])).toEqual([
      ['model', 'unknown model nope'],
      ['tools.1', 'unknown tool missing'],
      ['tools.2', 'unknown MCP server ghost in tool reference ghost.*'],
    ]);
  });
});

describe('an agent whose model is gone (round 3)', () => {
  it('still resolves, with the fault, and the hook is told its lifecycle key; other agents are fine', () => {
    const told: [string, string][] = [];
    const cat = createCatalog({ snapshot: () => snapshot, defaultModel: 'balanced', tenants: store.tenants.entities, onAgentFault: (k, r) => told.push([k, r]) });
    const row = store.tenants.entities.insert('agents', users.me!, AgentSchema.parse({ name: 'orphan', system_prompt: 'x', model: 'vanished' }), false);
    const r = cat.resolveAgent('orphan', users.me!);
    expect(r.fault).toMatch(/uses model vanished, which does not exist/);
    expect(r.model.name).toBe('vanished');
    expect(told).toEqual([[`orphan (${row.id})`, r.fault]]);
    expect(cat.resolveAgent('customer-support', users.me!).fault).toBeUndefined();
    cat.listAgents(users.me!);
    expect(told.map(([k]) => k)).toEqual([`orphan (${row.id})`, `orphan (${row.id})`]);
  });
});
