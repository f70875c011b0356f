/**
 * The secret scrubber (src/domain/secrets.ts): values, not patterns; which env and config entries
 * count as secrets; sources replaced as configuration changes.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, SecretScrubber, secretConfigValues, secretEnvValues } from '../../src/domain/secrets.js';

describe('SecretScrubber', () => {
  it('removes configured values wherever they sit, and leaves secret-looking text it was not given', () => {
    const s = new SecretScrubber(['9f8e7d6c5b4a']);
    expect(s.scrub('upstream said: bad header Bearer 9f8e7d6c5b4a (x9f8e7d6c5b4ax)')).toBe(`upstream said: bad header Bearer ${REDACTED} (x${REDACTED}x)`);
    expect(s.scrub('sk-abcdefghijklmnopqrstuv is not ours')).toBe('sk-abcdefghijklmnopqrstuv is not ours');
  });

  it('ignores values too short to be secrets, so ordinary words survive', () => {
    const s = new SecretScrubber(['true', '8080', '']);
    expect(s.empty).toBe(true);
    expect(s.scrub('listening on 8080: true')).toBe('listening on 8080: true');
  });

  it('replaces the longer of two overlapping values whole, and finds values as JSON escapes them', () => {
    const s = new SecretScrubber(['abcdefgh', 'abcdefgh-longer', 'pa"ss\\word!']);
    expect(s.scrub('abcdefgh-longer / abcdefgh')).toBe(`${REDACTED} / ${REDACTED}`);
    const body = JSON.stringify({ error: { message: 'echo: pa"ss\\word!' } });
    expect(JSON.parse(s.scrub(body))).toEqual({ error: { message: `echo: ${REDACTED}` } });
  });

  it('replaces one source at a time: a rotated value stops being scrubbed, the new one starts', () => {
    const s = new SecretScrubber();
    s.set('row:1', ['first-token-1']);
    s.set('jwt', ['jwt-secret-value']);
    s.set('row:1', ['second-token-2']);
    expect(s.scrub('first-token-1 second-token-2 jwt-secret-value')).toBe(`first-token-1 ${REDACTED} ${REDACTED}`);
    s.set('row:1', []);
    expect(s.scrub('second-token-2')).toBe('second-token-2');
  });
});

describe('which values are secrets', () => {
  it('MCP env: names like KEY/TOKEN/SECRET/PASSWORD, or values referencing such a variable; not paths or modes', () => {
    const raw = {
      GITHUB_TOKEN: 'ghp_0123456789',
      DB_PASSWORD: 'correct-horse',
      UPSTREAM: '${API_KEY}',
      ROOT: '/srv/data/files',
      NODE_ENV: 'production',
      SHORT_KEY: 'abc',
    };
    const expanded = { ...raw, UPSTREAM: 'from-the-daemon-env' };
    expect(secretEnvValues(raw, expanded).sort()).toEqual(['correct-horse', 'from-the-daemon-env', 'ghp_0123456789']);
  });

  it('tool config: every string under a secret-looking key, nested ones included', () => {
    const config = {
      url: 'https://crm.example.com',
      api_key: 'crm-key-123456',
      auth: { client_secret: 'cs-abcdefgh', scopes: ['read-all-things'] },
      credentials: ['cred-one-111', 'cred-two-222'],
    };
    expect(secretConfigValues(config).sort()).toEqual(['cred-one-111', 'cred-two-222', 'crm-key-123456', 'cs-abcdefgh']);
  });
});
