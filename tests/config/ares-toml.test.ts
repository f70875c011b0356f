import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAresConfig, parseAresConfig } from '../../src/config/ares-toml.js';
import { DomainError } from '../../src/domain/errors.js';
import { tempDir } from '../helpers/tmp.js';

describe('ares.toml', () => {
  it('uses the SPEC §2 defaults when the file is missing', () => {
    const cfg = loadAresConfig(join(tempDir('cx-'), 'ares.toml'), {});
    expect(cfg.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      shutdown_grace_ms: 10000,
      allowed_hosts: [],
      cors_origins: [],
      request_timeout_ms: 30000,
      headers_timeout_ms: 10000,
      max_connections: 1024,
      trusted_proxies: [],
    });
    expect(cfg.database).toEqual({ path: 'data/ares.db', pool_size: 10 });
    expect(cfg.defaults.model).toBe('balanced');
    expect(Object.keys(cfg.providers).sort()).toEqual(['offline', 'ollama', 'openai']);
    expect(cfg.providers.openai?.api_key_env).toBe('OPENAI_API_KEY');
  });

  it('validates the browser boundary and listener keys of [server], located', () => {
    const cfg = parseAresConfig('[server]\nallowed_hosts = ["caxton.lan", "10.0.0.5:8080", "[fd00::1]"]\ncors_origins = ["https://app.example.com"]\n');
    expect(cfg.server.allowed_hosts).toEqual(['caxton.lan', '10.0.0.5:8080', '[fd00::1]']);
    expect(cfg.server.cors_origins).toEqual(['https://app.example.com']);
    const problem = (text: string) => {
      try {
        parseAresConfig(text);
      } catch (e) {
        return (e as DomainError).message;
      }
      return 'accepted';
    };
    expect(problem('[server]\nallowed_hosts = ["http://caxton.lan/"]\n')).toMatch(/^ares\.toml:2:\d+: .*not a host name/);
    expect(problem('[server]\ncors_origins = ["null"]\n')).toMatch(/^ares\.toml:2:\d+: .*not an origin/);
    expect(problem('[server]\ncors_origins = ["https://app.example.com/path"]\n')).toMatch(/not an origin/);
    expect(problem('[server]\nrequest_timeout_ms = 5000\nheaders_timeout_ms = 6000\n')).toMatch(/headers_timeout_ms must not exceed request_timeout_ms/);
    expect(problem('[server]\nmax_connections = 0\n')).toMatch(/^ares\.toml:2:\d+: /);
  });

  it('takes trusted proxies as addresses, CIDR ranges and address classes, and locates a bad entry with a hint', () => {
    const good = ['10.0.0.5', '10.0.0.0/8', '172.16.0.0/255.240.0.0', 'fd00::/8', '::1', 'loopback', 'linklocal', 'uniquelocal'];
    expect(parseAresConfig(`[server]\ntrusted_proxies = ${JSON.stringify(good)}\n`).server.trusted_proxies).toEqual(good);
    for (const bad of ['lb.example.com', '10.0.0.0/33', '']) {
      try {
        parseAresConfig(`[server]\nport = 8080\ntrusted_proxies = ["127.0.0.1", "${bad}"]\n`);
        expect.unreachable();
      } catch (e) {
        expect((e as Error).message).toMatch(/^ares\.toml:3:1: E_VALUE `server\.trusted_proxies\.1` not an IP address, CIDR range or address class/);
        expect((e as DomainError).details[0]).toMatchObject({ field: 'server.trusted_proxies.1', line: 3, hint: expect.stringContaining('caxton schema') });
      }
    }
  });

  it('reports a syntax error as ares.toml:LINE:COL', () => {
    const err = (() => {
      try {
        parseAresConfig('[server]\nport = = 1\n');
      } catch (e) {
        return e as DomainError;
      }
    })();
    expect(err).toBeInstanceOf(DomainError);
    expect(err!.message).toMatch(/^ares\.toml:2:\d+: E_SYNTAX /);
    expect(err!.details[0]).toMatchObject({ line: 2, code: 'E_SYNTAX' });
  });

  it('locates schema errors and suggests the right key', () => {
    try {
      parseAresConfig('[server]\nhost = "127.0.0.1"\nprot = 9000\n');
      expect.unreachable();
    } catch (e) {
      const err = e as DomainError;
      expect(err.message).toMatch(/^ares\.toml:3:1: E_UNKNOWN_FIELD/);
      expect(err.details[0]!.hint).toContain('port');
    }
  });

  it('rejects a wrong type with the field and line', () => {
    expect(() => parseAresConfig('[server]\nport = "eighty"\n')).toThrow(/ares\.toml:2:1: E_TYPE `server\.port`/);
  });

  it('applies env overrides after the file and rejects bad values', () => {
    const dir = tempDir('cx-');
    writeFileSync(join(dir, 'ares.toml'), '[server]\nport = 9000\n');
    const cfg = loadAresConfig(join(dir, 'ares.toml'), { CAXTON_PORT: '9100', CAXTON_HOST: '0.0.0.0', CAXTON_LOG_LEVEL: 'debug' });
    expect(cfg.server.port).toBe(9100);
    expect(cfg.server.host).toBe('0.0.0.0');
    expect(cfg.logging.level).toBe('debug');
    expect(() => loadAresConfig(join(dir, 'ares.toml'), { CAXTON_PORT: 'x' })).toThrow(/CAXTON_PORT=x/);
  });

  it('[logging] destination is file (rotated), stdout or syslog, overridden by CAXTON_LOG_DESTINATION; anything else is located', () => {
    expect(parseAresConfig('').logging).toEqual({
      level: 'info',
      destination: 'file',
      max_file_bytes: 10_485_760,
      max_files: 5,
      syslog_address: 'udp://127.0.0.1:514',
      syslog_facility: 3,
    });
    expect(parseAresConfig('[logging]\ndestination = "stdout"\n').logging.destination).toBe('stdout');
    expect(parseAresConfig('[logging]\ndestination = "syslog"\nsyslog_address = "tcp://[::1]:6514"\n').logging).toMatchObject({
      destination: 'syslog',
      syslog_address: 'tcp://[::1]:6514',
    });
    expect(() => parseAresConfig('[logging]\ndestination = "journal"\n')).toThrow(/^ares\.toml:2:\d+: .*(file|stdout|syslog)/);
    expect(() => parseAresConfig('[logging]\nsyslog_address = "127.0.0.1:514"\n')).toThrow(/^ares\.toml:2:\d+: .*udp:\/\/HOST:PORT/);
    const dir = tempDir('cx-');
    writeFileSync(join(dir, 'ares.toml'), '[logging]\nmax_files = 2\n');
    expect(loadAresConfig(join(dir, 'ares.toml'), { CAXTON_LOG_DESTINATION: 'stdout' }).logging).toMatchObject({ destination: 'stdout', max_files: 2 });
    expect(() => loadAresConfig(join(dir, 'ares.toml'), { CAXTON_LOG_DESTINATION: 'journal' })).toThrow(
      /CAXTON_LOG_DESTINATION=journal: must be one of file, stdout, syslog/,
    );
  });

  it('takes a PostgreSQL [database] url, overridden by CAXTON_DATABASE_URL, and locates a bad one without echoing it', () => {
    const dir = tempDir('cx-');
    writeFileSync(join(dir, 'ares.toml'), '[database]\nurl = "postgresql://app:pw-in-file@db1:5432/caxton"\npool_size = 4\n');
    expect(loadAresConfig(join(dir, 'ares.toml'), {}).database).toMatchObject({ url: 'postgresql://app:pw-in-file@db1:5432/caxton', pool_size: 4 });
    const fromEnv = loadAresConfig(join(dir, 'ares.toml'), { CAXTON_DATABASE_URL: 'postgres://app@db2/caxton' });
    expect(fromEnv.database.url).toBe('postgres://app@db2/caxton');
    expect(parseAresConfig('[database]\nurl = "postgres:///caxton?host=/run/postgresql"\n').database.url).toContain('/run/postgresql');

    for (const bad of ['mysql://u:pw-secret@db/x', 'postgres://', 'not a url pw-secret']) {
      try {
        parseAresConfig(`[database]\npath = "data/ares.db"\nurl = "${bad}"\n`);
        expect.unreachable();
      } catch (e) {
        expect((e as Error).message).toMatch(/^ares\.toml:3:1: E_VALUE `database\.url`.*postgres:\/\/USER:PASSWORD@HOST/);
        expect((e as DomainError).details[0]?.hint).toBeTruthy();
        expect(JSON.stringify({ m: (e as Error).message, d: (e as DomainError).details })).not.toContain('pw-secret');
      }
    }
    expect(() => parseAresConfig('[database]\npool_size = 0\n')).toThrow(/ares\.toml:2:1: .*database\.pool_size/);
    try {
      loadAresConfig(join(dir, 'ares.toml'), { CAXTON_DATABASE_URL: 'http://u:pw-secret@db/x' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/^CAXTON_DATABASE_URL: not a PostgreSQL URL/);
      expect((e as DomainError).details[0]?.hint).toMatch(/unset CAXTON_DATABASE_URL/);
      expect((e as Error).message).not.toContain('pw-secret');
    }
  });

  it('keeps an inline api_key out of error messages', () => {
    try {
      parseAresConfig('[providers.openai]\ntype = "openai"\napi_key = "sk-secret-123456"\ntimeout_ms = -1\n');
      expect.unreachable();
    } catch (e) {
      expect(JSON.stringify({ m: (e as Error).message, d: (e as DomainError).details })).not.toContain('sk-secret');
    }
  });
});
