/**
 * OS limits of stdio MCP servers (issue requirement: `memory_mb` / `cpu_secs`, `[mcp]
 * default_memory_mb`): a real child under prlimit that allocates past its memory limit, or burns
 * past its CPU limit, is stopped by the OS, reported failed with the limit it broke, and restarted;
 * while it runs its status carries RSS and CPU time. A non-admin user's row cannot raise the default.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { McpServerSchema } from '../../../src/domain/entities.js';
import { createMcpManager, type McpManager } from '../../../src/tools/mcp/manager.js';
import { createMcpPool, type McpPool } from '../../../src/tools/mcp/pool.js';
import { breachOf, limitsOf, PRLIMIT, reportsOutOfMemory } from '../../../src/tools/mcp/limits.js';
import type { ToolContext } from '../../../src/tools/types.js';
import { waitFor } from '../../helpers/cli.js';

const HOG = fileURLToPath(new URL('./fixtures/hog-server.mjs', import.meta.url));
const quiet = { info() {}, warn() {}, error() {} };
const ctx: ToolContext = { agentName: 'tester', userId: 'local', signal: new AbortController().signal };
const managers: McpManager[] = [];
const pools: McpPool[] = [];
afterEach(async () => {
  await Promise.all([...managers.splice(0).map((m) => m.close()), ...pools.splice(0).map((p) => p.close())]);
});

function hogManager(fields: Record<string, unknown>, defaultMemoryMb?: number): McpManager {
  const m = createMcpManager({ log: quiet, backoff: { initialMs: 50, maxMs: 200 }, ...(defaultMemoryMb ? { defaultMemoryMb } : {}) });
  managers.push(m);
  m.reconcile([McpServerSchema.parse({ name: 'hog', command: process.execPath, args: [HOG], timeout_secs: 20, ...fields })]);
  return m;
}

const ready = (m: McpManager) => waitFor('hog ready', () => (m.status()[0]!.state === 'ready' ? m.status()[0] : undefined), 15_000);

describe.skipIf(!existsSync(PRLIMIT))('stdio MCP servers under OS limits (prlimit)', { timeout: 60_000 }, () => {
  it('a server that allocates past memory_mb is stopped, reported with the reason and restarted', async () => {
    const m = hogManager({ memory_mb: 256 });
    const first = await ready(m);
    expect(first.rss_bytes).toBeGreaterThan(0);
    expect(first.cpu_seconds).toBeGreaterThanOrEqual(0);
    // Within the limit the server works.
    expect((await m.connection('hog')!.call('hog.hog', { mb: 8 }, ctx)).isError).toBeUndefined();
    const r = await m.connection('hog')!.call('hog.hog', { mb: 1024 }, ctx);
    expect(r.isError).toBe(true);
    expect(r.content).toMatch(/stopped during the call/);
    const failed = await waitFor('hog failed', () => (m.status()[0]!.last_error ? m.status()[0] : undefined));
    expect(failed.last_error).toMatch(/^exceeded memory_mb=256: the server process exited/);
    const again = await waitFor('hog restarted', () => (m.status()[0]!.restarts >= 1 && m.status()[0]!.state === 'ready' ? m.status()[0] : undefined), 15_000);
    expect(again.pid).not.toBe(first.pid);
  });

  it('[mcp] default_memory_mb applies to servers without their own memory_mb', async () => {
    const m = hogManager({}, 256);
    await ready(m);
    await m.connection('hog')!.call('hog.hog', { mb: 1024 }, ctx);
    const failed = await waitFor('hog failed', () => (m.status()[0]!.last_error ? m.status()[0] : undefined));
    expect(failed.last_error).toMatch(/^exceeded memory_mb=256/);
  });

  it('a server that burns past cpu_secs is stopped and reported with the reason', async () => {
    const m = hogManager({ cpu_secs: 1 });
    await ready(m);
    const r = await m.connection('hog')!.call('hog.spin', { seconds: 10 }, ctx);
    expect(r.isError).toBe(true);
    const failed = await waitFor('hog failed', () => (m.status()[0]!.last_error ? m.status()[0] : undefined), 15_000);
    expect(failed.last_error).toMatch(/^exceeded cpu_secs=1: the server process exited/);
  });

  it("a non-admin user's row may lower [mcp] default_memory_mb but not raise it", async () => {
    const pool = createMcpPool({ log: quiet, backoff: { initialMs: 50, maxMs: 200 }, defaultMemoryMb: 256 });
    pools.push(pool);
    const conn = pool.get('mcp_1', McpServerSchema.parse({ name: 'hog', command: process.execPath, args: [HOG], timeout_secs: 20, memory_mb: 4096 }))!;
    await conn.settled();
    await conn.call('hog.hog', { mb: 1024 }, ctx);
    const failed = await waitFor('row failed', () => (conn.status().last_error ? conn.status() : undefined));
    expect(failed.last_error).toMatch(/^exceeded memory_mb=256/);
  });

  it('a server without limits allocates freely', async () => {
    const m = hogManager({});
    await ready(m);
    expect((await m.connection('hog')!.call('hog.hog', { mb: 128 }, ctx)).content).toBe('holding 128 MiB');
  });
});

describe('limit breaches', () => {
  it('name the limit from how the child ended, and nothing for an ordinary exit', () => {
    const limits = limitsOf(McpServerSchema.parse({ name: 's', command: 'x', cpu_secs: 5 }), 64);
    expect(limits).toEqual({ memoryMb: 64, cpuSecs: 5 });
    expect(breachOf(limits, { code: null, signal: 'SIGXCPU' }, false)).toBe('exceeded cpu_secs=5');
    expect(reportsOutOfMemory('MemoryError')).toBe(true);
    expect(breachOf(limits, { code: 1, signal: null }, true)).toBe('exceeded memory_mb=64');
    expect(reportsOutOfMemory('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory')).toBe(true);
    expect(breachOf(limits, { code: null, signal: 'SIGABRT' }, true)).toBe('exceeded memory_mb=64');
    expect(reportsOutOfMemory('Error: boom')).toBe(false);
    expect(breachOf(limits, { code: 1, signal: null }, false)).toBeUndefined();
    expect(breachOf(limits, { code: 0, signal: null }, true)).toBeUndefined();
    expect(breachOf({}, { code: null, signal: 'SIGKILL' }, true)).toBeUndefined();
  });

  it('memory_mb and cpu_secs are refused on a Streamable HTTP server', () => {
    const r = McpServerSchema.safeParse({ name: 's', url: 'https://example.com/mcp', memory_mb: 64 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/stdio server/);
  });
});
