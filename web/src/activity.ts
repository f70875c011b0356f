/**
 * Each agent's last activity on the Agents page: when its latest run started (ms since epoch), as
 * `GET /api/executions/stats` reports it (`last_run_at`: the caller's runs, the admin's: everyone's),
 * then moved forward in place by each `run_finished` live event (its `created_at`), so no list is
 * re-read for it.
 */
import { signal } from '@preact/signals';

/** Agent name -> latest run start (ms since epoch); agents that never ran are absent. */
export const lastRunAt = signal<Record<string, number>>({});

/** Take the later of the known and the given start times of each agent in `runs` (agent -> ms). */
export function noteRuns(runs: Record<string, number>): void {
  const next = { ...lastRunAt.value };
  let changed = false;
  for (const [agent, at] of Object.entries(runs)) {
    if ((next[agent] ?? 0) >= at) continue;
    next[agent] = at;
    changed = true;
  }
  if (changed) lastRunAt.value = next;
}
