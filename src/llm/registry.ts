/**
 * Providers by name, built once from ares.toml `[providers.*]` (SPEC §2, §7). A canned answer is
 * never passed off as a model's: the offline provider serves only the providers of type `offline`
 * (the first-run demo), and a provider that cannot serve (OpenAI without a key, an OpenAI-compatible
 * server that does not answer) makes `get` fail with PROVIDER_UNAVAILABLE naming it and the reason,
 * which `server status` shows too. OpenAI-compatible servers are probed (`GET {base_url}/models`) in
 * the background and re-probed at most every `reprobeMs` while unreachable, so starting Ollama after
 * the daemon is picked up by the next run.
 */
import { isAbsolute, resolve } from 'node:path';
import { DomainError } from '../domain/errors.js';
import type { ProviderConfig } from '../domain/providers.js';
import { createOfflineProvider } from './offline.js';
import { createOpenAIProvider, type RetryInfo } from './openai.js';
import { loadScriptFile } from './script-file.js';
import { createScriptedProvider } from './scripted.js';
import type { Provider, ProviderState } from './types.js';

/** Resolves provider names to usable providers. */
export interface ProviderRegistry {
  /**
   * The provider to use for `name` now (the offline provider for a provider of type `offline`).
   * @throws DomainError NOT_FOUND for a name ares.toml does not define; PROVIDER_UNAVAILABLE ("provider
   *   NAME: REASON", with `retryAfterSecs` until the next probe when it is unreachable) for one that
   *   cannot serve now.
   */
  get(name: string): Promise<Provider>;
  /** Current state of every configured provider (for status; never blocks on probes). */
  states(): ProviderState[];
  /** Start background probes of OpenAI-compatible servers (call once after construction). */
  probe(): void;
}

interface Entry {
  config: ProviderConfig;
  state: ProviderState;
  /** The provider serving requests; absent when it cannot be built (`state.reason` says why). */
  real?: Provider;
  /** The last request's failure (cleared by the next success): the passive health check shown in status. */
  lastError?: { message: string; at: number };
  probing?: Promise<void>;
  probedAt: number;
}

/** Options mostly for tests: probe timeout and re-probe interval (ms), and the env to read keys from. */
export interface RegistryOptions {
  env?: NodeJS.ProcessEnv;
  probeTimeoutMs?: number;
  reprobeMs?: number;
  /** Extra provider factories by type (e.g. `scripted` in tests). */
  factories?: Record<string, (name: string, config: ProviderConfig) => Provider>;
  /** Told about every provider retry (the daemon logs them). */
  onRetry?: (info: RetryInfo) => void;
  /** Directory relative `script` paths of `scripted` providers are resolved against (the home; default: cwd). */
  baseDir?: string;
}

/**
 * Wrap `provider` so every request's outcome updates `entry.lastError` (a passive health check:
 * no extra requests). Cancellations say nothing about the provider and are ignored.
 */
function watched(entry: Entry, provider: Provider): Provider {
  return {
    name: provider.name,
    type: provider.type,
    async *chat(request, signal) {
      try {
        yield* provider.chat(request, signal);
        if (entry.lastError) delete entry.lastError;
      } catch (err) {
        if (!signal?.aborted) entry.lastError = { message: (err as Error)?.message ?? String(err), at: Date.now() };
        throw err;
      }
    },
  };
}

/**
 * Build the registry. Keys are read from the environment here and kept only inside SDK clients.
 * A `scripted` provider without a test factory replays its `script` file (src/llm/script-file.ts).
 * @throws DomainError CONFIG_INVALID when a `scripted` provider has no `script`, or it cannot be read.
 */
export function createProviderRegistry(configs: Record<string, ProviderConfig>, opts: RegistryOptions = {}): ProviderRegistry {
  const env = opts.env ?? process.env;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 1500;
  const reprobeMs = opts.reprobeMs ?? 15_000;
  const entries = new Map<string, Entry>();

  for (const [name, config] of Object.entries(configs)) {
    const base = { name, type: config.type, ...(config.base_url ? { base_url: config.base_url } : {}) };
    let entry: Entry;
    if (config.type === 'offline') {
      entry = { config, state: { ...base, state: 'ready' }, real: createOfflineProvider(name), probedAt: 0 };
    } else if (config.type === 'openai' || config.type === 'openai-compatible') {
      const key = config.api_key ?? (config.api_key_env ? env[config.api_key_env] : undefined);
      if (config.type === 'openai' && !key) {
        const reason = `${config.api_key_env ?? 'api_key'} is not set`;
        entry = { config, state: { ...base, state: 'offline', reason }, probedAt: 0 };
      } else {
        const real = createOpenAIProvider({
          name,
          type: config.type,
          ...(config.base_url ? { baseURL: config.base_url } : {}),
          ...(key ? { apiKey: key } : {}),
          timeoutMs: config.timeout_ms,
          maxRetries: config.max_retries,
          ...(config.api_key_env ? { apiKeyEnv: config.api_key_env } : {}),
          ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
        });
        const needsProbe = config.type === 'openai-compatible';
        entry = { config, state: { ...base, state: needsProbe ? 'checking' : 'ready' }, real, probedAt: 0 };
      }
    } else if (config.type === 'scripted' && !opts.factories?.scripted) {
      if (!config.script) {
        throw new DomainError(
          'CONFIG_INVALID',
          `[providers.${name}] type = "scripted" needs script = "FILE" (a TOML or JSON list of replies, relative to the home)`,
          [{ field: `providers.${name}.script`, message: 'missing', hint: 'see `man caxton`, SCRIPTED PROVIDER' }],
        );
      }
      const file = isAbsolute(config.script) ? config.script : resolve(opts.baseDir ?? process.cwd(), config.script);
      const real = createScriptedProvider(name, loadScriptFile(file, name), { whenEmpty: config.when_exhausted ?? 'loop', record: false });
      entry = { config, state: { ...base, state: 'ready' }, real, probedAt: 0 };
    } else {
      const factory = opts.factories?.[config.type];
      if (!factory) {
        const reason = `provider type ${config.type} is not available in the daemon`;
        entry = { config, state: { ...base, state: 'offline', reason }, probedAt: 0 };
      } else {
        const real = factory(name, config);
        entry = { config, state: { ...base, state: 'ready' }, real, probedAt: 0 };
      }
    }
    if (entry.real && config.type !== 'offline') entry.real = watched(entry, entry.real);
    entries.set(name, entry);
  }

  /**
   * The PROVIDER_UNAVAILABLE error of `entry`, with a hint on what to do; an unreachable server may
   * answer after the next probe (`retryAfterSecs`).
   */
  function unavailable(name: string, entry: Entry): DomainError {
    const reason = entry.state.reason ?? 'not usable';
    const probed = entry.real !== undefined && entry.config.type === 'openai-compatible';
    const hint = probed
      ? `start the server at ${entry.config.base_url} (it is probed again at the next run), or change base_url under [providers.${name}] in ares.toml`
      : entry.config.type === 'openai'
        ? `export ${entry.config.api_key_env ?? 'OPENAI_API_KEY'}=... and run \`caxton server restart\`, or set api_key under [providers.${name}] in ares.toml`
        : `fix [providers.${name}] in ares.toml, or point the model at another provider`;
    const retryAfterSecs = Math.max(1, Math.ceil((entry.probedAt + reprobeMs - Date.now()) / 1000));
    return new DomainError('PROVIDER_UNAVAILABLE', `provider ${name}: ${reason}`, [{ message: reason, hint }], probed ? { retryAfterSecs } : {});
  }

  function probeEntry(entry: Entry): Promise<void> {
    if (entry.probing) return entry.probing;
    const url = `${(entry.config.base_url ?? '').replace(/\/+$/, '')}/models`;
    entry.probing = (async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(probeTimeoutMs) });
        await res.body?.cancel();
        // Any HTTP answer means a server is there; auth errors surface on the real request.
        entry.state = { ...entry.state, state: 'ready' };
        delete entry.state.reason;
      } catch {
        entry.state = { ...entry.state, state: 'offline', reason: `${entry.config.base_url} is not reachable` };
      } finally {
        entry.probedAt = Date.now();
        entry.probing = undefined;
      }
    })();
    return entry.probing;
  }

  return {
    async get(name) {
      const entry = entries.get(name);
      if (!entry) throw new DomainError('NOT_FOUND', `provider ${name} is not defined in ares.toml`);
      if (entry.real && entry.config.type === 'openai-compatible') {
        if (entry.state.state === 'checking') await probeEntry(entry);
        else if (entry.state.state === 'offline' && Date.now() - entry.probedAt >= reprobeMs) await probeEntry(entry);
      }
      if (entry.state.state === 'ready' && entry.real) return entry.real;
      throw unavailable(name, entry);
    },
    states() {
      return [...entries.values()].map((e) => {
        if (e.state.state !== 'ready' || !e.lastError) return { ...e.state };
        const ago = Math.round((Date.now() - e.lastError.at) / 1000);
        return { ...e.state, reason: `last request failed ${ago} s ago: ${e.lastError.message}` };
      });
    },
    probe() {
      for (const e of entries.values()) {
        if (e.real && e.config.type === 'openai-compatible') void probeEntry(e);
      }
    },
  };
}
