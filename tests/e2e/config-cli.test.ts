/**
 * `caxton validate`, `migrate` and `schema` through the real binary, without a daemon (SPEC §5); and the
 * real daemon keeps serving when malformed files (10 MB prompt, invalid UTF-8, 10k-deep nesting, a
 * truncated file) land in its config dir, reporting each with its location.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigStatus } from '../../src/domain/status.js';
import { requestJson } from '../../src/client/http.js';
import { REPO_ROOT, daemonPidsFor, homeRegistry, requireBuild, runCli, waitFor, type TestHome } from '../helpers/cli.js';

requireBuild();

/** Entity files in the shipped config/ (what `validate` should report having checked). */
const SHIPPED_FILES = readdirSync(join(REPO_ROOT, 'config'), { recursive: true, withFileTypes: true }).filter(
  (e) => e.isFile() && /\.(toon|toml|json|md)$/.test(e.name),
).length;

describe('validate / migrate / schema (real binary, no daemon)', { timeout: 30_000 }, () => {
  const homes = homeRegistry();
  const home = homes.create();
  afterAll(() => homes.cleanupAll());
  const path = (rel: string) => join(home.dir, rel);

  it('validate: the shipped config/ is clean (exit 0, summary line)', async () => {
    const r = await runCli(['validate', join(REPO_ROOT, 'config')]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok: ${SHIPPED_FILES} files checked, 0 errors, 0 warnings$`, 'm'));
  });

  it('validate: errors print file:line:col: CODE message + hint and exit 1; --json is machine-readable', async () => {
    home.writeFile('config/models/balanced.toon', 'name: balanced\nprovider: openai\nmodel: gpt-4o-mini\n');
    home.writeFile('config/agents/typo.toon', 'name: typo\nsystem_prompt: hi\nmodel: balancd\n');
    home.writeFile('config/tools/idle.toon', 'name: idle\n');
    const r = await home.run(['validate', home.dir]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(
      // A tree outside the working directory is shown relative to its home.
      `config/agents/typo.toon:3:1: E_REFERENCE agent \`typo\` uses model \`balancd\`, which is not defined\n  hint: did you mean \`balanced\`?`,
    );
    expect(r.stdout).toMatch(/W_UNUSED tool `idle`/);
    expect(r.stdout).toMatch(/^invalid: 3 files checked, 1 error, 1 warning$/m);

    const json = await home.run(['validate', '--json', path('config')]);
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      errors: number;
      warnings: number;
      diagnostics: { code: string; line: number; col: number; file: string }[];
    };
    expect(report).toMatchObject({ ok: false, errors: 1, warnings: 1 });
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ code: 'E_REFERENCE', line: 3, col: 1 }));
    expect(daemonPidsFor(home.dir)).toEqual([]);
  });

  it('validate: warnings only -> exit 0', async () => {
    home.writeFile('config/agents/typo.toon', 'name: typo\nsystem_prompt: hi\nmodel: balanced\n');
    const r = await home.run(['validate', path('config')]);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/W_UNUSED tool `idle`[\s\S]*^ok: 3 files checked, 0 errors, 1 warning$/m);
  });

  it('migrate: Markdown+YAML -> TOML next to the source, validated; refuses to overwrite; --force does', async () => {
    mkdirSync(path('legacy'), { recursive: true });
    writeFileSync(path('legacy/helper.md'), '---\nname: helper\nsystem_prompt: |\n  Be brief.\n  Be kind.\ntools: [calculator]\n---\nUsed by the help desk.\n');
    const r = await home.run(['migrate', path('legacy')]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`migrated ${path('legacy/helper.md')} -> ${path('legacy/helper.toml')}`);
    expect(r.stdout).toContain('Markdown body -> `documentation` (1 line)');
    const toml = readFileSync(path('legacy/helper.toml'), 'utf8');
    expect(toml).toContain("system_prompt = '''\nBe brief.\nBe kind.\n'''");
    expect(readFileSync(path('legacy/helper.md'), 'utf8')).toMatch(/^---\nname: helper/);

    const v = await home.run(['validate', path('legacy/helper.toml')]);
    expect(v.exitCode, v.stdout).toBe(0);

    const again = await home.run(['migrate', path('legacy/helper.md')]);
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toMatch(/already exists[\s\S]*hint: pass --force/);
    const forced = await home.run(['migrate', '--force', path('legacy/helper.md')]);
    expect(forced.exitCode, forced.stdout).toBe(0);
  });

  it('schema: markdown is docs/config-reference.md; json is JSON Schema per kind', async () => {
    const md = await runCli(['schema']);
    expect(md.exitCode).toBe(0);
    expect(md.stdout).toBe(readFileSync(join(REPO_ROOT, 'docs/config-reference.md'), 'utf8'));
    const json = await runCli(['schema', '--format', 'json', '--kind', 'models']);
    expect(json.exitCode).toBe(0);
    const schema = JSON.parse(json.stdout) as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(['name', 'provider', 'model']);
    expect(Object.keys(schema.properties)).toContain('input_cost_per_mtok');
    const bad = await runCli(['schema', '--kind', 'agent']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/agents/);
  });
});

describe("malformed files in a running daemon's config dir", { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ home, url } = await homes.startWithFake());
  }, 20_000);
  afterAll(() => homes.cleanupAll());

  /** The admin's view (over the control socket, as the CLI): anonymous TCP callers get a summary without diagnostics. */
  const configStatus = (): Promise<ConfigStatus> => requestJson<ConfigStatus>(home.socket, '/api/config/status');
  const routerAnswers = async (): Promise<number> =>
    (
      await fetch(`${url}/agents/router/message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'hello' }),
      })
    ).status;

  it('rejects each bad file with its location and keeps serving the last good agents', async () => {
    expect(await routerAnswers()).toBe(200);
    const cases: Array<[string, string | Buffer, { code: string; line: number }]> = [
      ['config/agents/huge.toon', `name: huge\nsystem_prompt: "${'x'.repeat(10 * 1024 * 1024)}"\nmodel: nope\n`, { code: 'E_VALUE', line: 2 }],
      [
        'config/agents/binary.toon',
        Buffer.concat([Buffer.from('name: bin\nsystem_prompt: "'), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]),
        { code: 'E_SYNTAX', line: 2 },
      ],
      ['config/agents/deep.json', `{"name":"deep","system_prompt":"x","parameters":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, { code: 'E_VALUE', line: 1 }],
      ['config/agents/cut.toml', 'name = "cut"\nsystem_prompt = """never closed\n', { code: 'E_SYNTAX', line: 2 }],
    ];
    let rejected = (await configStatus()).rejected;
    for (const [file, content, expected] of cases) {
      mkdirSync(join(home.dir, file, '..'), { recursive: true });
      writeFileSync(join(home.dir, file), content);
      // A big file may be seen half-written first (rejected too); wait for the rejection of the whole file.
      const located = (s: ConfigStatus) => s.last_errors.some((d) => d.file === file && d.code === expected.code && d.line === expected.line);
      let last: ConfigStatus | undefined;
      const st = await waitFor(
        `${file} to be rejected with ${expected.code} at line ${expected.line}`,
        async () => {
          last = await configStatus();
          return last.rejected > rejected && located(last) ? last : undefined;
        },
        15_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last errors: ${JSON.stringify(last?.last_errors).slice(0, 2000)}`);
      });
      rejected = st.rejected;
      expect(st.errors).toBe(0); // the snapshot being served is still the last good one
      expect(await routerAnswers()).toBe(200);
      rmSync(join(home.dir, file));
    }
    const status = await home.status();
    expect(status.counts.agents).toBe(3);
  });
});

describe('validate with no path', { timeout: 30_000 }, () => {
  const homes = homeRegistry();
  afterAll(() => homes.cleanupAll());

  it('checks the selected home (ares.toml + config/) and says so when a file breaks', async () => {
    const home = homes.create();
    expect((await home.run(['init'])).exitCode).toBe(0);
    const ok = await home.run(['validate']);
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^ok: ${SHIPPED_FILES + 1} files checked, 0 errors, 0 warnings$`, 'm'));
    home.writeFile('config/models/fast.toon', 'name: fast\nprovider: openai\nmodel: gpt-4o-mini\ntemperature: hot\n');
    const bad = await home.run(['validate']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/config\/models\/fast\.toon:4:1: E_TYPE `temperature`/);
  });
});
