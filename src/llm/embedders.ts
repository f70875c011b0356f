/**
 * Embedders by name: `builtin`, or a model alias (config/models/NAME) whose provider (ares.toml
 * `[providers.*]`, type `openai` or `openai-compatible`) serves `/v1/embeddings`. The alias is looked up
 * in the current config snapshot on every call, so an edited model file applies at once; one client
 * is kept per alias, provider and model. `[memory] embedder` names the one semantic memory uses.
 */
import { DomainError } from '../domain/errors.js';
import type { ProviderConfig } from '../domain/providers.js';
import { createBuiltinEmbedder, createRemoteEmbedder, type Embedder } from './embedder.js';

/** Resolves embedder names. */
export interface EmbedderRegistry {
  /**
   * The embedder called `name`.
   * @throws DomainError NOT_FOUND (no such model alias), BAD_REQUEST (its provider cannot serve embeddings)
   */
  get(name: string): Embedder;
  /** The embedder of `[memory] embedder` (default `builtin`). @throws as `get`. */
  current(): Embedder;
}

/** What the registry reads: the configured name, model aliases of the current snapshot, providers and the env holding keys. */
export interface EmbedderRegistryOptions {
  configured: string;
  model(alias: string): { provider: string; model: string } | undefined;
  providers: Record<string, ProviderConfig>;
  env: NodeJS.ProcessEnv;
}

/** Build the registry (nothing is loaded or connected until an embedder is used). */
export function createEmbedderRegistry(opts: EmbedderRegistryOptions): EmbedderRegistry {
  const builtin = createBuiltinEmbedder();
  const remote = new Map<string, Embedder>();
  const get = (name: string): Embedder => {
    if (name === 'builtin') return builtin;
    const m = opts.model(name);
    if (!m) throw new DomainError('NOT_FOUND', `embedder ${name}: no model alias of that name (config/models/${name}); use "builtin" or a model alias`);
    const p = opts.providers[m.provider];
    if (!p || (p.type !== 'openai' && p.type !== 'openai-compatible')) {
      throw new DomainError(
        'BAD_REQUEST',
        `embedder ${name}: provider ${m.provider} ${p ? `is of type ${p.type}, which serves no embeddings` : 'is not defined in ares.toml'}`,
        [{ field: 'model', message: 'not an embeddings model', hint: 'name a model whose provider is openai or openai-compatible' }],
      );
    }
    const key = `${name}\0${m.provider}\0${m.model}`;
    let e = remote.get(key);
    if (!e) {
      const apiKey = p.api_key ?? (p.api_key_env ? opts.env[p.api_key_env] : undefined);
      e = createRemoteEmbedder({
        alias: name,
        provider: m.provider,
        model: m.model,
        timeoutMs: p.timeout_ms,
        ...(p.base_url ? { baseURL: p.base_url } : {}),
        ...(apiKey ? { apiKey } : {}),
      });
      remote.set(key, e);
    }
    return e;
  };
  return { get, current: () => get(opts.configured) };
}
