/**
 * The rate-limit and run-limit keys of ares.toml: `[limits] requests_per_minute` (off by default),
 * per-user quotas under `[limits.users."EMAIL"]`, and the per-run limits of `[runtime]`; bad values
 * are refused with the key and line that are wrong.
 */
import { describe, expect, it } from 'vitest';
import { parseAresConfig } from '../../src/config/ares-toml.js';

describe('[limits] and [runtime] run limits', () => {
  it('rate limits are off by default; loop detection is on at 3', () => {
    const cfg = parseAresConfig('');
    expect(cfg.limits).toMatchObject({ requests_per_minute: 0, users: {} });
    expect(cfg.runtime).toMatchObject({ repeat_tool_call_limit: 3 });
    expect(cfg.runtime.max_run_seconds).toBeUndefined();
  });

  it('reads a default quota, per-user quotas and per-run limits', () => {
    const cfg = parseAresConfig(
      '[limits]\nrequests_per_minute = 60\n\n[limits.users."alice@example.com"]\nrequests_per_minute = 600\n\n' +
        '[runtime]\nmax_run_seconds = 30\nmax_tokens_per_run = 50000\nmax_tool_calls_per_run = 20\nrepeat_tool_call_limit = 4\n',
    );
    expect(cfg.limits).toMatchObject({ requests_per_minute: 60, users: { 'alice@example.com': { requests_per_minute: 600 } } });
    expect(cfg.runtime).toMatchObject({ max_run_seconds: 30, max_tokens_per_run: 50000, max_tool_calls_per_run: 20, repeat_tool_call_limit: 4 });
  });

  it('refuses a per-user quota that is not under an email, a negative quota, and a loop limit below 2', () => {
    expect(() => parseAresConfig('[limits.users.alice]\nrequests_per_minute = 5\n')).toThrow(/limits\.users/);
    expect(() => parseAresConfig('[limits]\nrequests_per_minute = -1\n')).toThrow(/limits\.requests_per_minute/);
    expect(() => parseAresConfig('[runtime]\nrepeat_tool_call_limit = 1\n')).toThrow(/runtime\.repeat_tool_call_limit/);
  });
});
