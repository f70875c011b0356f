/**
 * OpenTelemetry traces end to end (STORY-021): the real daemon with `[telemetry] otlp_endpoint`
 * pointing at an OTLP/HTTP receiver in this test (the exporter posts JSON to /v1/traces) and the
 * fake OpenAI server asking for tools. A tool-using chat request is one trace: the HTTP server span
 * -> `invoke_agent` -> `chat MODEL` per model call and `execute_tool NAME` per tool call, with the
 * GenAI attributes, the request id, the caller's `traceparent` continued, a failed tool call marked as an error, and no message text, key
 * or email anywhere; spans still buffered are flushed when the daemon stops. With telemetry off, the
 * daemon and the CLI load no module of the SDK (Node's module resolution, logged by a loader hook).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, REPO_ROOT, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { tempDir } from '../helpers/tmp.js';

requireBuild();

const API_KEY = 'sk-test-secret-key-123456';
const MATHY = `name: mathy
model: balanced
max_tool_iterations: 3
tools[1]: calculator
system_prompt: "You do arithmetic with the calculator."
`;
/** The W3C trace context of the test's client: the request span continues this trace. */
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
/** The SDK packages that must stay unloaded with telemetry off (`@opentelemetry/api` is the no-op facade). */
const SDK = /^@opentelemetry\/(?!api$)/;

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; arrayValue?: { values: OtlpValue[] } };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
  status?: { code?: number };
}
/** A received span with plain attribute values and its resource's `service.name`. */
interface Span extends Omit<OtlpSpan, 'attributes'> {
  attrs: Record<string, unknown>;
  service: unknown;
}

const plain = (v: OtlpValue): unknown =>
  v.arrayValue ? v.arrayValue.values.map(plain) : v.intValue !== undefined ? Number(v.intValue) : (v.stringValue ?? v.boolValue);
const attrsOf = (list: OtlpSpan['attributes'] = []) => Object.fromEntries(list.map((a) => [a.key, plain(a.value)]));

/** An OTLP/HTTP trace receiver: every span posted to /v1/traces (JSON), flattened. */
async function startReceiver(): Promise<{ url: string; spans: Span[]; bodies: string[]; server: Server }> {
  const spans: Span[] = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      bodies.push(body);
      const doc = JSON.parse(body) as {
        resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of doc.resourceSpans) {
        const service = attrsOf(rs.resource.attributes)['service.name'];
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, attrs: attrsOf(s.attributes), service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, bodies, server };
}

/** Environment that logs the `@opentelemetry/*` modules a process (and the daemon it starts) resolves to `file`. */
const moduleLogEnv = (file: string) => ({
  NODE_OPTIONS: `--import ${join(REPO_ROOT, 'tests', 'helpers', 'module-log.mjs')}`,
  CAXTON_TEST_MODULE_LOG: file,
});
const loaded = (file: string): string[] => {
  try {
    return [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  } catch {
    return [];
  }
};

describe('OpenTelemetry traces (real daemon, OTLP/HTTP receiver, fake OpenAI)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  const logs = tempDir('cx-modlog-');
  let fake: FakeOpenAI;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await homes.cleanupAll();
    await fake.close();
    await new Promise((r) => receiver.server.close(r));
  });

  /** A home with the mathy agent, `ares.toml` extended by `extra`, started with `env`. */
  async function startHome(extra: string, env: Record<string, string>): Promise<{ home: TestHome; url: string }> {
    const home = homes.create();
    home.writeAresToml(openaiToml(fake.url, extra));
    home.env = { OPENAI_API_KEY: API_KEY, ...env };
    const init = await home.run(['init']);
    expect(init.exitCode, init.stderr).toBe(0);
    home.writeFile('config/agents/mathy.toon', MATHY);
    await home.start();
    return { home, url: (await home.status()).url };
  }

  it('a tool-using chat request is one trace: HTTP -> invoke_agent -> chat and execute_tool spans, flushed at shutdown', async () => {
    const modules = join(logs, 'on.log');
    const toml = `\n[telemetry]\notlp_endpoint = "${receiver.url}"\nservice_name = "caxton-test"\n`;
    const { home, url } = await startHome(toml, moduleLogEnv(modules));
    fake.enqueue(
      {
        content: 'Computing.',
        tool_calls: [
          { id: 'call_ok', name: 'calculator', arguments: '{"expression":"6*7"}' },
          { id: 'call_bad', name: 'calculator', arguments: '{not json' },
        ],
      },
      { content: 'The answer is 42.', usage: { prompt_tokens: 30, completion_tokens: 7 } },
    );
    const res = await fetch(`${url}/api/agents/mathy/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-trace-1', traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
      body: JSON.stringify({ message: 'What is six times seven? secret-question-text' }),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // Stopping the daemon flushes the spans its batch processor still holds.
    const stop = await home.run(['server', 'stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const run = await waitFor('the run span', () => receiver.spans.find((s) => s.name === 'invoke_agent mathy'));
    const http = await waitFor('the HTTP span', () => receiver.spans.find((s) => s.spanId === run.parentSpanId));

    expect(http).toMatchObject({ name: 'POST /api/agents/:name/chat', kind: 2, service: 'caxton-test' });
    expect(http.attrs).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/agents/:name/chat',
      'http.response.status_code': 200,
      'caxton.request_id': 'req-trace-1',
    });
    // The caller's trace is continued; probes are not traced.
    expect(http).toMatchObject({ traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN });
    expect(receiver.spans.filter((s) => s.name.includes('/health'))).toEqual([]);
    expect(run.traceId).toBe(http.traceId);
    expect(run.attrs).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'mathy',
      'caxton.execution_id': expect.stringMatching(/^exec_/),
      'caxton.status': 'success',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(run.status?.code ?? 0).not.toBe(2);

    const children = receiver.spans.filter((s) => s.parentSpanId === run.spanId);
    const chats = children.filter((s) => s.name.startsWith('chat '));
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat.kind).toBe(3); // CLIENT
      expect(chat.attrs).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': chat.name.slice(5) });
    }
    expect(chats.map((c) => c.attrs['gen_ai.response.finish_reasons'])).toEqual([['tool_calls'], ['stop']]);
    expect(chats[1]!.attrs).toMatchObject({ 'gen_ai.usage.input_tokens': 30, 'gen_ai.usage.output_tokens': 7 });

    const tools = children.filter((s) => s.name === 'execute_tool calculator');
    const byId = Object.fromEntries(tools.map((t) => [t.attrs['gen_ai.tool.call.id'], t]));
    expect(Object.keys(byId).sort()).toEqual(['call_bad', 'call_ok']);
    expect(byId.call_ok!.attrs).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'calculator' });
    expect(byId.call_ok!.status?.code ?? 0).not.toBe(2);
    expect(byId.call_bad!.status?.code).toBe(2); // ERROR
    expect(byId.call_bad!.attrs['error.type']).toBe('tool_error');

    // Names, ids and counts only: no prompt or reply text, no key.
    const all = receiver.bodies.join('\n');
    for (const secret of ['secret-question-text', 'The answer is 42', API_KEY, '6*7']) expect(all).not.toContain(secret);
    expect(loaded(modules).filter((m) => SDK.test(m))).toContain('@opentelemetry/sdk-trace-node');
  });

  it('with telemetry off, neither the daemon nor the CLI loads a module of the OpenTelemetry SDK', async () => {
    const daemonLog = join(logs, 'off-daemon.log');
    const { home, url } = await startHome('', moduleLogEnv(daemonLog));
    fake.enqueue({ tool_calls: [{ id: 'c1', name: 'calculator', arguments: '{"expression":"1+1"}' }] }, { content: '2' });
    const res = await fetch(`${url}/api/agents/mathy/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"message":"1+1?"}' });
    expect(res.status).toBe(200);
    await res.text();
    const cliLog = join(logs, 'off-cli.log');
    const status = await home.run(['server', 'status'], { env: moduleLogEnv(cliLog) });
    expect(status.exitCode, status.stderr).toBe(0);
    // The hook works (the daemon's spans go through the no-op API) and saw no SDK package.
    expect(loaded(daemonLog)).toContain('@opentelemetry/api');
    expect(loaded(daemonLog).filter((m) => SDK.test(m))).toEqual([]);
    expect(loaded(cliLog)).toEqual([]);
  });
});
