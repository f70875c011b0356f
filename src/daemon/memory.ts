/**
 * Semantic memory of the daemon (docs/memory.md): the embedder registry (`[memory] embedder`, model
 * aliases read from the current config snapshot) and the memory item service over the store, with
 * cross-node cache invalidation through the change feed. At start the builtin model is loaded in the
 * background when it will be needed, and items lacking vectors of the configured embedder (it was
 * changed) are re-embedded in the background.
 */
import type { Logger } from 'pino';
import type { AresConfig } from '../config/ares-toml.js';
import type { ConfigWatcher } from '../config/watch.js';
import { createEmbedderRegistry, type EmbedderRegistry } from '../llm/embedders.js';
import { createSemanticMemory } from '../runtime/semantic-memory.js';
import type { ChangeFeed, Store } from '../store/types.js';
import type { Cleanup } from './cleanup.js';

/** The embedders and the memory item service. */
export interface DaemonMemory {
  embedders: EmbedderRegistry;
  items: ReturnType<typeof createSemanticMemory>;
}

/** Build both; the service's change subscription is released by `undo`. Nothing is loaded yet. */
export function buildMemory(
  config: AresConfig,
  p: { store: Store; watcher: ConfigWatcher; changes: ChangeFeed; env: Readonly<Record<string, string | undefined>>; log: Logger; undo: Cleanup },
): DaemonMemory {
  const embedders = createEmbedderRegistry({
    configured: config.memory.embedder,
    model: (alias) => {
      const m = p.watcher.current().models.get(alias)?.value;
      return m ? { provider: m.provider, model: m.model } : undefined;
    },
    providers: config.providers,
    env: p.env,
  });
  const items = createSemanticMemory({ store: p.store.memoryItems, embedder: () => embedders.current(), changes: p.changes, log: p.log });
  p.undo.push(async () => items.close());
  return { embedders, items };
}

/**
 * Off the request path at start: load the builtin model when items exist or an agent recalls
 * (`memory.recall`), so the first recall does not wait for it; then re-embed items missing vectors of
 * the current embedder, in the background. Outcomes are logged.
 */
export function startMemory(memory: DaemonMemory, watcher: ConfigWatcher, log: Logger): void {
  void (async () => {
    const { items, embedder } = await memory.items.stats();
    const recalls = [...watcher.current().agents.values()].some((a) => (a.value.memory?.recall ?? 0) > 0);
    if (items > 0 || recalls) memory.embedders.current().warm();
    if (embedder.pending === 0) return;
    log.info({ embedder: embedder.name, pending: embedder.pending }, `re-embedding ${embedder.pending} memory item(s) with ${embedder.name}`);
    const done = await memory.items.reindex();
    log.info({ embedder: embedder.name, done }, `re-embedded ${done} memory item(s)`);
  })().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'memory re-embedding failed; `caxton memory reindex` retries'));
}
