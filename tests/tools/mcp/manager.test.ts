/**
 * The MCP manager on real MCP servers: in-memory SDK servers (InMemoryTransport pairs) for the edge
 * cases, and `@modelcontextprotocol/server-everything` as a real stdio child and over Streamable HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer as SdkServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { McpServerSchema, type McpServer } from '../../../src/domain/entities.js';
import { createMcpManager, serversUsedBy, type McpManager } from '../../../src/tools/mcp/manager.js';
import type { TransportFactory } from '../../../src/tools/mcp/connection.js';
import type { ToolContext, ToolSet } from '../../../src/tools/types.js';
import { closedPort, processAlive, waitFor } from '../../helpers/cli.js';

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

const quiet = { info() {}, warn() {}, error() {} };
const managers: McpManager[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function server(fields: Record<string, unknown>): McpServer {
  return McpServerSchema.parse(fields);
}

function ctx(signal = new AbortController().signal): ToolContext {
  return { agentName: 'tester', userId: 'local', signal };
}

/** A signal aborted after `ms` with a plain Error, as the toolbox's timer does. */
function abortAfter(ms: number): AbortSignal {
  const ctrl = new AbortController();
  setTimeout(() => ctrl.abort(new Error('tool timed out')), ms);
  return ctrl.signal;
}

function manager(opts: Parameters<typeof createMcpManager>[0] = { log: quiet }): McpManager {
  const m = createMcpManager({ backoff: { initialMs: 50, maxMs: 200 }, ...opts });
  managers.push(m);
  return m;
}

/** A factory that serves every server name from an in-memory SDK server built by `build`. */
function inMemory(build: (name: string) => SdkServer): TransportFactory {
  return async (s) => {
    const [client, srv] = InMemoryTransport.createLinkedPair();
    await build(s.name).connect(srv);
    return { transport: client };
  };
}

function toolsServer(): SdkServer {
  // The SDK warns on stderr about the deliberately odd tool name below.
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  const s = new SdkServer({ name: 'mem', version: '1.0.0' });
  s.registerTool('shout', { description: 'upper-cases text', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text: text.toUpperCase() }],
  }));
  s.registerTool('broken', { description: 'always fails' }, async () => ({ isError: true, content: [{ type: 'text', text: 'disk on fire' }] }));
  s.registerTool('slow', { description: 'never answers in time' }, async () => {
    await new Promise((r) => setTimeout(r, 5_000));
    return { content: [{ type: 'text', text: 'late' }] };
  });
  s.registerTool('weird name.v2', { description: 'odd characters' }, async () => ({ content: [{ type: 'text', text: 'odd ok' }] }));
  return s;
}

function only(sets: readonly ToolSet[]): ToolSet {
  expect(sets).toHaveLength(1);
  return sets[0]!;
}

describe('MCP manager (in-memory servers)', () => {
  it('lists tools as server.tool, offers them as server__tool with the server timeout, and calls them', async () => {
    const m = manager({ log: quiet, createTransport: inMemory(toolsServer) });
    m.reconcile([server({ name: 'mem', command: 'unused', timeout_secs: 7 })]);
    await m.settled();
    const set = only(m.sets());
    const defs = set.list();
    expect(defs.map((d) => d.name)).toEqual(['mem.broken', 'mem.shout', 'mem.slow', 'mem.weird name.v2']);
    const shout = defs.find((d) => d.name === 'mem.shout')!;
    expect(shout.spec.name).toBe('mem__shout');
    expect(shout.spec.description).toBe('upper-cases text');
    expect(shout.spec.parameters).toMatchObject({ type: 'object', properties: { text: { type: 'string' } } });
    expect(shout.timeoutMs).toBe(7000);
    expect(defs.find((d) => d.name === 'mem.weird name.v2')!.spec.name).toMatch(/^mem__weird_name_v2_[0-9a-f]{8}$/);

    expect(await set.call('mem.shout', { text: 'hello' }, ctx())).toEqual({ content: 'HELLO' });
    expect(await set.call('mem.weird name.v2', {}, ctx())).toEqual({ content: 'odd ok' });
    expect(m.status()).toMatchObject([{ name: 'mem', state: 'ready', transport: 'stdio', tools: 4, last_error: null }]);
  });

  it('returns tool failures, bad arguments, unknown tools and timeouts as error results', async () => {
    const m = manager({ log: quiet, createTransport: inMemory(toolsServer) });
    m.reconcile([server({ name: 'mem', command: 'unused', timeout_secs: 0.2 })]);
    await m.settled();
    const set = only(m.sets());
    expect(await set.call('mem.broken', {}, ctx())).toEqual({ isError: true, content: 'disk on fire' });
    const bad = await set.call('mem.shout', { text: 42 }, ctx());
    expect(bad.isError).toBe(true);
    expect(await set.call('mem.nope', {}, ctx())).toEqual({ isError: true, content: 'MCP server mem has no tool mem.nope' });
    const slow = await set.call('mem.slow', {}, ctx());
    expect(slow).toEqual({ isError: true, content: 'mem.slow timed out after 0.2 s (MCP server mem timeout_secs)' });
    const abort = new AbortController();
    const pending = set.call('mem.slow', {}, ctx(abort.signal));
    abort.abort();
    expect(await pending).toEqual({ isError: true, content: 'call to mem.slow was cancelled' });
  });

  it('restarts a server whose calls time out three times in a row (wedged)', async () => {
    let opened = 0;
    const factory = inMemory(toolsServer);
    const m = manager({ log: quiet, createTransport: (s, env) => (opened++, factory(s, env)) });
    m.reconcile([server({ name: 'mem', command: 'unused', timeout_secs: 0.1 })]);
    await m.settled();
    const set = only(m.sets());
    for (let i = 0; i < 2; i++) expect((await set.call('mem.slow', {}, ctx())).content).toContain('timed out');
    expect(m.status()[0]!.state).toBe('ready');
    expect((await set.call('mem.slow', {}, ctx())).content).toContain('timed out');
    expect(m.status()[0]).toMatchObject({ state: 'failed', last_error: '3 calls in a row timed out; restarting the server' });
    await waitFor('restart', () => m.status()[0]!.state === 'ready');
    expect(opened).toBe(2);
    expect(await set.call('mem.shout', { text: 'again' }, ctx())).toEqual({ content: 'AGAIN' });
  });

  it('counts calls a caller aborts at the time limit (the toolbox timer) as timeouts too', async () => {
    const m = manager({ log: quiet, createTransport: inMemory(toolsServer) });
    m.reconcile([server({ name: 'mem', command: 'unused', timeout_secs: 0.2 })]);
    await m.settled();
    const set = only(m.sets());
    // The caller's timer fires just before the SDK's own (as the toolbox's, armed first, does).
    for (let i = 0; i < 3; i++) expect((await set.call('mem.slow', {}, ctx(abortAfter(195)))).isError).toBe(true);
    await waitFor('wedged server restarted', () => (m.status()[0]!.restarts >= 1 && m.status()[0]!.state === 'ready') || undefined);
    expect(m.status()[0]!.last_error).toBe('3 calls in a row timed out; restarting the server');
  });

  it('does not count early cancellations as timeouts', async () => {
    const m = manager({ log: quiet, createTransport: inMemory(toolsServer) });
    m.reconcile([server({ name: 'mem', command: 'unused', timeout_secs: 0.5 })]);
    await m.settled();
    const set = only(m.sets());
    for (let i = 0; i < 3; i++)
      expect(await set.call('mem.slow', {}, ctx(abortAfter(20)))).toEqual({ isError: true, content: 'call to mem.slow was cancelled' });
    expect(m.status()[0]).toMatchObject({ state: 'ready', restarts: 0 });
  });

  it('honours the server tools allowlist', async () => {
    const m = manager({ log: quiet, createTransport: inMemory(toolsServer) });
    m.reconcile([server({ name: 'mem', command: 'unused', tools: ['shout', 'mem.broken'] })]);
    await m.settled();
    const set = only(m.sets());
    expect(set.list().map((d) => d.name)).toEqual(['mem.broken', 'mem.shout']);
    expect((await set.call('mem.slow', {}, ctx())).isError).toBe(true);
  });

  it('leaves servers no agent uses idle (not started) and starts them once an agent names them', async () => {
    let opened = 0;
    const factory = inMemory(toolsServer);
    const m = manager({ log: quiet, createTransport: (s, env) => (opened++, factory(s, env)) });
    const servers = [server({ name: 'mem', command: 'unused' }), server({ name: 'spare', command: 'unused' })];
    const used = serversUsedBy([{ tools: ['calculator', 'mem.shout'] }, { tools: [] }]);
    expect([...used]).toEqual(['mem']);
    expect([...serversUsedBy([{ tools: ['mem.shout', 'spare.*', 'other.x'] }], ['spare.*', 'other.x'])]).toEqual(['mem', 'other']);
    m.reconcile(servers, used);
    await m.settled();
    expect(m.status().map((s) => [s.name, s.state])).toEqual([
      ['mem', 'ready'],
      ['spare', 'idle'],
    ]);
    expect(opened).toBe(1);
    const spare = m.sets().find((s) => s.list().length === 0) as ToolSet & { unavailable(): { reason: string }[] };
    expect(spare.unavailable()[0]!.reason).toBe('MCP server spare is not started: no agent may use its tools');

    m.reconcile(servers, serversUsedBy([{ tools: ['mem.shout', 'spare.*'] }]));
    await m.settled();
    expect(m.status().map((s) => [s.name, s.state])).toEqual([
      ['mem', 'ready'],
      ['spare', 'ready'],
    ]);
    expect(opened).toBe(2);
  });

  it('reports a server it cannot reach as failed with the reason, and disabled ones as disabled', async () => {
    const m = manager({
      log: quiet,
      createTransport: async () => {
        throw new Error('spawn nope ENOENT');
      },
    });
    m.reconcile([server({ name: 'gone', command: 'nope' }), server({ name: 'off', command: 'x', enabled: false })]);
    await m.settled();
    expect(m.status()).toMatchObject([
      { name: 'gone', state: 'failed', tools: 0, last_error: 'spawn nope ENOENT' },
      { name: 'off', state: 'disabled', tools: 0, last_error: null },
    ]);
    expect(m.sets().map((s) => s.list().length)).toEqual([0, 0]);
    const [gone, off] = m.sets() as (ToolSet & { unavailable(): { name: string; reason: string }[] })[];
    expect(gone!.unavailable()).toEqual([{ name: 'gone.*', reason: 'MCP server gone is unavailable: spawn nope ENOENT' }]);
    expect(off!.unavailable()).toEqual([{ name: 'off.*', reason: 'MCP server off is disabled (enabled = false)' }]);
    const r = await gone!.call('gone.x', {}, ctx());
    expect(r.isError).toBe(true);
    expect(r.content).toContain('MCP server gone is not available (failed: spawn nope ENOENT)');
  });
});

describe('MCP manager (server-everything as a real stdio child)', { timeout: 30_000 }, () => {
  const everything = (extra: Record<string, unknown> = {}) => server({ name: 'everything', command: process.execPath, args: [EVERYTHING, 'stdio'], ...extra });

  it('calls echo, and gives the child only the configured env (with ${VAR} expanded) plus the safe minimum', async () => {
    const m = manager({ log: quiet, env: { ...process.env, OPENAI_API_KEY: 'sk-should-not-leak', TOKEN_SRC: 's3cret-value' } });
    m.reconcile([everything({ env: { GREETING: 'hi', API_TOKEN: '${TOKEN_SRC}' } })]);
    await m.settled();
    const set = only(m.sets());
    expect(set.list().map((d) => d.spec.name)).toContain('everything__echo');
    expect(await set.call('everything.echo', { message: 'over stdio' }, ctx())).toEqual({ content: 'Echo: over stdio' });
    const env = JSON.parse((await set.call('everything.get-env', {}, ctx())).content) as Record<string, string>;
    expect(env.GREETING).toBe('hi');
    expect(env.API_TOKEN).toBe('s3cret-value');
    expect(env.OPENAI_API_KEY).toBeUndefined();
    expect(Object.keys(env).every((k) => ['GREETING', 'API_TOKEN', 'HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'].includes(k))).toBe(true);
  });

  it('fails with the missing variable name (not a value) when an env reference is unset', async () => {
    const m = manager({ log: quiet, env: {} });
    m.reconcile([everything({ env: { API_TOKEN: '${NOT_SET_ANYWHERE}' } })]);
    await m.settled();
    expect(m.status()[0]).toMatchObject({ state: 'failed', last_error: 'environment variable NOT_SET_ANYWHERE is not set (referenced by env.API_TOKEN)' });
  });

  it('starts children in the given directory, so relative script paths work', async () => {
    const m = manager({ log: quiet, cwd: dirname(EVERYTHING) });
    m.reconcile([server({ name: 'rel', command: process.execPath, args: ['index.js', 'stdio'] })]);
    await m.settled();
    expect(m.status()[0]).toMatchObject({ state: 'ready' });
    expect(await m.sets()[0]!.call('rel.echo', { message: 'relative' }, ctx())).toEqual({ content: 'Echo: relative' });
  });

  it('a child killed mid-call gives an error result, then the server is reconnected', async () => {
    const m = manager();
    m.reconcile([everything()]);
    await m.settled();
    const set = only(m.sets());
    const pid = m.status()[0]!.pid!;
    expect(processAlive(pid)).toBe(true);
    const pending = set.call('everything.trigger-long-running-operation', { duration: 20, steps: 2 }, ctx());
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGKILL');
    const result = await pending;
    expect(result.isError).toBe(true);
    expect(result.content).toContain('MCP server everything stopped during the call');
    const st = await waitFor('reconnect', () => (m.status()[0]!.state === 'ready' ? m.status()[0] : undefined), 15_000);
    expect(st.pid).not.toBe(pid);
    expect(st.restarts).toBeGreaterThanOrEqual(1);
    expect(st.last_error).toContain('the server process exited');
    expect(await set.call('everything.echo', { message: 'back' }, ctx())).toEqual({ content: 'Echo: back' });
  });

  it('reconcile keeps unchanged servers, replaces changed ones and ends removed ones; close leaves no child', async () => {
    const m = manager();
    m.reconcile([everything()]);
    await m.settled();
    const first = m.status()[0]!.pid!;
    m.reconcile([everything()]);
    await m.settled();
    expect(m.status()[0]!.pid).toBe(first);

    m.reconcile([everything({ tools: ['echo'] })]);
    await m.settled();
    const second = m.status()[0]!.pid!;
    expect(second).not.toBe(first);
    expect(
      m
        .sets()[0]!
        .list()
        .map((d) => d.name),
    ).toEqual(['everything.echo']);
    await waitFor('old child to exit', () => !processAlive(first), 10_000);

    m.reconcile([]);
    expect(m.status()).toEqual([]);
    expect(m.sets()).toEqual([]);
    await waitFor('removed child to exit', () => !processAlive(second), 10_000);

    m.reconcile([everything()]);
    await m.settled();
    const third = m.status()[0]!.pid!;
    await m.close();
    expect(processAlive(third)).toBe(false);
  });
});

describe('MCP manager (server-everything over Streamable HTTP)', { timeout: 30_000 }, () => {
  it('calls echo over HTTP and reports the server failed once it is gone', async () => {
    const port = await closedPort();
    const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    await new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));
    const m = manager();
    m.reconcile([server({ name: 'remote', url: `http://127.0.0.1:${port}/mcp` })]);
    await m.settled();
    expect(m.status()[0]).toMatchObject({ state: 'ready', transport: 'http' });
    const set = only(m.sets());
    expect(await set.call('remote.echo', { message: 'over http' }, ctx())).toEqual({ content: 'Echo: over http' });

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const r = await set.call('remote.echo', { message: 'anyone?' }, ctx());
    expect(r.isError).toBe(true);
    expect(m.status()[0]!.state).not.toBe('ready');
  });
});
