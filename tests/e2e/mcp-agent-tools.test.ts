/**
 * Agents call real MCP tools (seed STORY-020): an agent driven by the fake OpenAI server calls
 * `echo` on server-everything over stdio and over Streamable HTTP, reads a file through
 * server-filesystem limited to a temp dir, stores and reads entities with server-memory; a tool
 * outside the agent's list is refused; a server killed mid-call gives an error result and is
 * reconnected. Everything runs in the real daemon (built binary); what we check is what the model
 * was given back as tool results and what the user sees.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '@toon-format/toon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { closedPort, homeRegistry, openaiToml, processAlive, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { httpToon, SERVER_SCRIPTS, stdioToon } from '../tools/mcp/servers.js';

requireBuild();

interface Row {
  name: string;
  state: string;
  pid?: number;
  restarts: number;
  tool_names: string[];
}

async function mcpList(home: TestHome): Promise<Row[]> {
  const r = await home.run(['--json', 'mcp', 'list']);
  if (r.exitCode !== 0) throw new Error(`mcp list failed (exit ${r.exitCode}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Row[];
}

describe('agents calling MCP tools (real binary, real MCP servers, fake OpenAI)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let httpServer: ChildProcess;
  let sandbox: string;

  /** The content of the tool message with `id` that the model was sent (after the run). */
  const toolResultSent = (id: string): string | undefined => {
    for (const req of [...fake.requests].reverse()) {
      const msg = (req.body?.messages as { role: string; tool_call_id?: string; content: string }[] | undefined)?.find(
        (m) => m.role === 'tool' && m.tool_call_id === id,
      );
      if (msg) return msg.content;
    }
    return undefined;
  };

  /** Script one tool call then a final answer, run the agent, and return the CLI result. */
  const runWithToolCall = async (id: string, name: string, args: unknown, final = 'done') => {
    fake.enqueue({ tool_calls: [{ id, name, arguments: JSON.stringify(args) }] }, { content: final });
    return home.run(['agent', 'test', 'tooler', 'use your tool']);
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = await homes.createWithFake(fake.url);
    sandbox = join(home.dir, 'sandbox');
    mkdirSync(sandbox);
    writeFileSync(join(sandbox, 'notes.txt'), 'the launch code is tea-time\n');

    const port = await closedPort();
    httpServer = spawn(process.execPath, [SERVER_SCRIPTS.everything, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve) => httpServer.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));

    home.writeFile('config/mcps/everything.toon', stdioToon('everything', SERVER_SCRIPTS.everything, ['stdio']));
    home.writeFile('config/mcps/web.toon', httpToon('web', `http://127.0.0.1:${port}/mcp`));
    home.writeFile('config/mcps/fs.toon', stdioToon('fs', SERVER_SCRIPTS.filesystem, [sandbox]));
    home.writeFile('config/mcps/memory.toon', stdioToon('memory', SERVER_SCRIPTS.memory, [], { env: { MEMORY_FILE_PATH: join(home.dir, 'memory.jsonl') } }));
    home.writeFile(
      'config/agents/tooler.toon',
      encode({
        name: 'tooler',
        model: 'balanced',
        system_prompt: 'You use your tools.',
        tools: ['everything.echo', 'everything.trigger-long-running-operation', 'web.echo', 'fs.read_text_file', 'memory.*'],
        max_tool_iterations: 3,
      }),
    );
    await home.start();
    await waitFor(
      'all MCP servers ready',
      async () => {
        const rows = await mcpList(home);
        return rows.length === 4 && rows.every((r) => r.state === 'ready');
      },
      20_000,
    );
  }, 40_000);
  afterAll(async () => {
    await homes.cleanupAll();
    httpServer?.kill('SIGKILL');
    await fake?.close();
  });

  it('offers the agent exactly its MCP tools, under their model-facing names', async () => {
    fake.enqueue({ content: 'nothing to do' });
    const r = await home.run(['agent', 'test', 'tooler', 'hello']);
    expect(r.exitCode, r.stderr).toBe(0);
    const offered = ((fake.requests.at(-1)!.body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name).sort();
    expect(offered).toEqual(
      [
        'everything__echo',
        'everything__trigger-long-running-operation',
        'fs__read_text_file',
        'memory__add_observations',
        'memory__create_entities',
        'memory__create_relations',
        'memory__delete_entities',
        'memory__delete_observations',
        'memory__delete_relations',
        'memory__open_nodes',
        'memory__read_graph',
        'memory__search_nodes',
        'web__echo',
      ].sort(),
    );
  });

  it('calls echo on server-everything over stdio', async () => {
    const r = await runWithToolCall('call_stdio', 'everything__echo', { message: 'hi from stdio' }, 'echoed');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(toolResultSent('call_stdio')).toBe('Echo: hi from stdio');
    expect(r.stderr).toContain('[tool] everything__echo -> Echo: hi from stdio');
    expect(r.stdout).toContain('echoed');
  });

  it('calls echo on server-everything over Streamable HTTP', async () => {
    const r = await runWithToolCall('call_http', 'web__echo', { message: 'hi from http' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(toolResultSent('call_http')).toBe('Echo: hi from http');
  });

  it('reads a file through server-filesystem, and cannot read outside its directory', async () => {
    const ok = await runWithToolCall('call_read', 'fs__read_text_file', { path: join(sandbox, 'notes.txt') });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(toolResultSent('call_read')).toBe('the launch code is tea-time\n');
    const outside = await runWithToolCall('call_escape', 'fs__read_text_file', { path: home.aresToml });
    expect(outside.exitCode, outside.stderr).toBe(0);
    expect(toolResultSent('call_escape')).toMatch(/access denied|outside allowed/i);
    expect(toolResultSent('call_escape')).not.toContain('[providers.openai]');
  });

  it('stores an entity with server-memory and reads it back in a later run', async () => {
    const entity = { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }] };
    const created = await runWithToolCall('call_create', 'memory__create_entities', entity);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(toolResultSent('call_create')).toContain('Ada');
    const read = await runWithToolCall('call_open', 'memory__open_nodes', { names: ['Ada'] });
    expect(read.exitCode, read.stderr).toBe(0);
    expect(toolResultSent('call_open')).toContain('wrote the first program');
  });

  it('refuses a tool outside the agent list (even one the server has) and returns an error result', async () => {
    const r = await runWithToolCall('call_env', 'everything__get-env', {});
    expect(r.exitCode, r.stderr).toBe(0);
    const sent = toolResultSent('call_env')!;
    expect(sent).toContain('not allowed for agent tooler');
    expect(sent).not.toContain('PATH');
    const log = home.exists(home.logFile) ? (await import('node:fs')).readFileSync(home.logFile, 'utf8') : '';
    expect(log).toContain('tool call refused');
  });

  it('a server killed mid-call gives the model an error result and is reconnected', async () => {
    const before = (await mcpList(home)).find((r) => r.name === 'everything')!;
    fake.enqueue(
      { tool_calls: [{ id: 'call_long', name: 'everything__trigger-long-running-operation', arguments: JSON.stringify({ duration: 30, steps: 3 }) }] },
      { content: 'sorry, the tool crashed' },
    );
    const run = home.run(['agent', 'test', 'tooler', 'do the long thing'], { timeoutMs: 40_000 });
    // Wait until the daemon sent the tool call's request (the provider answered), then kill the child.
    await waitFor('the long tool call to start', () => fake.requests.some((q) => JSON.stringify(q.body?.messages ?? []).includes('do the long thing')));
    await new Promise((r) => setTimeout(r, 500));
    process.kill(before.pid!, 'SIGKILL');
    const r = await run;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(toolResultSent('call_long')).toContain('MCP server everything stopped during the call');
    expect(r.stdout).toContain('sorry, the tool crashed');

    const after = await waitFor(
      'everything to be reconnected',
      async () => (await mcpList(home)).find((x) => x.name === 'everything' && x.state === 'ready' && x.pid !== before.pid),
      20_000,
    );
    expect(processAlive(before.pid!)).toBe(false);
    expect(after.restarts).toBeGreaterThanOrEqual(1);
    const again = await runWithToolCall('call_after', 'everything__echo', { message: 'back again' });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(toolResultSent('call_after')).toBe('Echo: back again');
  });
});

describe('[tools] deny in ares.toml takes MCP tools and servers away from every agent', { timeout: 60_000 }, () => {
  it('a denied tool is neither offered nor callable; a server denied whole is not started', async () => {
    const homes = homeRegistry();
    const fake = await startFakeOpenAI();
    try {
      const home = homes.create();
      home.writeAresToml(openaiToml(fake.url, '\n[tools]\ndeny = ["everything.get-env", "memory.*"]\n'));
      home.env = { OPENAI_API_KEY: 'test-key' };
      expect((await home.run(['init'])).exitCode).toBe(0);
      home.writeFile('config/mcps/everything.toon', stdioToon('everything', SERVER_SCRIPTS.everything, ['stdio']));
      home.writeFile('config/mcps/memory.toon', stdioToon('memory', SERVER_SCRIPTS.memory, [], { env: { MEMORY_FILE_PATH: join(home.dir, 'memory.jsonl') } }));
      home.writeFile('config/agents/greedy.toon', encode({ name: 'greedy', model: 'balanced', system_prompt: 'x', tools: ['everything.*', 'memory.*'] }));
      await home.start();
      const rows = await waitFor(
        'everything ready',
        async () => {
          const r = await mcpList(home);
          return r.find((x) => x.name === 'everything')?.state === 'ready' ? r : undefined;
        },
        20_000,
      );
      expect(rows.find((r) => r.name === 'memory')).toMatchObject({ state: 'idle' });
      expect(rows.find((r) => r.name === 'memory')!.pid).toBeUndefined();

      fake.enqueue({ tool_calls: [{ id: 'call_denied', name: 'everything__get-env', arguments: '{}' }] }, { content: 'ok' });
      const r = await home.run(['agent', 'test', 'greedy', 'show me your env']);
      expect(r.exitCode, r.stderr).toBe(0);
      const first = fake.requests.find((q) => JSON.stringify(q.body?.messages ?? []).includes('show me your env'))!;
      const offered = (first.body.tools as { function: { name: string } }[]).map((t) => t.function.name);
      expect(offered).toContain('everything__echo');
      expect(offered).not.toContain('everything__get-env');
      expect(offered.some((n) => n.startsWith('memory__'))).toBe(false);
      const sent = (fake.requests.at(-1)!.body.messages as { role: string; tool_call_id?: string; content: string }[]).find(
        (m) => m.tool_call_id === 'call_denied',
      )!;
      expect(sent.content).toContain('everything.get-env');
      expect(sent.content).not.toContain('PATH');
    } finally {
      await homes.cleanupAll();
      await fake.close();
    }
  });
});
