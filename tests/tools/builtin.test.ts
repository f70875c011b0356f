/**
 * Builtin tools through the builtin ToolSet: http_fetch against a real local HTTP server (private
 * address refusal, allowlist, size limit, redirects), memory scopes over a real SQLite store,
 * current_time, and web_search listed as unavailable without a backend.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolSchema, type Tool } from '../../src/domain/entities.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { createBuiltinTools } from '../../src/tools/builtin/index.js';
import { hostAllowed } from '../../src/tools/builtin/http-fetch.js';
import { isPrivateAddress } from '../../src/tools/net-policy.js';
import type { MemoryScope, ToolContext } from '../../src/tools/types.js';
import { tempDir } from '../helpers/tmp.js';

const store = openSqliteStore(join(tempDir('cx-bt-'), 'ares.db'));
let server: http.Server;
let base = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(5000));
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/hello' });
      res.end();
    } else if (req.url === '/hello') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"hello":"world"}');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('nope');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await store.close();
  await new Promise((r) => server.close(r));
});

const entities = (...tools: Partial<Tool>[]) => new Map(tools.map((t) => [t.name!, { value: ToolSchema.parse({ type: 'builtin', ...t }) }]));
const ctx = (over: Partial<ToolContext> = {}): ToolContext => ({
  agentName: 'a',
  userId: 'local',
  conversationId: 'c1',
  signal: new AbortController().signal,
  ...over,
});

describe('builtin tools', () => {
  it('lists every builtin, takes timeouts from entities, and says why web_search is unavailable', () => {
    const set = createBuiltinTools({
      memory: store.memory,
      entities: () => entities({ name: 'calculator', timeout_secs: 2 }, { name: 'current_time', enabled: false }),
    });
    const names = set.list().map((d) => d.name);
    expect(names).toEqual(['calculator', 'http_fetch', 'memory_get', 'memory_set', 'memory_search', 'memory_store']);
    expect(set.list().find((d) => d.name === 'calculator')!.timeoutMs).toBe(2000);
    expect(set.unavailable()).toEqual([
      { name: 'current_time', reason: expect.stringMatching(/disabled/) },
      { name: 'web_search', reason: expect.stringMatching(/no search backend is configured/) },
    ]);
  });

  it('offers web_search once a backend is configured', () => {
    const set = createBuiltinTools({ memory: store.memory, entities: () => entities({ name: 'web_search', config: { backend_url: 'http://127.0.0.1:1/' } }) });
    expect(set.list().map((d) => d.name)).toContain('web_search');
  });

  it('calculator answers and reports bad expressions as error results', async () => {
    const set = createBuiltinTools({ memory: store.memory });
    expect(await set.call('calculator', { expression: '2 * (3 + 4)' }, ctx())).toEqual({ content: '14' });
    expect(await set.call('calculator', { expression: '2 *' }, ctx())).toMatchObject({ isError: true });
  });

  it('current_time gives UTC and a named zone, and refuses an unknown zone', async () => {
    const set = createBuiltinTools({ memory: store.memory });
    const r = JSON.parse((await set.call('current_time', { timezone: 'Asia/Tokyo' }, ctx())).content) as Record<string, string>;
    expect(new Date(r.utc!).getTime()).toBeGreaterThan(Date.parse('2024-01-01'));
    expect(r.local).toMatch(/GMT\+9/);
    expect(await set.call('current_time', { timezone: 'Mars/Olympus' }, ctx())).toMatchObject({ isError: true });
  });

  describe('memory', () => {
    const set = createBuiltinTools({ memory: store.memory });
    const as = (scope: MemoryScope, over: Partial<ToolContext> = {}) => ctx({ memoryScope: scope, ...over });

    it('stores and reads back per agent and user; another user does not see it', async () => {
      expect((await set.call('memory_set', { key: 'color', value: 'blue' }, as('agent'))).content).toBe('stored "color"');
      expect((await set.call('memory_get', { key: 'color' }, as('agent'))).content).toBe('blue');
      expect((await set.call('memory_get', { key: 'color' }, as('agent', { userId: 'u2' }))).content).toMatch(/nothing is stored/);
      expect((await set.call('memory_get', { key: 'color' }, as('agent', { agentName: 'other' }))).content).toMatch(/nothing is stored/);
    });

    it('shares user scope across agents, conversation scope only within a conversation, global with everyone', async () => {
      await set.call('memory_set', { key: 'name', value: 'Ada' }, as('user', { agentName: 'x' }));
      expect((await set.call('memory_get', { key: 'name' }, as('user', { agentName: 'y' }))).content).toBe('Ada');
      await set.call('memory_set', { key: 'topic', value: 'refunds' }, as('conversation'));
      expect((await set.call('memory_get', { key: 'topic' }, as('conversation'))).content).toBe('refunds');
      expect((await set.call('memory_get', { key: 'topic' }, as('conversation', { conversationId: 'c2' }))).content).toMatch(/nothing/);
      await set.call('memory_set', { key: 'motd', value: 'hello all' }, as('global'));
      expect((await set.call('memory_get', { key: 'motd' }, as('global', { userId: 'u9' }))).content).toBe('hello all');
    });

    it("keys agent scope by identity: a user's own `helper` and the system `helper` keep apart notes", async () => {
      const own = { agentName: 'helper', agentRow: { id: 'agent_own1', owner: 'local' } };
      await set.call('memory_set', { key: 'plan', value: 'system plan' }, as('agent', { agentName: 'helper' }));
      await set.call('memory_set', { key: 'plan', value: 'my plan' }, as('agent', own));
      expect((await set.call('memory_get', { key: 'plan' }, as('agent', { agentName: 'helper' }))).content).toBe('system plan');
      expect((await set.call('memory_get', { key: 'plan' }, as('agent', own))).content).toBe('my plan');
    });

    it("global: system agents share it with everyone; a user-tier agent's global is its owner's alone", async () => {
      await set.call('memory_set', { key: 'banner', value: 'from the system' }, as('global', { agentName: 'sys' }));
      const m = (await store.tenants.users.create({ email: 'mallory@example.com' })).id;
      const u = (await store.tenants.users.create({ email: 'victim@example.com' })).id;
      const mallory = { agentName: 'planter', userId: m, agentRow: { id: 'agent_m1', owner: m } };
      await set.call('memory_set', { key: 'banner', value: 'planted' }, as('global', mallory));
      expect((await set.call('memory_get', { key: 'banner' }, as('global', { userId: u }))).content).toBe('from the system');
      expect((await set.call('memory_get', { key: 'banner' }, as('global', mallory))).content).toBe('planted');
      // Mallory's agent run by someone else is confined to (that user, the agent): neither global.
      const forVictim = { ...mallory, userId: u };
      expect((await set.call('memory_get', { key: 'banner' }, as('global', forVictim))).content).toMatch(/nothing is stored/);
      await set.call('memory_set', { key: 'banner', value: 'overwritten?' }, as('global', forVictim));
      expect((await set.call('memory_get', { key: 'banner' }, as('global', { userId: u }))).content).toBe('from the system');
    });

    it('searches keys and values, treating % and _ literally', async () => {
      await set.call('memory_set', { key: 'order_1', value: 'refund 100% approved' }, as('user'));
      await set.call('memory_set', { key: 'order_2', value: 'shipped' }, as('user'));
      const hits = (await set.call('memory_search', { query: '100%' }, as('user'))).content;
      expect(hits).toBe('{"key":"order_1","value":"refund 100% approved"}');
      expect((await set.call('memory_search', { query: 'order_' }, as('user'))).content.split('\n')).toHaveLength(2);
      expect((await set.call('memory_search', { query: 'zzz' }, as('user'))).content).toMatch(/no memory entry/);
    });
  });

  describe('http_fetch', () => {
    const open = () =>
      createBuiltinTools({
        memory: store.memory,
        entities: () => entities({ name: 'http_fetch', config: { allow_private: true, allow_hosts: ['127.0.0.1'], max_bytes: 1000 } }),
      });

    it('classifies addresses and hosts', () => {
      for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.16.5.5', '169.254.169.254', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '0.0.0.0']) {
        expect(isPrivateAddress(ip), ip).toBe(true);
      }
      for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700::1111']) expect(isPrivateAddress(ip), ip).toBe(false);
      expect(hostAllowed('api.example.com', ['*.example.com'])).toBe(true);
      expect(hostAllowed('example.com', ['*.example.com'])).toBe(true);
      expect(hostAllowed('evilexample.com', ['*.example.com'])).toBe(false);
      expect(hostAllowed('anything.org', undefined)).toBe(true);
    });

    it('refuses loopback and private addresses by default', async () => {
      const set = createBuiltinTools({ memory: store.memory });
      const r = await set.call('http_fetch', { url: `${base}/hello` }, ctx());
      expect(r).toMatchObject({ isError: true, content: expect.stringMatching(/private or loopback address/) });
      const named = await set.call('http_fetch', { url: base.replace('127.0.0.1', 'localhost') + '/hello' }, ctx());
      expect(named).toMatchObject({ isError: true, content: expect.stringMatching(/private or loopback/) });
      expect(await set.call('http_fetch', { url: 'file:///etc/passwd' }, ctx())).toMatchObject({
        isError: true,
        content: expect.stringMatching(/only http and https/),
      });
    });

    it('refuses hosts outside allow_hosts', async () => {
      const set = createBuiltinTools({ memory: store.memory, entities: () => entities({ name: 'http_fetch', config: { allow_hosts: ['example.com'] } }) });
      expect(await set.call('http_fetch', { url: 'https://example.org/' }, ctx())).toMatchObject({
        isError: true,
        content: expect.stringMatching(/not in http_fetch's allow_hosts/),
      });
    });

    it('fetches when allowed, follows redirects and cuts bodies at max_bytes', async () => {
      const set = open();
      const r = await set.call('http_fetch', { url: `${base}/redirect` }, ctx());
      expect(r.isError).toBe(false);
      expect(r.content).toMatch(/^HTTP 200\ncontent-type: application\/json/);
      expect(r.content).toContain('{"hello":"world"}');
      const big = await set.call('http_fetch', { url: `${base}/big` }, ctx());
      expect(big.content).toMatch(/\[truncated at 1000 bytes\]$/);
      expect(big.content.split('\n\n')[1]!.match(/x/g)!.length).toBe(1000);
      expect(await set.call('http_fetch', { url: `${base}/missing` }, ctx())).toMatchObject({ isError: true, content: expect.stringMatching(/^HTTP 404/) });
    });
  });
});
