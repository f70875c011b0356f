/**
 * The commented ares.toml that `caxton init` writes (src/config/init.ts `aresTomlTemplate`): it parses,
 * it states exactly the built-in defaults (so editing a value is the only way to change behaviour),
 * and it names every key of every section, including the keys added with the runtime and tenancy work
 * (`[tools] deny`, `[runtime] max_*_runs_per_agent`, `[auth] *_token_ttl_secs`). Without
 * `--provider`, init points the shipped models at OpenAI when OPENAI_API_KEY is set, else at the
 * offline demo provider (a model on a provider that cannot serve fails every run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from '@toon-format/toon';
import { describe, expect, it } from 'vitest';
import { parseAresConfig } from '../../src/config/ares-toml.js';
import { aresTomlTemplate, initHome } from '../../src/config/init.js';
import { tempDir } from '../helpers/tmp.js';

describe('caxton init ares.toml template', () => {
  const text = aresTomlTemplate();
  const parsed = parseAresConfig(text);
  const defaults = parseAresConfig('');

  it('parses and holds the defaults, section by section', () => {
    const { providers: _p, ...rest } = parsed;
    const { providers: _d, ...restDefaults } = defaults;
    expect(rest).toEqual(restDefaults);
    expect(Object.keys(parsed.providers).sort()).toEqual(['offline', 'ollama', 'openai']);
  });

  it('writes out every key of every section (nothing left to guess)', () => {
    const sections = Object.entries(defaults).filter(([name]) => name !== 'providers') as [string, Record<string, unknown>][];
    for (const [section, keys] of sections) {
      const body = text.split(`[${section}]\n`)[1]?.split(/\n\[/)[0];
      expect(body, `[${section}] missing`).toBeDefined();
      for (const key of Object.keys(keys)) expect(body, `[${section}] ${key}`).toMatch(new RegExp(`^${key} = `, 'm'));
    }
  });

  it('documents the tools policy, run limits and token lifetimes with comments', () => {
    for (const key of ['deny', 'max_concurrent_runs_per_agent', 'max_queued_runs_per_agent', 'max_queued_runs', 'max_concurrent_runs', 'access_token_ttl_secs', 'refresh_token_ttl_secs']) {
      expect(text).toMatch(new RegExp(`^${key} = .*# \\S`, 'm'));
    }
  });
});

describe('caxton init default provider', () => {
  const providerOf = (home: string) => (decode(readFileSync(join(home, 'config/models/balanced.toon'), 'utf8')) as { provider: string }).provider;

  it('is openai with OPENAI_API_KEY set, else offline; --provider wins', () => {
    const withKey = tempDir('cx-init-');
    expect(initHome(withKey, { env: { OPENAI_API_KEY: 'sk-test' } }).provider).toBe('openai');
    expect(providerOf(withKey)).toBe('openai');
    const without = tempDir('cx-init-');
    expect(initHome(without, { env: {} }).provider).toBe('offline');
    expect(providerOf(without)).toBe('offline');
    const chosen = tempDir('cx-init-');
    expect(initHome(chosen, { env: {}, provider: 'ollama' }).provider).toBe('ollama');
    expect(providerOf(chosen)).toBe('ollama');
  });
});
