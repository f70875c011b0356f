/**
 * Where the daemon's scrubber learns secret values (src/daemon/secrets.ts): provider keys, MCP env
 * and URL credentials, the database URL's password (known before the database is reached, so a
 * failed start never shows it), and user-tier rows as they are written, changed and read from a
 * real store.
 */
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AresConfigSchema } from '../../src/config/ares-toml.js';
import { learningRows, mcpSecrets, providerKeys } from '../../src/daemon/secrets.js';
import { buildServices } from '../../src/daemon/services.js';
import { pathsFor } from '../../src/ipc/paths.js';
import { closedPort } from '../helpers/cli.js';
import { REDACTED, SecretScrubber } from '../../src/domain/secrets.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { tempDir } from '../helpers/tmp.js';

describe('daemon secret sources', () => {
  it('provider keys come inline or from the named variable; unset variables add nothing', () => {
    const providers = {
      a: { type: 'openai', api_key_env: 'A_KEY' },
      b: { type: 'openai', api_key: 'inline-key-123' },
      c: { type: 'openai', api_key_env: 'UNSET' },
    } as never;
    expect(providerKeys(providers, { A_KEY: 'from-env-key-1' })).toEqual(['from-env-key-1', 'inline-key-123']);
  });

  it('MCP servers: secret env values (expanded) and credentials in the url', () => {
    const server = { env: { TOKEN: '${GH}', ROOT: '/srv/files/x' }, url: 'https://bot:p%40ssw0rd!!@mcp.example.com/mcp?api_key=q-secret-123&page=12345678' };
    expect(mcpSecrets(server, { GH: 'ghp_expanded_1' }).sort()).toEqual(['ghp_expanded_1', 'p@ssw0rd!!', 'q-secret-123']);
  });

  it('the database password is scrubbed from the moment the daemon tries to reach the database', async () => {
    const secrets = new SecretScrubber();
    const url = `postgres://caxton:db-pass%2Fword-1@127.0.0.1:${await closedPort()}/caxton`;
    const config = AresConfigSchema.parse({ database: { url } });
    await expect(buildServices(config, pathsFor(tempDir('cx-db-')), pino({ level: 'silent' }), { secrets, env: {} })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    expect(secrets.scrub(`connect to ${url} as db-pass/word-1 failed`)).toBe(`connect to ${url.replace('db-pass%2Fword-1', REDACTED)} as ${REDACTED} failed`);
  });

  it('user rows are learned when written, replaced when changed, and learned when read after a restart', async () => {
    const path = join(tempDir('cx-sec-'), 'ares.db');
    let store = openSqliteStore(path);
    const secrets = new SecretScrubber();
    const rows = learningRows(store.tenants.entities, secrets, {});
    const tool = (key: string) => ({
      name: 'crm',
      enabled: true,
      timeout_secs: 30,
      type: 'http' as const,
      config: { url: 'https://crm.example.com', api_key: key },
    });
    await rows.insert('tools', 'local', tool('first-key-111'), false);
    expect(secrets.scrub('first-key-111')).toBe(REDACTED);
    await rows.update('tools', 'local', 'crm', tool('second-key-222'));
    expect(secrets.scrub('first-key-111 second-key-222')).toBe(`first-key-111 ${REDACTED}`);
    await store.close();

    store = openSqliteStore(path);
    const fresh = new SecretScrubber();
    const reopened = learningRows(store.tenants.entities, fresh, {});
    expect(fresh.scrub('second-key-222')).toBe('second-key-222');
    await reopened.own('tools', 'local', 'crm');
    expect(fresh.scrub('second-key-222')).toBe(REDACTED);
    await store.close();
  });
});
