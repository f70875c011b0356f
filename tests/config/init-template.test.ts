/**
 * The commented ares.toml that `caxton init` writes (src/config/init.ts `aresTomlTemplate`): it parses,
 * it states exactly the built-in defaults (so editing a value is the only way to change behaviour),
 * and it names every key of every section, including the keys added with the runtime and tenancy work
 * (`[tools] deny`, `[runtime] max_*_runs_per_agent`, `[auth] *_token_ttl_secs`).
 */
import { describe, expect, it } from 'vitest';
import { parseAresConfig } from '../../src/config/ares-toml.js';
import { aresTomlTemplate } from '../../src/config/init.js';

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
