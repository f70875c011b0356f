/**
 * SSRF guard at connect time (src/tools/net-policy.ts): a user-tier MCP row that is not trusted connects over
 * Streamable HTTP only to public addresses, whatever was checked when it was created (DNS may change).
 * A real server-everything listens on 127.0.0.1: an untrusted row pointing at it by IP literal, or by
 * a name that resolves there (`localhost`, through the DNS lookup path), ends `failed` with the reason
 * and never gets its tools; a trusted row (admin-owned, or `[mcp] allow_private_urls`) reaches it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { McpServerSchema } from '../../../src/domain/entities.js';
import { createMcpPool, type McpPool } from '../../../src/tools/mcp/pool.js';
import { publicUrlRefusal } from '../../../src/tools/net-policy.js';
import { closedPort } from '../../helpers/cli.js';
import { SERVER_SCRIPTS } from './servers.js';

const quiet = { info() {}, warn() {}, error() {} };
let child: ChildProcess;
let port = 0;
const pools: McpPool[] = [];

beforeAll(async () => {
  port = await closedPort();
  child = spawn(process.execPath, [SERVER_SCRIPTS.everything, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));
}, 30_000);
afterAll(() => {
  child?.kill('SIGKILL');
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const row = (url: string) => McpServerSchema.parse({ name: 'probe', url, timeout_secs: 10 });

describe('user MCP rows that are not trusted reach public addresses only', () => {
  it.each([
    ['an IP literal', () => `http://127.0.0.1:${port}/mcp`, /127\.0\.0\.1 is a private or loopback address/],
    ['a name resolving to loopback', () => `http://localhost:${port}/mcp`, /localhost resolves to (127\.0\.0\.1|::1), a private or loopback address/],
  ])(
    '%s: the connection fails with the reason and offers no tools',
    async (_what, url, why) => {
      const pool = createMcpPool({ log: quiet, backoff: { initialMs: 60_000, maxMs: 60_000 } });
      pools.push(pool);
      const conn = pool.get('mcp_1', row(url()), { owner: 'user_1' })!;
      await conn.settled();
      const [status] = pool.status();
      expect(status).toMatchObject({ key: 'mcp_1', owner: 'user_1', state: 'failed', tools: 0 });
      expect(status!.last_error).toMatch(why);
      expect(status!.last_error).toContain('allow_private_urls');
      expect(conn.list()).toEqual([]);
    },
    30_000,
  );

  it('a trusted row (admin-owned, or [mcp] allow_private_urls) connects to the same server', async () => {
    const pool = createMcpPool({ log: quiet });
    pools.push(pool);
    const conn = pool.get('mcp_2', row(`http://127.0.0.1:${port}/mcp`), { trusted: true })!;
    await conn.settled();
    expect(pool.status()[0]).toMatchObject({ state: 'ready', last_error: null });
    expect(conn.list().map((t) => t.name)).toContain('probe.echo');
  }, 30_000);

  it('the same row turning trusted gets a new connection (trust is part of what a connection is for)', async () => {
    const pool = createMcpPool({ log: quiet, backoff: { initialMs: 60_000, maxMs: 60_000 } });
    pools.push(pool);
    const value = row(`http://127.0.0.1:${port}/mcp`);
    const refused = pool.get('mcp_3', value)!;
    await refused.settled();
    const allowed = pool.get('mcp_3', value, { trusted: true })!;
    expect(allowed).not.toBe(refused);
    await allowed.settled();
    expect(pool.status()[0]!.state).toBe('ready');
  }, 30_000);
});

describe('publicUrlRefusal (the creation-time check)', () => {
  it('refuses private literals and names resolving to loopback; accepts public addresses', async () => {
    expect(await publicUrlRefusal('http://169.254.169.254/latest')).toMatch(/private|link-local/);
    expect(await publicUrlRefusal(`http://localhost:${port}/mcp`)).toMatch(/localhost/);
    expect(await publicUrlRefusal('ftp://1.1.1.1/')).toMatch(/only http and https/);
    expect(await publicUrlRefusal('https://1.1.1.1/mcp')).toBeUndefined();
    expect(await publicUrlRefusal('http://[2606:4700::1111]/mcp')).toBeUndefined();
  });
});
