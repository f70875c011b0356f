/**
 * Record and replay (docs/testing.md): a suite recorded against the fake OpenAI server (which
 * requires its key) replays with the server stopped and gives the same result; the cassette holds no
 * key; editing the agent's system prompt makes the replay miss name the change; `update` records
 * only the requests that miss.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiToml } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequestLog } from '../helpers/fake-openai.js';
import { scenarioHome, type ScenarioHome } from './home.js';

const KEY = 'sk-cassette-secret-4711';
const ENV = { OPENAI_API_KEY: KEY };

/** The fake model: asks for the calculator once when told to compute, else echoes the last user message. */
function model(req: FakeRequestLog) {
  const messages = req.body.messages as Array<{ role: string; content: string }>;
  const user = messages.filter((m) => m.role === 'user').at(-1)!.content;
  if (user.startsWith('compute') && !messages.some((m) => m.role === 'tool'))
    return { tool_calls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }] };
  const tool = messages.find((m) => m.role === 'tool');
  return { content: tool ? `The answer is ${tool.content}.` : `You said: ${user}` };
}

const SUITE = (second: string) => `agent = "customer-support"
[[cases]]
name = "computes"
input = "compute six times seven"
[cases.expect]
contains = ["42"]
tool_called = ["calculator"]

[[cases]]
name = "echoes"
input = "${second}"
[cases.expect]
contains = ["You said"]
`;

describe('cassettes', { timeout: 30_000 }, () => {
  let fake: FakeOpenAI;
  let home: ScenarioHome;
  let cassette: string;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY, default: model });
    home = scenarioHome(fake.url);
    home.write('tests/support.test.toml', SUITE('hello'));
    cassette = join(home.dir, 'tests', 'support.cassette.json');
  });
  afterAll(async () => {
    home.remove();
    await fake.close();
  });

  it('records against the real provider, then replays with it stopped: same result, no key in the cassette', async () => {
    const recorded = await home.run(['tests'], 'record', ENV);
    expect(recorded.cases.map((c) => [c.name, c.passed, c.reply])).toEqual([
      ['computes', true, 'The answer is 42.'],
      ['echoes', true, 'You said: hello'],
    ]);
    expect(recorded.cassettes).toEqual([cassette]);
    expect(fake.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(3);
    const text = readFileSync(cassette, 'utf8');
    expect(text).not.toContain(KEY);
    expect(text).not.toMatch(/authorization|bearer/i);
    const data = JSON.parse(text);
    expect([data.interactions.length, data.tools]).toEqual([3, [expect.objectContaining({ tool: 'calculator', result: { content: '42' } })]]);

    await fake.close();
    const replayed = await home.run(['tests'], 'auto', ENV);
    const strip = (r: typeof recorded) =>
      r.cases.map(({ name, passed, reply, tool_calls, finish_reason, iterations }) => ({ name, passed, reply, tool_calls, finish_reason, iterations }));
    expect(strip(replayed)).toEqual(strip(recorded));
    expect(replayed.cassettes).toEqual([]);
  });

  it('a replay miss names what changed (system prompt edited) and shows the diff of the nearest request', async () => {
    const agentFile = join(home.dir, 'config', 'agents', 'customer-support.toon');
    const original = readFileSync(agentFile, 'utf8');
    writeFileSync(agentFile, original.replace('You are a friendly, precise customer support agent.', 'You are a terse support agent.'));
    try {
      const r = await home.run(['tests'], 'replay', ENV);
      const miss = r.cases[1]!.failures[0]!;
      expect(miss.assertion).toBe('run');
      expect(miss.actual).toContain('nearest recorded request differs in: system prompt edited\n');
      expect(miss.actual).toContain('-      "content": "You are a friendly, precise customer support agent.');
      expect(miss.actual).toContain('+      "content": "You are a terse support agent.');
    } finally {
      writeFileSync(agentFile, original);
    }
  });

  it('update records only the misses (a changed input), keeping the rest', async () => {
    const again = await startFakeOpenAI({ apiKey: KEY, default: model });
    try {
      writeFileSync(join(home.dir, 'ares.toml'), openaiToml(again.url));
      home.write('tests/support.test.toml', SUITE('good morning'));
      const r = await home.run(['tests'], 'update', ENV);
      expect(r.cases.map((c) => [c.name, c.passed, c.reply])).toEqual([
        ['computes', true, 'The answer is 42.'],
        ['echoes', true, 'You said: good morning'],
      ]);
      const sent = again.requests.filter((q) => q.path.endsWith('/chat/completions'));
      expect(sent.map((q) => q.body.messages.at(-1).content)).toEqual(['good morning']);
      expect(JSON.parse(readFileSync(cassette, 'utf8')).interactions).toHaveLength(4);
    } finally {
      await again.close();
    }
  });
});
