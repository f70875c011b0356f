/**
 * `caxton init` (SPEC §2): write ares.toml and copy the shipped `config/` defaults into a home.
 * `--provider` picks what the shipped model aliases (fast, balanced, powerful) point at; without it,
 * `openai` when `OPENAI_API_KEY` is set, else `offline` (the first-run demo: canned replies that say
 * so), because a model on a provider that cannot serve makes every run fail (src/llm/registry.ts).
 * Existing files are kept unless `force`; nothing is half-written (each file is written whole).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode } from '@toon-format/toon';
import { ENTITY_KINDS } from '../domain/entities.js';

/** Which backend the shipped models use after init. */
export type InitProvider = 'openai' | 'ollama' | 'offline';

/** Provider model ids per shipped alias. */
const MODEL_IDS: Record<InitProvider, Record<string, string>> = {
  openai: { fast: 'gpt-4o-mini', balanced: 'gpt-4o-mini', powerful: 'gpt-4o' },
  ollama: { fast: 'llama3.2:3b', balanced: 'llama3.2:3b', powerful: 'qwen2.5:7b' },
  offline: { fast: 'offline', balanced: 'offline', powerful: 'offline' },
};

/** The shipped `config/` directory of this installation (dist/config/init.js -> ../../config). */
function shippedConfigDir(): string {
  return fileURLToPath(new URL('../../config/', import.meta.url));
}

/** The ares.toml that init writes: every key of SPEC §2 with its default, commented. */
export function aresTomlTemplate(): string {
  return `# ares.toml: infrastructure settings for caxton / ares (changes need \`caxton server restart\`).
# Agents, models, tools, workflows and MCP servers live in config/ and reload on save.

[server]
host = "127.0.0.1"          # any non-loopback address forces [auth] required = true
port = 8080                 # env: CAXTON_PORT
shutdown_grace_ms = 10000   # in-flight requests get this long after SIGTERM
allowed_hosts = []          # Host names served besides loopback and host, e.g. ["caxton.lan"]; others get 421
cors_origins = []           # web apps that may use the API from a browser, e.g. ["https://app.example.com"]
request_timeout_ms = 30000  # a client must send its whole request within this (responses and streams are not limited)
headers_timeout_ms = 10000  # ... and its headers within this
max_connections = 1024      # open TCP connections at once
trusted_proxies = []        # load balancers whose X-Forwarded-For names the client, e.g. ["10.0.0.5"] or ["10.0.0.0/24"]

[database]
path = "data/ares.db"       # relative to this home
# url = "postgres://caxton:PASSWORD@db.example.com:5432/caxton"   # PostgreSQL shared by several nodes instead of the file; env: CAXTON_DATABASE_URL
pool_size = 10              # PostgreSQL connections per daemon (with url)

[auth]
required = false
jwt_secret_env = "ARES_JWT_SECRET"
access_token_ttl_secs = 900         # lifetime of access JWTs (10..86400 s)
refresh_token_ttl_secs = 2592000    # lifetime of single-use refresh tokens (30 days)

[defaults]
model = "balanced"          # model alias for agents that name none

# Providers: the model files in config/models/ name one of these.
[providers.openai]
type = "openai"
base_url = "https://api.openai.com/v1"
api_key_env = "OPENAI_API_KEY"   # the key itself stays in the environment
timeout_ms = 60000
max_retries = 2

[providers.ollama]                # or LocalAI, vLLM, LM Studio: any OpenAI-compatible server
type = "openai-compatible"
base_url = "http://127.0.0.1:11434/v1"
timeout_ms = 60000
max_retries = 2

[providers.offline]               # canned replies, no network: for trying things out
type = "offline"

# [providers.script]              # replays a script of replies and tool calls: agent tests without a model
# type = "scripted"
# script = "scripts/demo.toml"    # relative to this home; [[replies]] with text or tool_calls (man caxton)
# when_exhausted = "loop"         # after the last reply: loop (default) | error | echo

[logging]
level = "info"              # env: CAXTON_LOG_LEVEL (trace|debug|info|warn|error)
destination = "file"        # file: logs/caxton.log (caxton server logs) | stdout: journald, containers | syslog; env: CAXTON_LOG_DESTINATION
max_file_bytes = 10485760   # the log file is rotated before it passes this size
max_files = 5               # rotated files kept (caxton.log.1 is the newest)
syslog_address = "udp://127.0.0.1:514"   # with destination = "syslog": RFC 5424 over udp:// or tcp://
syslog_facility = 3                      # 3 = daemon; 16-23 = local0-local7

[limits]
max_body_bytes = 1048576    # larger request bodies get HTTP 413
requests_per_minute = 0     # per user, API key and client address over TCP (per node); 0 = off; beyond it HTTP 429
users = {}                  # one user's own quota, e.g. { "alice@example.com" = { requests_per_minute = 600 } }
api_key = {}                # each API key's budget, same keys as below, e.g. { tokens_per_day = 100000 }
# Each user's budget per UTC day and month (absent = unlimited; \`caxton limits set\` overrides it per
# user; an agent's \`budget\` field takes the same keys): usd_per_day, usd_per_month, tokens_per_day, tokens_per_month
# usd_per_day = 5
# tokens_per_month = 2000000

[tools]
deny = []                   # tools no agent may use, e.g. ["http_fetch", "everything.*"] (a whole MCP server)

[runtime]
max_concurrent_runs_per_agent = 8   # runs of one agent at the same time
max_queued_runs_per_agent = 256     # more runs of one agent wait here; beyond it they are refused as busy (503)
max_queued_runs = 1024              # runs waiting across all agents; beyond it new runs are refused at once (503)
max_concurrent_runs = 64            # runs of all agents at the same time; more wait in the global queue
repeat_tool_call_limit = 3          # the same tool call (same arguments) this many times in one run ends it as loop_detected
trace = false                       # true: store a step-by-step trace of every run (caxton run trace ID); a request may ask with trace: true
max_delegation_depth = 3            # sub-agent hops below a request's first run (agents' agents[]); deeper is refused
max_runs_per_request = 25           # runs under one request, sub-agent runs included; more are refused
# max_run_seconds = 300             # per-run limits (agents may set their own): time, ends as timeout
# max_tokens_per_run = 200000       # tokens in + out, ends as length
# max_tool_calls_per_run = 50       # tool calls, ends as max_iterations

[mcp]
allow_private_urls = false  # true lets non-admin users' HTTP MCP servers reach 127.0.0.1, 10.x, 169.254.x, ...
# default_memory_mb = 512   # memory limit of stdio MCP servers without their own memory_mb (prlimit; Node servers need 192+)

[test]
# judge_model = "fast"      # model that grades \`judge\` expectations of \`caxton test\` (unset: they are skipped with a note)

[memory]
embedder = "builtin"        # what makes memory item vectors: "builtin" (offline, shipped) or a model alias serving /v1/embeddings

[telemetry]
# otlp_endpoint = "http://127.0.0.1:4318"  # export OpenTelemetry traces over OTLP/HTTP (unset: off, or env OTEL_EXPORTER_OTLP_ENDPOINT)
service_name = "caxton"
`;
}

/** The provider init points the shipped models at when none is given: `openai` with `OPENAI_API_KEY` set in `env`, else `offline`. */
export function defaultInitProvider(env: NodeJS.ProcessEnv = process.env): InitProvider {
  return env.OPENAI_API_KEY ? 'openai' : 'offline';
}

/** What init did, for the CLI to print. Paths are absolute. */
export interface InitResult {
  written: string[];
  kept: string[];
  provider: InitProvider;
}

/**
 * Initialise `home`. Keeps existing files unless `force`. Model files of the shipped aliases are
 * rewritten for `provider` (default: `defaultInitProvider(env)`). What it creates is owner-only
 * whatever the umask: directories 0700, files 0600 (ares.toml may hold provider keys).
 * @throws the fs error when the home is not writable.
 */
export function initHome(home: string, opts: { force?: boolean; provider?: InitProvider; env?: NodeJS.ProcessEnv } = {}): InitResult {
  const provider = opts.provider ?? defaultInitProvider(opts.env);
  const result: InitResult = { written: [], kept: [], provider };
  const put = (path: string, write: () => void) => {
    if (existsSync(path) && !opts.force) {
      result.kept.push(path);
      return;
    }
    write();
    chmodSync(path, 0o600);
    result.written.push(path);
  };

  mkdirSync(home, { recursive: true, mode: 0o700 });
  const aresToml = join(home, 'ares.toml');
  put(aresToml, () => writeFileSync(aresToml, aresTomlTemplate()));

  const src = shippedConfigDir();
  for (const kind of ENTITY_KINDS) {
    const from = join(src, kind);
    const to = join(home, 'config', kind);
    mkdirSync(to, { recursive: true, mode: 0o700 });
    if (!existsSync(from)) continue;
    for (const file of readdirSync(from)) {
      if (file.startsWith('.')) continue;
      const target = join(to, file);
      if (kind === 'models' && file.endsWith('.toon')) {
        put(target, () => {
          const model = decode(readFileSync(join(from, file), 'utf8')) as Record<string, unknown>;
          const id = MODEL_IDS[provider][String(model.name)];
          if (id) {
            model.provider = provider;
            model.model = id;
            if (provider !== 'openai') {
              delete model.input_cost_per_mtok;
              delete model.output_cost_per_mtok;
            }
          }
          writeFileSync(target, `${encode(model)}\n`);
        });
      } else {
        put(target, () => copyFileSync(join(from, file), target));
      }
    }
  }
  return result;
}

/** True when `home` has neither ares.toml nor config/ (what `server start` initialises first). */
export function isEmptyHome(home: string): boolean {
  return !existsSync(join(home, 'ares.toml')) && !existsSync(join(home, 'config'));
}
