/**
 * `invalidatingRows` over a real SQLite store: writes to user tool and MCP rows empty the tool
 * resolution cache, changed or deleted MCP rows lose their live connection, agent rows and failed
 * writes touch neither, every committed write of any kind is reported with its owner (what the
 * daemon publishes to other nodes), and reads pass through.
 */
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentSchema, McpServerSchema, ToolSchema } from '../../src/domain/entities.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { invalidatingRows } from '../../src/tools/tool-rows.js';
import { tempDir } from '../helpers/tmp.js';

const store = openSqliteStore(join(tempDir('cx-rows-'), 'ares.db'));
afterAll(async () => await store.close());
const owner = (await store.tenants.users.create({ email: 'owner@example.com' })).id;

let invalidations = 0;
let dropped: string[] = [];
let written: string[] = [];
const rows = invalidatingRows(store.tenants.entities, {
  invalidate: () => void invalidations++,
  dropConnection: (id) => void dropped.push(id),
  written: (kind, userId) => void written.push(`${kind} ${userId}`),
});
beforeEach(() => {
  invalidations = 0;
  dropped = [];
  written = [];
});

const mcp = (name: string, url: string) => McpServerSchema.parse({ name, url });
const tool = (name: string, description: string) => ToolSchema.parse({ name, description, type: 'http', config: { url: 'https://api.example.com' } });

describe('invalidatingRows', () => {
  it('an MCP row update drops the old connection and empties the cache; the new value is stored', async () => {
    const row = await rows.insert('mcps', owner, mcp('files', 'https://a.example.com/mcp'), false);
    expect(invalidations).toBe(1);
    expect(dropped).toEqual([]);
    await rows.update('mcps', owner, 'files', mcp('files', 'https://b.example.com/mcp'));
    expect(dropped).toEqual([row.id]);
    expect(invalidations).toBe(2);
    expect((await rows.own('mcps', owner, 'files'))?.value.url).toBe('https://b.example.com/mcp');
  });

  it('removing an MCP row drops its connection; removing a missing one drops nothing', async () => {
    const row = await rows.insert('mcps', owner, mcp('gone', 'https://c.example.com/mcp'), false);
    expect(await rows.remove('mcps', owner, 'gone')).toBe(true);
    expect(dropped).toEqual([row.id]);
    expect(await rows.remove('mcps', owner, 'gone')).toBe(false);
    expect(dropped).toEqual([row.id]);
    expect(written).toEqual([`mcps ${owner}`, `mcps ${owner}`]);
  });

  it('tool writes empty the cache and drop no connection', async () => {
    await rows.insert('tools', owner, tool('weather', 'one'), false);
    await rows.update('tools', owner, 'weather', tool('weather', 'two'));
    await rows.remove('tools', owner, 'weather');
    expect(invalidations).toBe(3);
    expect(dropped).toEqual([]);
  });

  it('agent writes touch neither the cache nor connections, and are reported', async () => {
    await rows.insert('agents', owner, AgentSchema.parse({ name: 'helper', system_prompt: 'p' }), false);
    await rows.update('agents', owner, 'helper', AgentSchema.parse({ name: 'helper', system_prompt: 'q' }));
    await rows.remove('agents', owner, 'helper');
    expect(invalidations).toBe(0);
    expect(dropped).toEqual([]);
    expect(written).toEqual([`agents ${owner}`, `agents ${owner}`, `agents ${owner}`]);
  });

  it('a failed write propagates its error and triggers no hook', async () => {
    await rows.insert('mcps', owner, mcp('dup', 'https://d.example.com/mcp'), false);
    invalidations = 0;
    written = [];
    await expect(rows.insert('mcps', owner, mcp('dup', 'https://e.example.com/mcp'), false)).rejects.toThrow(/already/);
    await expect(rows.update('mcps', owner, 'nope', mcp('nope', 'https://f.example.com/mcp'))).rejects.toThrow();
    expect(invalidations).toBe(0);
    expect(dropped).toEqual([]);
    expect(written).toEqual([]);
  });
});
