/**
 * Agent lifecycle over HTTP (states loaded, running, stopped, failed; a failed agent can be restarted
 * without touching others, seed STORY-024): admin-only `POST /api/agents/:name/stop|start|restart`, and the
 * `state` / `lifecycle` fields that `GET /api/agents[/:name]` add to each agent. Each change is
 * published as an `agent_state` live event (src/api/live-events.ts).
 *
 * States live in the runtime (src/runtime/lifecycle.ts), one per agent: a system agent is keyed by its
 * name, a user or community agent also by its row id (`agentKey`), so stopping one user's `helper` leaves another user's
 * `helper` alone. A stopped or failed agent refuses runs with 503 UNAVAILABLE (the request is fine and
 * will succeed once an operator starts it again; nothing the caller changes in the request helps, which
 * is what 409 would suggest). Runs in flight when an agent is stopped finish.
 *
 * `failed` is reached when an agent cannot run as defined: the catalog finds its model gone
 * (a user agent whose model file was removed, or a model dropped because its provider is not in
 * ares.toml) and marks it failed with that reason, shown by `GET /api/agents/:name` and
 * `caxton agent show`; a provider the runtime cannot find does the same during a run. `restart`
 * checks again: still broken -> 400 CONFIG_INVALID with the reason (the agent stays failed); fixed ->
 * running. `start` of a broken agent is refused the same way.
 */
import type { Context } from 'hono';
import { agentKey, type AgentListing } from '../../catalog/catalog.js';
import { LifecycleResultSchema, type Lifecycle } from '../../domain/api-types.js';
import { DomainError } from '../../domain/errors.js';
import type { AgentState, AgentStatus } from '../../runtime/lifecycle.js';
import type { AgentControls } from '../../runtime/run.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { ErrorSchema, Routes } from '../openapi.js';

/** Lifecycle fields of one agent (`state` etc. without the runtime's key). */
export function lifecycleOf(controls: AgentControls, listing: Pick<AgentListing, 'agent' | 'entity'>): Lifecycle {
  const { name: _key, ...rest } = controls.status(agentKey(listing));
  return rest;
}

/**
 * State lookup for a listing: one snapshot of the runtime's table per request, `loaded` for agents
 * it has not seen (no entry is created for them, so listing many agents grows nothing).
 */
export function statesOf(controls: AgentControls): (listing: Pick<AgentListing, 'agent' | 'entity'>) => AgentState {
  const states = new Map(controls.list().map((s) => [s.name, s.state]));
  return (listing) => states.get(agentKey(listing)) ?? 'loaded';
}

type Action = 'stop' | 'start' | 'restart';

/**
 * Apply `action`. `stop` also works on an agent that has not run yet (loaded -> running -> stopped).
 * `restart` works from any state: failed -> loaded -> running; stopped or loaded -> running;
 * running -> stopped -> running (runs in flight finish, nothing is lost).
 * @throws DomainError CONFLICT for `stop` of a stopped or failed agent, `start` of a running or failed one.
 */
function apply(controls: AgentControls, key: string, action: Action): AgentStatus {
  const state = controls.status(key).state;
  if (action === 'stop') {
    if (state === 'loaded') controls.start(key);
    return controls.stop(key);
  }
  if (action === 'start') return controls.start(key);
  if (state === 'failed') return controls.restart(key);
  if (state === 'running') controls.stop(key);
  return controls.start(key);
}

const SUMMARIES: Record<Action, string> = {
  stop: 'Stop an agent (admin): new runs get 503 until it is started; runs in flight finish',
  start: 'Start a stopped agent (admin); a failed agent needs restart',
  restart: 'Restart an agent (admin): a failed one is cleared; any other ends up running',
};

/** The admin-only lifecycle routes. */
export function agentLifecycleRoutes(deps: AppDeps): Routes {
  const r = new Routes('/api/agents');
  const controls = deps.runtime.agents;
  for (const action of ['stop', 'start', 'restart'] as const) {
    r.op(
      {
        method: 'post',
        path: `/{name}/${action}`,
        summary: SUMMARIES[action],
        tags: ['agents'],
        responses: {
          200: { description: "the agent's lifecycle after the action", schema: LifecycleResultSchema },
          403: { description: 'not an admin (the control socket, or an admin account over TCP)', schema: ErrorSchema },
          404: { description: 'no such agent visible to you', schema: ErrorSchema },
          400: { description: 'the agent cannot run as defined (its model is gone): it stays failed, with the reason', schema: ErrorSchema },
          409: { description: 'not allowed from the current state (e.g. stop of a stopped agent)', schema: ErrorSchema },
        },
      },
      async (c: Context<AppEnv>) => {
        if (!c.get('isAdmin')) {
          throw new DomainError('FORBIDDEN', `only an admin may ${action} agents`, [
            { field: 'authorization', message: 'admin rights needed', hint: 'use the control socket (`caxton agent ' + action + ' NAME`) or an admin account' },
          ]);
        }
        const resolved = await deps.catalog.resolveAgent(c.req.param('name')!, c.get('userId'));
        if (resolved.fault && action !== 'stop') {
          throw new DomainError('CONFIG_INVALID', `agent ${resolved.agent.name} cannot ${action}: ${resolved.fault}`, [
            {
              code: 'E_REFERENCE',
              field: 'model',
              message: `unknown model ${resolved.modelName}`,
              hint: `use one of: ${deps.catalog.modelNames().join(', ')}`,
            },
          ]);
        }
        const { name: _key, ...status } = apply(controls, agentKey(resolved), action);
        const owner = resolved.entity?.user_id;
        deps.live?.publish({ type: 'agent_state', agent: resolved.agent.name, state: status.state, ...(owner ? { owner } : {}) });
        return c.json({ name: resolved.name, source: resolved.source, ...status });
      },
    );
  }
  return r;
}
