/**
 * Daemon lifecycle through the real binary (SPEC §2, §5, §8): start, status, list, test (streamed),
 * stop; a second start and two racing starts; recovery after kill -9; graceful SIGTERM with a request
 * in flight (and the conversation surviving the restart); socket and run-dir modes.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from '@toon-format/toon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { daemonPidsFor, homeRegistry, processAlive, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';

requireBuild();

describe('daemon lifecycle (real binary)', { timeout: 30_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;

  beforeEach(async () => {
    fake = await startFakeOpenAI();
  });
  afterEach(async () => {
    await homes.cleanupAll();
    await fake.close();
  });

  /** A home initialised with the shipped config whose `openai` provider is the fake server. */
  function homeWithFake(): Promise<TestHome> {
    return homes.createWithFake(fake.url);
  }

  const chatRequests = () => fake.requests.filter((r) => r.path === '/v1/chat/completions');

  it('start -> status -> agent list -> agent test -> stop -> status says not running', async () => {
    const home = await homeWithFake();

    // start (human output): pid, URL and socket.
    const start = await home.run(['server', 'start', '--port', '0']);
    expect(start.exitCode, start.stderr).toBe(0);
    const pid = home.pidFromFile();
    expect(pid).toBeDefined();
    home.pids.add(pid!);
    expect(start.stdout).toContain(`pid ${pid}`);
    expect(start.stdout).toMatch(/http:\/\/127\.0\.0\.1:\d+/);
    expect(start.stdout).toContain(home.socket);
    expect(processAlive(pid!)).toBe(true);

    // status (human)
    const status = await home.run(['server', 'status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toContain('running');
    expect(status.stdout).not.toContain('not running');
    expect(status.stdout).toContain(String(pid));
    expect(status.stdout).toMatch(/url:\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(status.stdout).toMatch(/runs:\s+0 in flight of 64 \(\[runtime\] max_concurrent_runs\), 0 queued/);
    expect(status.stdout).toContain(home.socket);

    // status --json
    const st = await home.status();
    expect(st.running).toBe(true);
    expect(st.pid).toBe(pid);
    expect(st.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(st.url).not.toMatch(/:0$/); // --port 0 resolved to the real port
    expect(st.socket).toBe(home.socket);
    expect(typeof st.uptime_ms).toBe('number');
    expect(st.uptime_ms).toBeGreaterThanOrEqual(0);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(st.version).toBe(pkg.version);
    const shipped = (kind: string) => readdirSync(join(home.dir, 'config', kind)).filter((f) => !f.startsWith('.')).length;
    expect(st.counts.agents).toBe(shipped('agents'));
    expect(st.counts.models).toBe(shipped('models'));
    expect(st.models.map((m) => m.name)).toEqual(expect.arrayContaining(['balanced', 'fast', 'powerful']));
    for (const m of st.models) {
      expect(m.provider).toBe('openai');
      expect(m.provider_type).toBe('openai');
      expect(m.state).toBe('ready'); // a key is set, so the real provider serves
    }
    // The human status lists the models too, and names the database: backend, health, schema, file.
    for (const m of st.models) expect(status.stdout).toContain(m.name);
    expect(st.database).toMatchObject({ ok: true, backend: 'sqlite', path: join(home.dir, 'data', 'ares.db'), journal_mode: 'wal' });
    expect(status.stdout).toContain(`database: ok (sqlite wal, schema ${st.database.schema_version}) ${join(home.dir, 'data', 'ares.db')}`);

    // agent list (table + --json)
    const list = await home.run(['agent', 'list']);
    expect(list.exitCode, list.stderr).toBe(0);
    for (const name of ['router', 'orchestrator', 'customer-support']) {
      expect(list.stdout).toMatch(new RegExp(`${name}\\s*│\\s*system\\b`));
    }
    expect(list.stdout).toMatch(/NAME[\s│]+SOURCE[\s│]+MODEL[\s│]+TOOLS/);
    const listJson = await home.run(['--json', 'agent', 'list']);
    expect(listJson.exitCode, listJson.stderr).toBe(0);
    const agents = JSON.parse(listJson.stdout) as { name: string; source: string; model: string; tools: string[] }[];
    expect(agents.map((a) => a.name)).toEqual(expect.arrayContaining(['customer-support', 'orchestrator', 'router']));
    expect(agents).toHaveLength(st.counts.agents);
    for (const a of agents) expect(a.source).toBe('system');
    expect(agents.find((a) => a.name === 'router')?.model).toBe('fast');

    // agent test: the fake server's answer, streamed.
    fake.enqueue({ content: 'customer-support is the specialist for this' });
    const test = await home.run(['agent', 'test', 'router', 'hello']);
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stdout).toContain('customer-support is the specialist for this');
    expect(test.stderr).toContain('via openai'); // not the offline fallback
    const calls = chatRequests();
    expect(calls).toHaveLength(1);
    const body = calls[0]!.body as { model: string; stream: boolean; messages: { role: string; content: string }[] };
    expect(body.stream).toBe(true);
    const router = decode(readFileSync(join(home.dir, 'config', 'agents', 'router.toon'), 'utf8')) as { system_prompt: string };
    const fast = decode(readFileSync(join(home.dir, 'config', 'models', 'fast.toon'), 'utf8')) as { model: string };
    expect(body.messages[0]).toEqual({ role: 'system', content: router.system_prompt });
    expect(body.messages.at(-1)).toEqual({ role: 'user', content: 'hello' });
    expect(body.model).toBe(fast.model);
    expect(calls[0]!.headers.authorization).toBe('Bearer test-key');

    // stop
    const stop = await home.run(['server', 'stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(String(pid));
    expect(processAlive(pid!)).toBe(false);

    const after = await home.run(['server', 'status']);
    expect(after.exitCode).toBe(3);
    expect(after.stdout + after.stderr).toContain('not running');
    expect(home.exists(home.pidFile)).toBe(false);
    expect(home.exists(home.socket)).toBe(false);

    const afterJson = await home.run(['--json', 'server', 'status']);
    expect(afterJson.exitCode).toBe(3);
    expect(JSON.parse(afterJson.stdout)).toMatchObject({ running: false });

    // A command that needs the daemon says it is not running, exit 3.
    const listStopped = await home.run(['agent', 'list']);
    expect(listStopped.exitCode).toBe(3);
    expect(listStopped.stderr).toContain('not running');
  });

  it('agent test prints the reply as it streams in, not all at once at the end', async () => {
    const home = await homeWithFake();
    await home.start();
    // One SSE frame per word, 150 ms apart: "alpha" is out well before "delta" is sent.
    fake.enqueue({ content: 'alpha beta delta', chunk_delay_ms: 150 });
    const child = home.spawn(['agent', 'test', 'router', 'stream please']);
    const pieces: string[] = [];
    child.stdout!.on('data', (d: Buffer) => pieces.push(d.toString('utf8')));
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(pieces.join('')).toContain('alpha beta delta');
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces[0]).toContain('alpha');
    expect(pieces[0]).not.toContain('delta');
  });

  it('a second start keeps the one daemon (exit 0, says already running, same pid)', async () => {
    const home = await homeWithFake();
    const first = await home.start();
    expect(first.started).toBe(true);

    const second = await home.run(['server', 'start', '--port', '0']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toContain('already running');
    expect(second.stdout).toContain(`pid ${first.pid}`);

    const secondJson = await home.run(['--json', 'server', 'start', '--port', '0']);
    expect(secondJson.exitCode, secondJson.stderr).toBe(0);
    expect(JSON.parse(secondJson.stdout)).toMatchObject({ started: false, already_running: true, pid: first.pid });

    expect(daemonPidsFor(home.dir)).toEqual([first.pid]);
    expect(home.pidFromFile()).toBe(first.pid);
    expect((await home.status()).pid).toBe(first.pid);
  });

  it('two starts racing on an empty home end with exactly one daemon', async () => {
    const home = homes.create();
    const [a, b] = await Promise.all([home.run(['--json', 'server', 'start', '--port', '0']), home.run(['--json', 'server', 'start', '--port', '0'])]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const outs = [JSON.parse(a.stdout), JSON.parse(b.stdout)] as { started: boolean; pid: number }[];
    expect(outs.filter((o) => o.started)).toHaveLength(1);
    expect(outs[0]!.pid).toBe(outs[1]!.pid);
    // The loser's spawned process must be gone too, not just "not serving".
    await waitFor('only one daemon process', () => daemonPidsFor(home.dir).length === 1);
    expect(daemonPidsFor(home.dir)).toEqual([outs[0]!.pid]);
    expect((await home.status()).pid).toBe(outs[0]!.pid);
  });

  it('recovers after kill -9: the stale pid file and socket are replaced and a new daemon serves', async () => {
    const home = await homeWithFake();
    const first = await home.start();
    process.kill(first.pid, 'SIGKILL');
    await waitFor('the killed daemon to vanish', () => !processAlive(first.pid));
    // What a crash leaves behind.
    expect(home.pidFromFile()).toBe(first.pid);
    expect(home.exists(home.socket)).toBe(true);

    const stale = await home.run(['server', 'status']);
    expect(stale.exitCode).toBe(3);

    const second = await home.start();
    expect(second.started).toBe(true);
    expect(second.pid).not.toBe(first.pid);
    expect(home.pidFromFile()).toBe(second.pid);
    const st = await home.status();
    expect(st.pid).toBe(second.pid);
    const health = await fetch(`${st.url}/health`);
    expect(health.status).toBe(200);

    fake.enqueue({ content: 'alive again' });
    const test = await home.run(['agent', 'test', 'router', 'still there?']);
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stdout).toContain('alive again');
  });

  it('SIGTERM lets an in-flight request finish, answers new requests 503, then exits and cleans up', async () => {
    const home = await homeWithFake();
    const { pid } = await home.start();
    const st = await home.status();

    fake.enqueue({ content: 'slow but complete', delay_ms: 3000 });
    let settled = false;
    const inFlight = fetch(`${st.url}/agents/router/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'take your time' }),
    })
      .then(
        (r) => r,
        (err: Error) => err,
      ) // settle either way, so a failure is reported below, not as unhandled
      .finally(() => (settled = true));
    await waitFor('the request to reach the model', () => chatRequests().length === 1);
    process.kill(pid, 'SIGTERM');

    // New requests are answered 503 (Connection: close) while the old request is still running.
    await waitFor('the shutdown to begin', () => readFileSync(home.logFile, 'utf8').includes('shutting down'));
    const refused = await fetch(`${st.url}/health`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('connection')).toBe('close');
    expect(settled).toBe(false);
    expect(processAlive(pid)).toBe(true);
    expect(readFileSync(home.logFile, 'utf8')).toContain('shutting down');

    const res = await inFlight;
    if (res instanceof Error) throw new Error(`the in-flight request failed during shutdown: ${res.message}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { reply: string; conversation_id: string };
    expect(body.reply).toBe('slow but complete');
    expect(body.conversation_id).toBeTruthy();

    await waitFor('the daemon to exit', () => !processAlive(pid), 15_000);
    expect(home.exists(home.pidFile)).toBe(false);
    expect(home.exists(home.socket)).toBe(false);
    const log = readFileSync(home.logFile, 'utf8');
    expect(log).toContain('caxton daemon stopped');

    // The turn finished during shutdown was saved: a restarted daemon continues that conversation.
    await home.start();
    const again = await fetch(`${(await home.status()).url}/agents/router/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'still with me?', conversation_id: body.conversation_id }),
    });
    expect(again.status).toBe(200);
    const history = (chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] }).messages.slice(1);
    expect(history).toEqual([
      { role: 'user', content: 'take your time' },
      { role: 'assistant', content: 'slow but complete' },
      { role: 'user', content: 'still with me?' },
    ]);
  });

  it('control socket is 0600 and the run dir 0700 (even when run/ existed with looser bits)', async () => {
    const home = await homeWithFake();
    mkdirSync(home.runDir, { recursive: true });
    chmodSync(home.runDir, 0o755);
    await home.start();
    const sock = statSync(home.socket);
    expect(sock.isSocket()).toBe(true);
    expect((sock.mode & 0o777).toString(8)).toBe('600');
    expect((statSync(home.runDir).mode & 0o777).toString(8)).toBe('700');
  });
});
