/**
 * The CLI's agent, user and key commands against the real daemon (SPEC §5): create from a seed-style
 * TOON file, list with SOURCE, show/export/import round trip, update, delete, `--as` another user,
 * `--public` sharing into the community tier, API keys shown once and revoked, and the jwt-secret file
 * generated with mode 0600 on a loopback start.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CAXTON_BIN, cleanEnv, homeRegistry, requireBuild, type TestHome } from '../helpers/cli.js';

requireBuild();

describe('caxton agent/user/key commands (real daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ home, url } = await homes.startWithFake({ default: { content: 'hello from the model' } }));
  }, 30_000);
  afterAll(() => homes.cleanupAll());

  const file = (name: string, text: string) => {
    const p = join(home.dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('creates from a seed-style TOON file and lists it with its source', async () => {
    const f = file('helper.toon', 'name: helper\nmodel: fast\ntools[1]: calculator\nsystem_prompt: |\n  You help.\n  Briefly.\n');
    const created = await home.run(['agent', 'create', '--from-file', f]);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/created agent helper \(private, id agent_\w+\)/);
    expect(created.stderr).toMatch(/helper\.toon:4:1: W_DEPRECATED/);
    const list = await home.run(['agent', 'list']);
    expect(list.stdout).toMatch(/NAME\s.*SOURCE\s.*MODEL\s.*TOOLS/);
    expect(list.stdout).toMatch(/helper\s+│ user\s+│ fast\s+│ calculator/);
    expect(list.stdout).toMatch(/router\s+│ system/);
    const json = JSON.parse((await home.run(['--json', 'agent', 'list', '--source', 'user'])).stdout);
    expect(json.map((a: { name: string }) => a.name)).toEqual(['helper']);
  });

  it('export -> import under another name gives the same definition; show --format json', async () => {
    const exported = await home.run(['agent', 'export', 'helper']);
    expect(exported.exitCode).toBe(0);
    expect(exported.stdout).toContain('system_prompt: "You help.\\nBriefly."');
    const f = file('exported.toon', exported.stdout);
    expect((await home.run(['agent', 'import', f, '--name', 'helper-copy'])).exitCode).toBe(0);
    const a = JSON.parse((await home.run(['agent', 'show', 'helper', '--format', 'json'])).stdout);
    const b = JSON.parse((await home.run(['agent', 'show', 'helper-copy', '--format', 'json'])).stdout);
    expect({ ...b, name: 'helper' }).toEqual(a);
    const toml = await home.run(['agent', 'export', 'helper', '--format', 'toml']);
    expect(toml.stdout).toMatch(/^name = "helper"$/m);
    const viaConfig = await home.run(['create', '--config', file('c.toml', toml.stdout.replace('name = "helper"', 'name = "from-toml"'))]);
    expect(viaConfig.exitCode, viaConfig.stderr).toBe(0);
  });

  it('update and delete; errors are located and exit 1', async () => {
    const f = file('v2.json', JSON.stringify({ name: 'helper-copy', model: 'fast', system_prompt: 'Version two.' }));
    expect((await home.run(['agent', 'update', 'helper-copy', '--from-file', f, '--public'])).stdout).toMatch(/updated agent helper-copy \(public/);
    expect((await home.run(['agent', 'show', 'helper-copy', '--format', 'toon'])).stdout).toContain('system_prompt: Version two.');
    expect((await home.run(['agent', 'delete', 'helper-copy'])).exitCode).toBe(0);
    const gone = await home.run(['agent', 'show', 'helper-copy']);
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toContain('agent helper-copy not found');
    const bad = await home.run(['agent', 'create', '--from-file', file('bad.toml', 'name = "bad"\nmodel = "nope"\nsystem_prompt = "x"\ncolour = 1\n')]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/E_UNKNOWN_FIELD|colour/);
    const badRef = await home.run(['--json', 'agent', 'create', '--from-file', file('ref.toml', 'name = "badref"\nmodel = "nope"\nsystem_prompt = "x"\n')]);
    expect(badRef.exitCode).toBe(1);
    expect(JSON.parse(badRef.stdout).error.details[0]).toMatchObject({ code: 'E_REFERENCE', field: 'model' });
    expect((await home.run(['agent', 'delete', 'router'])).exitCode).toBe(1);
  });

  it('user create --key, --as EMAIL, --public sharing, and keys over TCP', async () => {
    const user = JSON.parse((await home.run(['--json', 'user', 'create', 'bob@example.com', '--key'])).stdout);
    expect(user.api_key.key).toMatch(/^cxk_/);
    expect(user.handle).toBe('bob');
    const f = file('bob.toon', 'name: bobs-bot\nmodel: fast\nsystem_prompt: Bob here.\n');
    expect((await home.run(['--as', 'bob@example.com', 'agent', 'create', '--from-file', f, '--public'])).exitCode).toBe(0);
    expect((await home.run(['--as', 'bob@example.com', 'agent', 'create', '--from-file', f, '--name', 'bobs-secret'])).exitCode).toBe(0);
    // The admin (local) sees Bob's public agent as community, under his handle, never his private one.
    const mine = JSON.parse((await home.run(['--json', 'agent', 'list'])).stdout) as { name: string; source: string }[];
    expect(mine.find((a) => a.name === 'bob/bobs-bot')?.source).toBe('community');
    expect(mine.map((a) => a.name).filter((n) => n.includes('bobs-'))).toEqual(['bob/bobs-bot']);
    // Bob's key works over TCP, lists his private agent, and chats with it.
    const auth = { authorization: `Bearer ${user.api_key.key}` };
    const bobs = (await (await fetch(`${url}/api/agents?source=user`, { headers: auth })).json()) as { agents: { name: string }[] };
    expect(bobs.agents.map((a) => a.name).sort()).toEqual(['bobs-bot', 'bobs-secret']);
    const chat = await fetch(`${url}/api/agents/bobs-secret/chat`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hi' }),
    });
    expect(((await chat.json()) as { reply: string }).reply).toBe('hello from the model');
    // Anonymous loopback callers are `local`: Bob's private agent does not exist for them.
    expect((await fetch(`${url}/api/agents/bobs-secret`)).status).toBe(404);
    // Revoke: the key stops working.
    const keys = JSON.parse((await home.run(['--json', '--as', 'bob@example.com', 'key', 'list'])).stdout) as { id: string; prefix: string }[];
    expect(keys).toHaveLength(1);
    expect(user.api_key.key.startsWith(keys[0]!.prefix)).toBe(true);
    expect((await home.run(['--as', 'bob@example.com', 'key', 'revoke', keys[0]!.id])).exitCode).toBe(0);
    expect((await fetch(`${url}/api/agents`, { headers: auth })).status).toBe(401);
    expect((await home.run(['--as', 'nobody@example.com', 'agent', 'list'])).exitCode).toBe(1);
  });

  it('key create prints the key once; the log never contains it; jwt-secret is 0600', async () => {
    const created = await home.run(['key', 'create', '--name', 'ci']);
    const key = created.stdout.trim();
    expect(key).toMatch(/^cxk_[\w-]{43}$/);
    expect((await home.run(['key', 'list'])).stdout).not.toContain(key);
    expect((await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(home.logFile, 'utf8')).not.toContain(key);
    expect(statSync(join(home.dir, 'data', 'jwt-secret')).mode & 0o777).toBe(0o600);
  });

  it('agent create --template makes a user agent from each shipped template', async () => {
    for (const t of ['chatbot', 'data-analyzer', 'task-scheduler', 'customer-support']) {
      const r = await home.run(['agent', 'create', '--template', t, '--name', `my-${t}`]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`created agent my-${t}`);
    }
    const unknown = await home.run(['agent', 'create', '--template', 'nope']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('templates: ');
  });

  it('agent create --interactive shows the TOON and creates only after yes', async () => {
    const answers = ['quick', '', '', 'fast', '', 'You are quick.', 'Really quick.', '', 'y', ''].join('\n');
    const interactive = (input: string) =>
      execa(process.execPath, [CAXTON_BIN, '--home', home.dir, 'agent', 'create', '--interactive'], {
        input,
        env: cleanEnv(home.env),
        extendEnv: false,
        reject: false,
        timeout: 20_000,
      });
    const r = await interactive(answers);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toContain('system_prompt: "You are quick.\\nReally quick."');
    expect(String(r.stdout)).toContain('created agent quick');
    const no = await interactive(['never', '', '', 'fast', '', 'Nope.', '', 'n', ''].join('\n'));
    expect(no.exitCode).toBe(1);
    expect((await home.run(['agent', 'show', 'never'])).exitCode).toBe(1);
  });
});
