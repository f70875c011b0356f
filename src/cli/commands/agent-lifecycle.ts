/**
 * `caxton agent stop|start|restart NAME [--json]` (agent lifecycle, seed STORY-009; over the control
 * socket, which is the admin): `POST /api/agents/NAME/{action}`. A stopped agent refuses runs (HTTP
 * 503) until it is started; `restart` clears a failed agent and leaves any other running. Prints the new state; exit 0,
 * 1 when the daemon refuses (unknown agent, not allowed from the current state), 3 when it is not running.
 */
import type { LifecycleResult } from '../../domain/api-types.js';
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** A lifecycle action of the CLI. */
export type LifecycleAction = 'stop' | 'start' | 'restart';

const DONE: Record<LifecycleAction, string> = { stop: 'stopped', start: 'started', restart: 'restarted' };

/** The handler of `agent ACTION NAME`. */
export function runAction(action: LifecycleAction) {
  return async (args: string[], opts: GlobalOptions): Promise<number> => {
    const name = args[0]!;
    const r = await requestJson<LifecycleResult>(homePaths(opts).socket, `/api/agents/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
    if (opts.json) {
      printJson(r);
      return 0;
    }
    const load = r.active || r.queued ? ` (${r.active} run${r.active === 1 ? '' : 's'} finishing, ${r.queued} queued)` : '';
    process.stdout.write(`${DONE[action]} ${r.source} agent ${r.name}: now ${r.state}${load}\n`);
    return 0;
  };
}
