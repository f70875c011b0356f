/**
 * `caxton doctor` with the real built CLI and no daemon: against a good fake OpenAI server (key
 * accepted, model listed, the probe tool called), a fake that rejects the key, and a fake whose model
 * prints the tool call as text; a model the provider does not offer; real MCP servers (one that
 * works, one that cannot start); file modes that leak, reported with the chmod that fixes them. Exit
 * 1 on any failure, 0 otherwise; `--json` is an array of {check, status, detail, fix}; keys never show.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type FakeRequestLog } from '../helpers/fake-openai.js';
import { homeRegistry, requireBuild, runCli, type TestHome } from '../helpers/cli.js';
import { SERVER_SCRIPTS, stdioToon } from '../tools/mcp/servers.js';

requireBuild();

const GOOD_KEY = 'doctor-good-key-1234';
const WRONG_KEY = 'doctor-wrong-key-5678';

interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

/** A model that calls the tool it is offered, as a good tool-calling model does. */
function callsTools(req: FakeRequestLog): FakeReply {
  const name = req.body?.tools?.[0]?.function?.name as string | undefined;
  return name ? { tool_calls: [{ name, arguments: '{}' }] } : { content: 'hello' };
}

const homes = homeRegistry();
const fakes: FakeOpenAI[] = [];
let home: TestHome;
let good: FakeOpenAI;

/** A provider table of ares.toml for the fake at `url`, its key from `keyEnv`. */
const provider = (name: string, url: string, keyEnv: string) =>
  `[providers.${name}]\ntype = "openai"\nbase_url = "${url}"\napi_key_env = "${keyEnv}"\nmax_retries = 0\n`;
const model = (name: string, prov: string, id: string) => `name: ${name}\nprovider: ${prov}\nmodel: ${id}\n`;

beforeAll(async () => {
  good = await startFakeOpenAI({ apiKey: GOOD_KEY, default: callsTools });
  const rejecting = await startFakeOpenAI({ apiKey: 'some-other-key-0000' });
  const textOnly = await startFakeOpenAI({ default: { content: '{"name": "get_current_time", "arguments": {}}' } });
  fakes.push(good, rejecting, textOnly);
  home = homes.create();
  home.env = { DOCTOR_GOOD_KEY: GOOD_KEY, DOCTOR_WRONG_KEY: WRONG_KEY };
  home.writeAresToml(
    [
      provider('good', good.url, 'DOCTOR_GOOD_KEY'),
      provider('badkey', rejecting.url, 'DOCTOR_WRONG_KEY'),
      provider('notools', textOnly.url, 'DOCTOR_GOOD_KEY'),
    ].join('\n'),
  );
  chmodSync(home.aresToml, 0o600);
  expect((await home.run(['init'])).exitCode).toBe(0);
  home.writeFile('config/models/balanced.toon', model('balanced', 'good', 'fake-model'));
  home.writeFile('config/models/fast.toon', model('fast', 'badkey', 'fake-model'));
  home.writeFile('config/models/powerful.toon', model('powerful', 'notools', 'fake-model'));
  home.writeFile('config/models/ghost.toon', model('ghost', 'notools', 'missing-model'));
  home.writeFile('config/mcps/everything.toon', stdioToon('everything', SERVER_SCRIPTS.everything, ['stdio']));
  home.writeFile('config/mcps/broken.toon', stdioToon('broken', '/nonexistent/server.js'));
}, 30_000);

afterAll(async () => {
  await homes.cleanupAll();
  await Promise.all(fakes.map((f) => f.close()));
});

/** `caxton doctor --json ARGS`: exit code and the parsed checks by name. */
async function doctorJson(args: string[]): Promise<{ exitCode: number | undefined; checks: Map<string, Check>; stdout: string }> {
  const r = await home.run(['--json', 'doctor', ...args], { timeoutMs: 60_000 });
  const list = JSON.parse(r.stdout) as Check[];
  for (const c of list) expect(Object.keys(c).sort()).toEqual(c.fix ? ['check', 'detail', 'fix', 'status'] : ['check', 'detail', 'status']);
  return { exitCode: r.exitCode, checks: new Map(list.map((c) => [c.check, c])), stdout: r.stdout };
}

describe('caxton doctor', () => {
  it('passes a good provider: reachable, key accepted, model listed, the probe tool called (exit 0)', async () => {
    const { exitCode, checks, stdout } = await doctorJson(['--provider', 'good']);
    expect([...checks.values()].filter((c) => c.status === 'fail')).toEqual([]);
    expect(exitCode).toBe(0);
    expect(checks.get('provider good: reachable')?.status).toBe('ok');
    expect(checks.get('provider good: key')).toMatchObject({ status: 'ok', detail: 'accepted' });
    const label = 'model fake-model (balanced (config/models/balanced.toon))';
    expect(checks.get(`${label}: exists`)?.status).toBe('ok');
    expect(checks.get(`${label}: tool calling`)).toMatchObject({ status: 'ok', detail: 'called get_current_time' });
    expect(checks.get('daemon')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^not running/) });
    const probe = good.requests.find((r) => r.path === '/v1/chat/completions');
    expect(probe?.body).toMatchObject({ model: 'fake-model', tool_choice: 'required', tools: [{ function: { name: 'get_current_time' } }] });
    expect(stdout).not.toContain(GOOD_KEY);
  }, 60_000);

  it('reports a rejected key with the variable to set, never the key (exit 1)', async () => {
    const r = await home.run(['doctor', '--provider', 'badkey'], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('FAIL  provider badkey: key: key rejected (HTTP 401)\n      fix: key rejected: set DOCTOR_WRONG_KEY to a valid key\n');
    expect(r.stdout).toMatch(/1 problem found/);
    expect(r.stdout + r.stderr).not.toContain(WRONG_KEY);
  }, 60_000);

  it('fails a model that prints the tool call as text, and a model the provider does not offer', async () => {
    const { exitCode, checks } = await doctorJson(['--provider', 'notools']);
    expect(exitCode).toBe(1);
    const tools = checks.get('model fake-model (powerful (config/models/powerful.toon)): tool calling');
    expect(tools).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^printed the tool call as text/) });
    expect(tools?.fix).toMatch(/function calling/);
    const ghost = checks.get('model missing-model (ghost (config/models/ghost.toon)): exists');
    expect(ghost).toMatchObject({ status: 'fail', detail: 'provider notools does not offer "missing-model"' });
    expect(ghost?.fix).toContain('fake-model');
  }, 60_000);

  it('connects each MCP server and lists its tools; one that cannot start fails with how to see why', async () => {
    const { exitCode, checks } = await doctorJson([]);
    expect(exitCode).toBe(1);
    expect(checks.get('mcp everything')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^stdio, [1-9]\d* tools: .*echo/) });
    const broken = checks.get('mcp broken');
    expect(broken?.status).toBe('fail');
    expect(broken?.fix).toContain('run it by hand to see why: ');
    expect(broken?.fix).toContain('/nonexistent/server.js');
  }, 90_000);

  it('reports a home and ares.toml others may read, each with the chmod that fixes it', async () => {
    chmodSync(home.dir, 0o755);
    chmodSync(home.aresToml, 0o644);
    try {
      const r = await home.run(['doctor', '--skip-network'], { timeoutMs: 30_000 });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain(`FAIL  mode home: ${home.dir} is 0755: group or others may read it\n      fix: chmod 700 ${home.dir}\n`);
      expect(r.stdout).toContain(`fix: chmod 600 ${home.aresToml}\n`);
      expect(r.stdout).toContain('skip  providers and MCP servers: --skip-network');
      const before = good.requests.length;
      chmodSync(home.dir, 0o700);
      chmodSync(home.aresToml, 0o600);
      const fixed = await home.run(['doctor', '--skip-network'], { timeoutMs: 30_000 });
      expect(fixed.stdout).toMatch(/no problems found/);
      expect(fixed.exitCode).toBe(0);
      expect(good.requests.length).toBe(before);
    } finally {
      chmodSync(home.dir, 0o700);
      chmodSync(home.aresToml, 0o600);
    }
  }, 60_000);

  it('embeds a text with the embedder [memory] names: the builtin model, or a model alias through its provider', async () => {
    const builtin = await doctorJson(['--skip-network']);
    expect(builtin.checks.get('embeddings (builtin)')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^builtin:\S+ answers: 512 dimensions in \d+ ms$/),
    });
    const toml = readFileSync(home.aresToml, 'utf8');
    try {
      home.writeAresToml(`${toml}\n[memory]\nembedder = "fast"\n`);
      expect((await doctorJson(['--skip-network'])).checks.get('embeddings (fast)')).toMatchObject({ status: 'skip' });
      const { checks, stdout } = await doctorJson([]);
      expect(checks.get('embeddings (fast)')).toMatchObject({ status: 'fail', fix: expect.stringContaining('serves /v1/embeddings') });
      expect(stdout).not.toContain(WRONG_KEY);
    } finally {
      home.writeAresToml(toml);
      chmodSync(home.aresToml, 0o600);
    }
  }, 120_000);

  it('reports a running daemon, its socket mode and the database it made; a missing home is one failure', async () => {
    const started = await home.start();
    const { exitCode, checks } = await doctorJson(['--skip-network']);
    expect(exitCode).toBe(0);
    expect(checks.get('daemon')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(new RegExp(`^running, pid ${started.pid}, http://127\\.0\\.0\\.1:\\d+`)),
    });
    expect(checks.get('mode control socket')).toMatchObject({ status: 'ok', detail: `${home.socket} is 0600` });
    expect(checks.get('database')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^sqlite .*ares\.db, schema version [1-9]/) });

    const nowhere = join(home.dir, 'nowhere');
    const r = await runCli(['--home', nowhere, 'doctor'], { timeoutMs: 30_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`FAIL  home: no home at ${nowhere}\n      fix: caxton init --home ${nowhere}`);
    expect(r.stdout).toMatch(/1 problem found/);
  }, 60_000);
});
