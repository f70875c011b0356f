/**
 * No canned answer passed off as a model's (SPEC §7), on the real binary:
 * - the first-run demo: a fresh home without OPENAI_API_KEY is initialised with the `offline`
 *   provider, whose reply says it is canned and how to connect a model, and is marked as offline;
 * - a provider unreachable from the start (an OpenAI-compatible server on a closed port): every entry
 *   point (/v1, chat JSON and SSE, the Caxton message path, /mcp, `agent test`) refuses the run with
 *   503 PROVIDER_UNAVAILABLE naming the provider and the reason, never a 200; status and the agent's
 *   health show the reason. The same daemon serves a placeholder key on loopback.
 * The first-run daemon's `/metrics` scrape passes `promtool check metrics`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { closedPort, homeRegistry, requireBuild } from '../helpers/cli.js';
import { PROMTOOL_MISSING, promtool, runPromtool } from '../helpers/prometheus.js';

requireBuild();

const homes = homeRegistry();
afterAll(() => homes.cleanupAll());

describe('first-run demo (real binary)', { timeout: 20_000 }, () => {
  let url = '';

  it('fresh home, no OPENAI_API_KEY: models use the offline provider, whose reply says it is canned; status shows it ready', async () => {
    const home = homes.create();
    home.env = { OPENAI_API_KEY: undefined }; // removed from the child's environment
    url = (await home.start()).url; // initialises the empty home with the defaults

    const test = await home.run(['agent', 'test', 'router', 'hi']);
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stdout).toContain('[offline]');
    expect(test.stdout).toContain('canned reply');
    expect(test.stdout).toContain('OPENAI_API_KEY'); // how to connect a model
    expect(test.stdout).toContain('"hi"'); // echoes what the user said
    expect(test.stderr).toContain('via offline');

    const st = await home.status();
    for (const m of st.models) expect(m).toMatchObject({ provider: 'offline', state: 'ready' });

    const res = await fetch(`${url}/agents/router/message`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-caxton-provider')).toBe('offline');
  });

  it.skipIf(!promtool)(promtool ? 'serves /metrics that `promtool check metrics` accepts' : `promtool check metrics ${PROMTOOL_MISSING}`, async () => {
    const scrape = await (await fetch(`${url}/metrics`)).text();
    expect(scrape).toContain('caxton_nodejs_active_handles');
    expect(scrape).toContain('caxton_agent_runs_total{');
    const result = runPromtool(['check', 'metrics'], scrape);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('a provider unreachable from the start (real binary)', { timeout: 30_000 }, () => {
  it('is a 503 PROVIDER_UNAVAILABLE with the reason on every entry point, never a 200', async () => {
    const base = `http://127.0.0.1:${await closedPort()}/v1`;
    const reason = `provider local: ${base} is not reachable`;
    const home = homes.create();
    home.writeAresToml(`[providers.local]\ntype = "openai-compatible"\nbase_url = "${base}"\nmax_retries = 0\n`);
    const init = await home.run(['init']); // keeps our ares.toml, copies config/
    expect(init.exitCode, init.stderr).toBe(0);
    for (const alias of ['fast', 'balanced', 'powerful'])
      home.writeFile(`config/models/${alias}.toon`, `name: ${alias}\nprovider: local\nmodel: llama3.2:3b\n`);
    const { url } = await home.start();
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    // /v1, with a placeholder key (accepted on loopback): OpenAI's shape, type server_error.
    const sdk = new OpenAI({ apiKey: 'sk-anything', baseURL: `${url}/v1`, maxRetries: 0 });
    for (const stream of [false, true]) {
      const err = await sdk.chat.completions.create({ model: 'router', messages: [{ role: 'user', content: 'hi' }], stream }).then(
        () => undefined,
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect({ status: err!.status, type: err!.type, code: err!.code }).toEqual({ status: 503, type: 'server_error', code: 'provider_unavailable' });
      expect(err!.message).toContain(reason);
    }

    // /api chat (JSON and SSE) and the Caxton message path: SPEC §6's shape.
    for (const [path, body, headers] of [
      ['/api/agents/router/chat', { message: 'hi' }, {}],
      ['/api/agents/router/chat', { message: 'hi', stream: true }, { accept: 'text/event-stream' }],
      ['/agents/router/message', { text: 'hi' }, {}],
    ] as const) {
      const res = await post(path, body, headers);
      expect(res.status, path).toBe(503);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: reason });
    }

    // /mcp: a tool error result with the reason.
    const mcp = new Client({ name: 'e2e', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      const result = (await mcp.callTool({ name: 'router', arguments: { message: 'hi' } })) as { isError?: boolean; content: { text: string }[] };
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toBe(`PROVIDER_UNAVAILABLE: ${reason}`);
    } finally {
      await mcp.close();
    }

    // The CLI, status and the agent's health say why.
    const test = await home.run(['agent', 'test', 'router', 'anyone there?']);
    expect(test.exitCode).toBe(1);
    expect(test.stderr).toContain(reason);
    const st = await home.status();
    for (const m of st.models) expect(m).toMatchObject({ provider: 'local', state: 'offline', reason: `${base} is not reachable` });
    const health = (await (await fetch(`${url}/api/agents/router`)).json()) as { activity: { last_error: { message: string } } };
    expect(health.activity.last_error.message).toContain(reason);
  });
});
