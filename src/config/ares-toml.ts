/**
 * `ares.toml`: infrastructure settings (SPEC §2). Read once at daemon start (a change needs a restart).
 * Missing file = defaults; env overrides `CAXTON_PORT`, `CAXTON_HOST`, `CAXTON_LOG_LEVEL`,
 * `CAXTON_LOG_DESTINATION`, `CAXTON_DATABASE_URL`; a syntax or
 * schema error is a DomainError('CONFIG_INVALID') whose message starts with `ares.toml:LINE:COL:`.
 */
import { readFileSync } from 'node:fs';
import proxyaddr from 'proxy-addr';
import { parse, TomlError } from 'smol-toml';
import { z } from 'zod';
import { BudgetLimitsSchema } from '../domain/budgets.js';
import { DomainError, type ErrorDetail } from '../domain/errors.js';
import { NAME_PATTERN } from '../domain/names.js';
import { ProviderConfigSchema, type ProviderConfig } from '../domain/providers.js';
import { isHostPattern, isLoopbackName, normalizeOrigin, parseHost } from '../domain/web-origin.js';
import { knownKeysFor, zodIssuesToDetails } from './diagnostics.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const LOG_DESTINATIONS = ['file', 'stdout', 'syslog'] as const;
/** `[logging] syslog_address`: a syslog server over UDP or TCP (`udp://HOST:PORT`, `tcp://[::1]:514`). */
const SYSLOG_ADDRESS = /^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/;

/** What `[database] url` and `CAXTON_DATABASE_URL` must be; the value itself is never echoed (it may hold a password). */
const DATABASE_URL_RULE =
  'not a PostgreSQL URL: use postgres://USER:PASSWORD@HOST:PORT/DATABASE (or postgresql://...), or leave `url` out to use SQLite at `path`';

/** True for a parsable `postgres://` or `postgresql://` URL naming a host (in the authority or as `?host=/socket/dir`). */
export function isDatabaseUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && (u.hostname !== '' || u.searchParams.has('host'));
  } catch {
    return false;
  }
}

/** What each `[server] trusted_proxies` entry must be. */
const TRUSTED_PROXY_RULE =
  'not an IP address, CIDR range or address class: use e.g. "10.0.0.5", "10.0.0.0/8", "fd00::/8", "loopback", "linklocal" or "uniquelocal"';

/** True when `proxy-addr` accepts `entry` as a trusted proxy: an IPv4/IPv6 address, a CIDR range (or address/netmask), or `loopback`, `linklocal`, `uniquelocal`. */
export function isTrustedProxyEntry(entry: string): boolean {
  try {
    proxyaddr.compile(entry);
    return true;
  } catch {
    return false;
  }
}

/** The whole of ares.toml with defaults applied (SPEC §2). */
export const AresConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** How long in-flight requests may run after SIGTERM/SIGINT before they are cancelled (ms). */
        shutdown_grace_ms: z.number().int().min(0).default(10_000),
        /**
         * Host names (or addresses) the HTTP API answers to besides loopback (`localhost`, `127.x.x.x`,
         * `[::1]`) and the bind address, e.g. `["caxton.lan", "192.168.1.20:8080"]`; without a port any
         * port matches. Other `Host` headers get 421 (this stops DNS rebinding by web pages, SPEC §6).
         */
        allowed_hosts: z.array(z.string().refine(isHostPattern, 'not a host name or address (optionally with :PORT)')).default([]),
        /**
         * Web origins (`scheme://host[:port]`) that may use the API from a browser: their
         * state-changing requests are served and they get CORS headers. Other origins' state-changing
         * requests get 403 and no origin gets CORS headers (SPEC §6).
         */
        cors_origins: z.array(z.string().refine((o) => normalizeOrigin(o) === o.replace(/\/$/, ''), 'not an origin like https://app.example.com')).default([]),
        /** Time a client has to send a whole request, headers and body (ms); slower ones get 408. Responses, streams included, are not limited. */
        request_timeout_ms: z.number().int().min(100).default(30_000),
        /** Time a client has to send the request headers (ms); at most `request_timeout_ms`. */
        headers_timeout_ms: z.number().int().min(100).default(10_000),
        /** Open TCP connections served at once; further connections are closed until some end. */
        max_connections: z.number().int().min(1).default(1024),
        /**
         * Reverse proxies (load balancers) whose `X-Forwarded-For` is believed: IP addresses, CIDR
         * ranges (`10.0.0.0/8`) or `loopback`, `linklocal`, `uniquelocal`. A request from one of them
         * is counted against the address the header names (the nearest one not itself trusted) by the
         * per-address limits and logs; from any other peer the header is ignored. Default: none.
         */
        trusted_proxies: z.array(z.string().refine(isTrustedProxyEntry, TRUSTED_PROXY_RULE)).default([]),
      })
      .strict()
      .refine((s) => s.headers_timeout_ms <= s.request_timeout_ms, { message: 'headers_timeout_ms must not exceed request_timeout_ms', path: ['headers_timeout_ms'] })
      .prefault({}),
    /**
     * Where the daemon keeps its data: the SQLite file `path` (relative to the home), or, when `url`
     * is set (env `CAXTON_DATABASE_URL` overrides it), the PostgreSQL database it names, shared by
     * every node, with `pool_size` connections per daemon.
     */
    database: z
      .object({
        path: z.string().min(1).default('data/ares.db'),
        /** PostgreSQL connection URL, `postgres://USER:PASSWORD@HOST:PORT/DB` (or `postgresql://`); absent: SQLite at `path`. */
        url: z.string().refine(isDatabaseUrl, DATABASE_URL_RULE).optional(),
        /** PostgreSQL connections per daemon (ignored with SQLite). */
        pool_size: z.number().int().min(1).default(10),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        required: z.boolean().default(false),
        jwt_secret_env: z.string().min(1).default('ARES_JWT_SECRET'),
        /** Lifetime of access JWTs (seconds). */
        access_token_ttl_secs: z.number().int().min(10).max(86_400).default(900),
        /** Lifetime of single-use refresh tokens (seconds, default 30 days). */
        refresh_token_ttl_secs: z.number().int().min(60).default(2_592_000),
      })
      .strict()
      .prefault({}),
    defaults: z.object({ model: z.string().regex(NAME_PATTERN).default('balanced') }).strict().prefault({}),
    providers: z
      .record(z.string().regex(NAME_PATTERN, 'provider names follow the entity name rule'), ProviderConfigSchema)
      .default(() => defaultProviders()),
    /**
     * The daemon log (JSON lines; each line of a request or run carries `request_id` and
     * `execution_id`). `destination`: `file` writes `logs/caxton.log` (read it with `caxton server
     * logs`), rotated when it would pass `max_file_bytes` (bytes), keeping `max_files` rotated files
     * (`caxton.log.1` newest); `stdout` writes to standard output only (systemd's journald, containers);
     * `syslog` sends RFC 5424 messages (the JSON line as the message) to the syslog server at
     * `syslog_address` (`udp://HOST:PORT` or `tcp://HOST:PORT`) with facility `syslog_facility`
     * (0-23, default 3 = daemon) and app name `caxton`.
     */
    logging: z
      .object({
        level: z.enum(LOG_LEVELS).default('info'),
        destination: z.enum(LOG_DESTINATIONS).default('file'),
        max_file_bytes: z.number().int().min(65_536).default(10_485_760),
        max_files: z.number().int().min(0).max(100).default(5),
        syslog_address: z
          .string()
          .regex(SYSLOG_ADDRESS, 'must be udp://HOST:PORT or tcp://HOST:PORT, e.g. udp://127.0.0.1:514')
          .default('udp://127.0.0.1:514'),
        syslog_facility: z.number().int().min(0).max(23).default(3),
      })
      .strict()
      .prefault({}),
    /**
     * Request limits. `max_body_bytes`: larger request bodies get 413. `requests_per_minute`: requests
     * per minute per user, per API key and per client address over TCP (token buckets holding one
     * minute's worth, counted per daemon node; 0, the default, turns them off; the control socket and
     * the `/health*` and `/metrics` probes are exempt); beyond it requests get 429 with `Retry-After`.
     * `[limits.users."EMAIL"] requests_per_minute` sets one user's own quota instead. Budgets
     * (src/domain/budgets.ts): `usd_per_day`, `usd_per_month`, `tokens_per_day`, `tokens_per_month`
     * are every user's default budget (UTC periods; absent = unlimited; the admin overrides them per
     * user), and `[limits.api_key]` with the same keys is the budget of each API key.
     */
    limits: z
      .object({
        max_body_bytes: z.number().int().positive().default(1_048_576),
        ...BudgetLimitsSchema.shape,
        api_key: BudgetLimitsSchema.prefault({}),
        requests_per_minute: z.number().int().min(0).max(1_000_000).default(0),
        users: z
          .record(z.email('must be an email address'), z.object({ requests_per_minute: z.number().int().min(0).max(1_000_000) }).strict())
          .default({}),
      })
      .strict()
      .prefault({}),
    /**
     * Tools policy: `deny` lists tool references no agent may call, whatever its `tools[]`
     * says (`http_fetch`, `everything.echo`, `everything.*`); checked when a tool is offered and again
     * when it is called.
     */
    tools: z.object({ deny: z.array(z.string().min(1)).default([]) }).strict().prefault({}),
    /**
     * Runtime limits (SPEC §7 isolation): `max_concurrent_runs_per_agent` runs of one agent at a time
     * (more wait in a queue of at most `max_queued_runs_per_agent`) and `max_concurrent_runs` runs of
     * all agents together (more wait in the global queue); at most `max_queued_runs` wait across all
     * agents. Beyond any bound requests are refused at once with 503 and `Retry-After` (load shedding).
     * Per-run limits end a run in a stated state (docs/finish-reasons.md).
     */
    runtime: z
      .object({
        max_concurrent_runs_per_agent: z.number().int().min(1).max(1000).default(8),
        max_queued_runs_per_agent: z.number().int().min(0).max(100_000).default(256),
        max_queued_runs: z.number().int().min(0).max(1_000_000).default(1024),
        max_concurrent_runs: z.number().int().min(1).max(100_000).default(64),
        /** Longest a run may take once admitted (seconds); it then ends with `finish_reason = "timeout"`. Agents may set their own. Default: none. */
        max_run_seconds: z.number().positive().max(86_400).optional(),
        /** Tokens (input + output, every model call) after which a run asks for no more tools (`finish_reason = "length"`). Agents may set their own. Default: none. */
        max_tokens_per_run: z.number().int().positive().optional(),
        /** Tool calls one run may make; more end it with `finish_reason = "max_iterations"`. Agents may set their own. Default: none. */
        max_tool_calls_per_run: z.number().int().positive().optional(),
        /** The same tool with the same arguments this many times in one run ends it with `finish_reason = "loop_detected"`. */
        repeat_tool_call_limit: z.number().int().min(2).max(1000).default(3),
        /**
         * Record a step-by-step trace of every run (prompt, variables, messages, model and tool calls, end) and store it with
         * the execution (`GET /api/executions/:id/trace`, `caxton run trace ID`; docs/testing.md). A request's `trace` says otherwise for its run.
         */
        trace: z.boolean().default(false),
        /** Sub-agent hops below a request's first run (agents' `agents[]`); a deeper delegation is refused with a stated tool error. */
        max_delegation_depth: z.number().int().min(1).max(32).default(3),
        /** Runs under one request, the first included (sub-agent runs count); a delegation past it is refused with a stated tool error. */
        max_runs_per_request: z.number().int().min(1).max(10_000).default(25),
      })
      .strict()
      .prefault({}),
    /**
     * MCP policy (SSRF guard, src/tools/net-policy.ts): with `allow_private_urls = false` (the
     * default), Streamable HTTP MCP servers of non-admin users may only reach public addresses: loopback, private,
     * link-local (169.254.x.x, cloud metadata) and similar URLs are refused when the server is created
     * or updated (400, field `url`) and again at every connect, on the addresses DNS gives then.
     * Servers in config/mcps/ and rows of admin users are trusted. `default_memory_mb`: the memory
     * limit (MiB, RLIMIT_DATA through prlimit) of stdio servers that set no `memory_mb`; default none.
     */
    mcp: z
      .object({ allow_private_urls: z.boolean().default(false), default_memory_mb: z.number().int().min(16).max(1_048_576).optional() })
      .strict()
      .prefault({}),
    /**
     * `caxton test` (docs/testing.md): `judge_model` names the model (a config/models entity) that
     * grades `judge` expectations of scenario files; unset, those expectations are skipped with a note.
     */
    test: z
      .object({
        /** Model alias that grades `expect.judge` rubrics (answers PASS or FAIL with a reason). */
        judge_model: z.string().min(1).max(200).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Semantic memory (docs/memory.md): `embedder` names what turns memory items into vectors:
     * `builtin` (the default: an offline Universal Sentence Encoder shipped with caxton, 512
     * dimensions, loaded on first use) or a model alias of config/models/ whose provider (`openai` or
     * `openai-compatible`) serves `/v1/embeddings`, e.g. OpenAI `text-embedding-3-small` or Ollama
     * `all-minilm`. Vectors record their embedder; after a change the daemon re-embeds every item in
     * the background (also `caxton memory reindex`), and semantic search only uses vectors of the
     * current embedder.
     */
    memory: z
      .object({ embedder: z.string().regex(NAME_PATTERN, 'must be "builtin" or a model alias (an entity name)').default('builtin') })
      .strict()
      .prefault({}),
    /**
     * OpenTelemetry traces (STORY-021): with `otlp_endpoint` (or the standard environment variable
     * `OTEL_EXPORTER_OTLP_ENDPOINT`) set, the daemon exports spans (HTTP request, run, model call,
     * tool call, with the GenAI semantic conventions) over OTLP/HTTP to `<endpoint>/v1/traces`, as
     * service `service_name`. Unset (the default): no tracing, and the OpenTelemetry SDK is not loaded.
     */
    telemetry: z
      .object({
        /** OTLP/HTTP base URL of the collector (e.g. `http://127.0.0.1:4318`); spans go to its `/v1/traces`. */
        otlp_endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
        /** The `service.name` resource attribute of every span. */
        service_name: z.string().min(1).max(200).default('caxton'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AresConfig = z.infer<typeof AresConfigSchema>;

/** The providers a missing `[providers]` table stands for: OpenAI, a local Ollama, and offline. */
function defaultProviders(): Record<string, ProviderConfig> {
  return {
    openai: {
      type: 'openai',
      base_url: 'https://api.openai.com/v1',
      api_key_env: 'OPENAI_API_KEY',
      timeout_ms: 60_000,
      max_retries: 2,
    },
    ollama: { type: 'openai-compatible', base_url: 'http://127.0.0.1:11434/v1', timeout_ms: 60_000, max_retries: 2 },
    offline: { type: 'offline', timeout_ms: 60_000, max_retries: 0 },
  };
}

/**
 * Parse ares.toml text (already read) into a validated config. `file` is used in messages only.
 * @throws DomainError CONFIG_INVALID with one detail per problem, each located (line, col).
 */
export function parseAresConfig(text: string, file = 'ares.toml'): AresConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const firstLine = err.message.split('\n')[0] ?? 'invalid TOML';
      const detail: ErrorDetail = {
        code: 'E_SYNTAX',
        file,
        line: err.line,
        col: err.column,
        message: firstLine.replace(/^Invalid TOML document: /, ''),
        hint: 'check quoting and brackets on that line; see `man caxton` for the ares.toml keys',
      };
      throw new DomainError('CONFIG_INVALID', `${file}:${err.line}:${err.column}: E_SYNTAX ${detail.message}`, [detail]);
    }
    throw err;
  }
  const result = AresConfigSchema.safeParse(raw);
  if (!result.success) {
    const details = zodIssuesToDetails(result.error.issues, { file, text, format: 'toml', value: raw, knownKeys: knownKeysFor(AresConfigSchema) });
    const first = details[0]!;
    throw new DomainError(
      'CONFIG_INVALID',
      `${file}:${first.line ?? 1}:${first.col ?? 1}: ${first.code} ${first.message}`,
      details,
    );
  }
  return result.data;
}

/** Environment overrides of SPEC §2, applied after the file. Invalid values are errors, not ignored. */
function applyEnvOverrides(config: AresConfig, env: NodeJS.ProcessEnv): AresConfig {
  const out: AresConfig = { ...config, server: { ...config.server }, logging: { ...config.logging }, database: { ...config.database } };
  if (env.CAXTON_PORT !== undefined && env.CAXTON_PORT !== '') {
    const port = Number(env.CAXTON_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new DomainError('CONFIG_INVALID', `CAXTON_PORT=${env.CAXTON_PORT}: must be an integer from 0 to 65535`);
    }
    out.server.port = port;
  }
  if (env.CAXTON_HOST) out.server.host = env.CAXTON_HOST;
  if (env.CAXTON_LOG_LEVEL) {
    const level = env.CAXTON_LOG_LEVEL as AresConfig['logging']['level'];
    if (!LOG_LEVELS.includes(level)) {
      throw new DomainError(
        'CONFIG_INVALID',
        `CAXTON_LOG_LEVEL=${env.CAXTON_LOG_LEVEL}: must be one of ${LOG_LEVELS.join(', ')}`,
      );
    }
    out.logging.level = level;
  }
  if (env.CAXTON_LOG_DESTINATION) {
    const destination = env.CAXTON_LOG_DESTINATION as AresConfig['logging']['destination'];
    if (!LOG_DESTINATIONS.includes(destination)) {
      throw new DomainError('CONFIG_INVALID', `CAXTON_LOG_DESTINATION=${env.CAXTON_LOG_DESTINATION}: must be one of ${LOG_DESTINATIONS.join(', ')}`);
    }
    out.logging.destination = destination;
  }
  if (env.CAXTON_DATABASE_URL) {
    if (!isDatabaseUrl(env.CAXTON_DATABASE_URL)) {
      throw new DomainError('CONFIG_INVALID', `CAXTON_DATABASE_URL: ${DATABASE_URL_RULE}`, [
        { code: 'E_VALUE', field: 'CAXTON_DATABASE_URL', message: DATABASE_URL_RULE, hint: 'unset CAXTON_DATABASE_URL to use [database] of ares.toml' },
      ]);
    }
    out.database.url = env.CAXTON_DATABASE_URL;
  }
  return out;
}

/**
 * Read `path` (missing file = defaults), parse, validate and apply env overrides.
 * @throws DomainError CONFIG_INVALID (located), or the fs error for anything but ENOENT.
 */
export function loadAresConfig(path: string, env: NodeJS.ProcessEnv = process.env): AresConfig {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return applyEnvOverrides(parseAresConfig(text, path), env);
}

/** True for bind addresses that only this machine can reach (auth may stay off there, SPEC §6); IPv6 with or without brackets. */
export function isLoopbackHost(host: string): boolean {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return isLoopbackName(parseHost(bracketed)?.hostname ?? '');
}
