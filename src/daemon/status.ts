/**
 * The reports behind `GET /api/status` and `GET /api/config/status` (SPEC §8, `caxton server status`):
 * built on each call from the live parts, so they show the snapshot being served and the providers'
 * current states.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { AgentControls } from '../runtime/agent-controls.js';
import { isWarning } from '../config/diagnostics.js';
import type { ConfigWatcher } from '../config/watch.js';
import type { ConfigStatus, StatusReport } from '../domain/status.js';
import type { Paths } from '../ipc/paths.js';
import type { ProviderRegistry } from '../llm/registry.js';
import type { Store } from '../store/types.js';

/** The parts the reports read. Times in ms since the epoch. */
export interface StatusSources {
  paths: Pick<Paths, 'home' | 'socket'>;
  startedAt: number;
  version: string;
  /** Where the daemon serves HTTP ('' until bound). */
  url: () => string;
  watcher: Pick<ConfigWatcher, 'current' | 'status'>;
  providers: Pick<ProviderRegistry, 'states'>;
  catalog: Pick<Catalog, 'counts'>;
  store: Pick<Store, 'health'>;
  runtime: { agents: Pick<AgentControls, 'pool'> };
}

/** The config status: diagnostics of the snapshot being served and the reload history. */
export function configStatusOf(src: Pick<StatusSources, 'watcher'>): ConfigStatus {
  const snapshot = src.watcher.current();
  return {
    loaded_at: snapshot.loadedAt,
    errors: snapshot.diagnostics.filter((d) => !isWarning(d)).length,
    warnings: snapshot.diagnostics.filter(isWarning).length,
    diagnostics: snapshot.diagnostics.map((d) => ({ ...d })),
    ...src.watcher.status(),
  };
}

/** The daemon status: process, listeners, entity counts, each model with its provider's state, database, config, the global run pool. */
export async function statusOf(src: StatusSources): Promise<StatusReport> {
  const snapshot = src.watcher.current();
  const states = new Map(src.providers.states().map((s) => [s.name, s]));
  return {
    running: true,
    pid: process.pid,
    version: src.version,
    node: process.version,
    url: src.url(),
    socket: src.paths.socket,
    home: src.paths.home,
    started_at: src.startedAt,
    uptime_ms: Date.now() - src.startedAt,
    agents: snapshot.agents.size,
    counts: src.catalog.counts(),
    models: [...snapshot.models.values()].map(({ value: m }) => {
      const s = states.get(m.provider);
      return {
        name: m.name,
        provider: m.provider,
        provider_type: s?.type ?? 'unknown',
        model: m.model,
        state: s?.state ?? 'offline',
        ...(s?.reason ? { reason: s.reason } : {}),
      };
    }),
    database: await src.store.health(),
    config: configStatusOf(src),
    runs: runPool(src.runtime.agents.pool()),
  };
}

/** The global pool as the status report names it. */
function runPool(p: { active: number; queued: number; max: number }): StatusReport['runs'] {
  return { in_flight: p.active, queued: p.queued, max_concurrent: p.max };
}
