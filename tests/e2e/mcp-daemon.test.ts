/**
 * MCP in the real daemon (SPEC §3 MCP server): servers from `config/mcps/*.toon` connect, `caxton mcp list`
 * shows their state, hot reload adds and removes them, `server stop` leaves no MCP child process,
 * and any MCP client (the official SDK Client) lists and calls our agents through `/mcp` and
 * through `caxton mcp serve`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { existsSync, rmSync } from 'node:fs';
import { encode } from '@toon-format/toon';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { CAXTON_BIN, cleanEnv, homeRegistry, processAlive, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { SERVER_SCRIPTS, stdioToon } from '../tools/mcp/servers.js';
import { PRLIMIT } from '../../src/tools/mcp/limits.js';

requireBuild();

interface Row {
  name: string;
  state: string;
  transport: string;
  tools: number;
  tool_names: string[];
  last_error: string | null;
  pid?: number;
  rss_bytes?: number;
  cpu_seconds?: number;
}

/** An agent that names `tools` (so their servers are started). */
function agentToon(name: string, tools: string[]): string {
  return encode({ name, model: 'balanced', system_prompt: 'You use tools.', tools });
}

async function mcpList(home: TestHome): Promise<Row[]> {
  const r = await home.run(['--json', 'mcp', 'list']);
  if (r.exitCode !== 0) throw new Error(`mcp list failed (exit ${r.exitCode}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Row[];
}

const readyRows = (home: TestHome, names: string[]) =>
  waitFor(
    `MCP servers ${names.join(', ')} ready`,
    async () => {
      const rows = await mcpList(home);
      return names.every((n) => rows.find((r) => r.name === n)?.state === 'ready') ? rows : undefined;
    },
    15_000,
  );

describe('MCP servers in the daemon (real binary, real MCP servers)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = await homes.createWithFake(fake.url);
    home.writeFile('config/mcps/everything.toon', stdioToon('everything', SERVER_SCRIPTS.everything, ['stdio']));
    home.writeFile('config/mcps/broken.toon', stdioToon('broken', '/nonexistent/server.js'));
    home.writeFile('config/mcps/spare.toon', stdioToon('spare', SERVER_SCRIPTS.everything, ['stdio']));
    home.writeFile('config/mcps/hog.toon', stdioToon('hog', SERVER_SCRIPTS.hog, [], { memory_mb: 256, env: { HOG_AT_START_MB: '1024' } }));
    home.writeFile('config/agents/user.toon', agentToon('user', ['everything.echo', 'broken.*', 'hog.*']));
    url = (await home.start()).url;
  }, 30_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake?.close();
  });

  it('mcp list shows each server with state, transport, tool count and last error', async () => {
    const rows = await readyRows(home, ['everything']);
    const everything = rows.find((r) => r.name === 'everything')!;
    expect(everything).toMatchObject({ state: 'ready', transport: 'stdio', last_error: null });
    expect(everything.tool_names).toContain('everything.echo');
    expect(everything.tools).toBe(everything.tool_names.length);
    expect(processAlive(everything.pid!)).toBe(true);
    // A running stdio child reports its resident memory (bytes) and CPU time (seconds).
    expect(everything.rss_bytes).toBeGreaterThan(1024 * 1024);
    expect(everything.cpu_seconds).toBeGreaterThan(0);
    const broken = await waitFor('broken server to fail', async () => (await mcpList(home)).find((r) => r.name === 'broken' && r.state === 'failed'));
    expect(broken.last_error).toMatch(/nonexistent|closed|exited/i);
    // Past its memory_mb the OS stops the server (prlimit, util-linux): failed with the limit as the reason, retried with backoff.
    if (existsSync(PRLIMIT)) {
      const hog = await waitFor('hog server to break its memory limit', async () =>
        (await mcpList(home)).find((r) => r.name === 'hog' && r.state === 'failed'),
      );
      expect(hog.last_error).toMatch(/^exceeded memory_mb=256: the server process exited/);
    }

    // No agent names `spare`: listed, never started.
    expect(rows.find((r) => r.name === 'spare')).toMatchObject({ state: 'idle', tools: 0 });
    expect(rows.find((r) => r.name === 'spare')!.pid).toBeUndefined();

    const table = await home.run(['mcp', 'list']);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NAME\s+│\s+STATE\s+│\s+TRANSPORT\s+│\s+TOOLS\s+│\s+RSS\s+│\s+CPU\s+│\s+LAST_ERROR/);
    expect(table.stdout).toMatch(/everything\s+│\s+ready\s+│\s+stdio\s+│\s+\d+\s+│\s+[\d.]+ MiB\s+│\s+[\d.]+ s/);
  });

  it('hot reload connects an added server and ends a removed one', async () => {
    home.writeFile('config/mcps/memory.toon', stdioToon('memory', SERVER_SCRIPTS.memory, [], { env: { MEMORY_FILE_PATH: join(home.dir, 'memory.jsonl') } }));
    home.writeFile('config/agents/rememberer.toon', agentToon('rememberer', ['memory.*']));
    const rows = await readyRows(home, ['memory', 'everything']);
    const memory = rows.find((r) => r.name === 'memory')!;
    expect(memory.tool_names).toContain('memory.create_entities');
    rmSync(join(home.dir, 'config/mcps/memory.toon'));
    rmSync(join(home.dir, 'config/agents/rememberer.toon'));
    await waitFor('memory server removed', async () => !(await mcpList(home)).some((r) => r.name === 'memory'));
    await waitFor('memory child to exit', () => !processAlive(memory.pid!));
  });

  it('the official SDK Client lists and calls agents through /mcp', async () => {
    fake.enqueue({ content: 'pong over /mcp' });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['customer-support', 'orchestrator', 'router', 'user']);
    const result = await client.callTool({ name: 'router', arguments: { message: 'ping' } });
    expect(result.isError).toBeFalsy();
    expect((result.content as { text: string }[])[0]!.text).toBe('pong over /mcp');
    expect((result.structuredContent as { conversation_id: string }).conversation_id).toBeTruthy();
    await client.close();
  });

  it('the official SDK Client lists and calls agents through `caxton mcp serve` (stdio)', async () => {
    fake.enqueue({ content: 'pong over stdio' });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CAXTON_BIN, '--home', home.dir, 'mcp', 'serve'],
      env: cleanEnv(),
      stderr: 'pipe',
    });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['customer-support', 'orchestrator', 'router', 'user']);
    expect(tools[0]!.inputSchema).toMatchObject({ required: ['message'] });
    const result = await client.callTool({ name: 'customer-support', arguments: { message: 'ping' } });
    expect(result.isError).toBeFalsy();
    expect((result.content as { text: string }[])[0]!.text).toBe('pong over stdio');
    const missing = await client.callTool({ name: 'nobody', arguments: { message: 'hi' } });
    expect(missing.isError).toBe(true);
    expect((missing.content as { text: string }[])[0]!.text).toContain('NOT_FOUND');
    await client.close();
  });

  it('after server stop no MCP child process remains', async () => {
    const pids = (await mcpList(home)).flatMap((r) => (r.pid ? [r.pid] : []));
    expect(pids.length).toBeGreaterThan(0);
    const stop = await home.run(['server', 'stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    for (const pid of pids) expect(processAlive(pid), `MCP child ${pid} still alive after server stop`).toBe(false);
  });
});

describe('caxton mcp without a daemon', () => {
  it('mcp serve and mcp list exit 3 with the not-running message', async () => {
    const homes = homeRegistry();
    const home = homes.create();
    for (const args of [
      ['mcp', 'serve'],
      ['mcp', 'list'],
    ]) {
      const r = await home.run(args);
      expect(r.exitCode, args.join(' ')).toBe(3);
      expect(r.stderr).toContain('caxton is not running');
      expect(r.stdout).toBe('');
    }
    await homes.cleanupAll();
  });
});

describe('caxton mcp list with no MCP servers', { timeout: 30_000 }, () => {
  it('says how to add one', async () => {
    const homes = homeRegistry();
    const fake = await startFakeOpenAI();
    try {
      const home = await homes.createWithFake(fake.url);
      await home.start();
      const r = await home.run(['mcp', 'list']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe('no MCP servers configured (add one as config/mcps/NAME.toon)\n');
      const json = await home.run(['--json', 'mcp', 'list']);
      expect(JSON.parse(json.stdout)).toEqual([]);
    } finally {
      await homes.cleanupAll();
      await fake.close();
    }
  });
});

describe('MCP children of a daemon that was SIGKILLed', { timeout: 60_000 }, () => {
  it('are killed when the daemon starts again; the new daemon starts its own', async () => {
    const homes = homeRegistry();
    const fake = await startFakeOpenAI();
    try {
      const home = await homes.createWithFake(fake.url);
      // server-everything ends with its stdin only when nothing else keeps its event loop alive, which
      // varies with what the client asked of it; a preloaded timer makes it outlive the daemon every time.
      const keepAlive = ['--import', 'data:text/javascript,setInterval(()=>{},1e9)'];
      home.writeFile(
        'config/mcps/everything.toon',
        encode({ name: 'everything', enabled: true, command: process.execPath, args: [...keepAlive, SERVER_SCRIPTS.everything, 'stdio'], timeout_secs: 20 }),
      );
      home.writeFile('config/agents/user.toon', agentToon('user', ['everything.*']));
      const first = await home.start();
      const orphan = (await readyRows(home, ['everything'])).find((r) => r.name === 'everything')!.pid!;
      process.kill(first.pid, 'SIGKILL');
      await waitFor('daemon to die', () => !processAlive(first.pid));
      expect(processAlive(orphan), 'this server does not exit when its stdin closes, so the test shows the reaping').toBe(true);

      await home.start();
      await waitFor('orphaned MCP child to be killed', () => !processAlive(orphan));
      const fresh = (await readyRows(home, ['everything'])).find((r) => r.name === 'everything')!.pid!;
      expect(fresh).not.toBe(orphan);
      expect(processAlive(fresh)).toBe(true);
    } finally {
      await homes.cleanupAll();
      await fake.close();
    }
  });
});
