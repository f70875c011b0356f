/**
 * Where the daemon's SecretScrubber (src/domain/secrets.ts) gets its values, one source each:
 * `providers` (every provider's `api_key` or the env var its `api_key_env` names), `jwt` (the access
 * token key, generated here when the environment gives none), `database` (the password of
 * `[database] url`), `mcp` (secret `env` values of the system MCP servers of the snapshot being served,
 * `${VAR}` references expanded from the daemon's environment) and `row:ID` (credentials of one
 * user-tier tool or MCP server row, learned whenever a row is written or read from the store, so rows
 * created at run time or before a restart are covered before they are used).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AresConfig } from '../config/ares-toml.js';
import type { ConfigSnapshot } from '../config/snapshot.js';
import type { McpServer, Tool } from '../domain/entities.js';
import { SECRET_NAME, SecretScrubber, secretConfigValues, secretEnvValues } from '../domain/secrets.js';
import type { UserEntity, UserEntityKind } from '../domain/users.js';
import { urlPasswords } from '../store/database-url.js';
import type { UserEntityStore } from '../store/types.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Every configured provider key (inline or from its env var). */
export function providerKeys(providers: AresConfig['providers'], env: Env): string[] {
  return Object.values(providers)
    .flatMap((p) => [p.api_key, p.api_key_env ? env[p.api_key_env] : undefined])
    .filter((v): v is string => !!v);
}

/** A scrubber knowing every configured provider key (source `providers`), for the logger and all output. */
export function configuredSecrets(config: Pick<AresConfig, 'providers'>, env: Env): SecretScrubber {
  const secrets = new SecretScrubber();
  secrets.set('providers', providerKeys(config.providers, env));
  return secrets;
}

/**
 * The HS256 key for access tokens (SPEC §6), registered in `secrets` (source `jwt`): the env secret
 * when set; otherwise (loopback only: the start refuses other bindings without it) a random 32-byte
 * key generated once and kept in `DATA_DIR/jwt-secret` with mode 0600, so tokens survive restarts.
 * @throws the file system's error when `dataDir` or the key file cannot be created or read.
 */
export function jwtSecret(fromEnv: string | undefined, dataDir: string, secrets: SecretScrubber): Uint8Array {
  const key = fromEnv || keyFile(dataDir);
  secrets.set('jwt', [key]);
  return new TextEncoder().encode(key);
}

/** The generated key of `jwtSecret`, created (0600, in a 0700 directory) when missing. */
function keyFile(dataDir: string): string {
  const file = resolve(dataDir, 'jwt-secret');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

/** Secret values of one MCP server: its secret `env` values (expanded from `env`) and credentials in its `url`. */
export function mcpSecrets(server: Pick<McpServer, 'env' | 'url'>, env: Env): string[] {
  const raw = server.env ?? {};
  const expanded = Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string) => env[name] ?? m)]),
  );
  return [...secretEnvValues(raw, expanded), ...urlSecrets(server.url)];
}

/** The password of a URL's userinfo and its query values under secret-looking names. */
function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const u = new URL(url);
    const query = [...u.searchParams].filter(([k]) => SECRET_NAME.test(k)).map(([, v]) => v);
    return [...(u.password ? [decodeURIComponent(u.password)] : []), ...query];
  } catch {
    return [];
  }
}

/**
 * Secret values of the `[database] url`, source `database`: its password both decoded and as written
 * (`%2F` and all, as the URL itself would show it) and secret-named query values; none for SQLite.
 */
export function databaseSecrets(url: string | undefined): string[] {
  if (!url) return [];
  return [...new Set([...urlPasswords(url), ...urlSecrets(url)])];
}

/** Secret values of a user-tier row: tool `config` under secret keys, MCP server env and url credentials. */
export function rowSecrets(kind: UserEntityKind, value: unknown, env: Env): string[] {
  if (kind === 'tools') return secretConfigValues((value as Tool).config);
  if (kind === 'mcps') return mcpSecrets(value as McpServer, env);
  return [];
}

/** Register the secret env values of every MCP server in `snapshot` (source `mcp`, replaced on each call). */
export function learnSystemMcp(secrets: SecretScrubber, snapshot: ConfigSnapshot, env: Env): void {
  secrets.set(
    'mcp',
    [...snapshot.mcps.values()].flatMap((m) => mcpSecrets(m.value, env)),
  );
}

/**
 * `rows` with every tool and MCP server row it returns or writes registered in `secrets` (source
 * `row:ID`, replaced when the row changes). Agent rows carry no credentials and pass through.
 */
export function learningRows(rows: UserEntityStore, secrets: SecretScrubber, env: Env): UserEntityStore {
  const learn = <R extends UserEntity | undefined>(kind: UserEntityKind, row: R): R => {
    if (row && kind !== 'agents') secrets.set(`row:${row.id}`, rowSecrets(kind, row.value, env));
    return row;
  };
  return {
    ...rows,
    own: async (kind, userId, name) => learn(kind, await rows.own(kind, userId, name)),
    published: async (kind, handle, name) => learn(kind, await rows.published(kind, handle, name)),
    visible: async (kind, userId) => (await rows.visible(kind, userId)).map((r) => learn(kind, r)),
    insert: async (kind, userId, value, isPublic) => learn(kind, await rows.insert(kind, userId, value, isPublic)),
    update: async (kind, userId, name, value, isPublic) => learn(kind, await rows.update(kind, userId, name, value, isPublic)),
  };
}
