/**
 * What every page shares, as signals: who the dashboard acts as (`GET /api/me`), the route (the
 * path, kept in the History API), the agents the caller can use, and the live event stream
 * (`GET /api/events`) that keeps them current without polling: agent state changes patch the list,
 * started and finished runs and config reloads bump counters pages re-read on (a finished run also moves
 * its agent's last activity, activity.ts), log lines feed the Logs page.
 */
import { signal } from '@preact/signals';
import { noteRuns } from './activity';
import { api, readSse, send, type SseEvent } from './api';

/** The caller as `GET /api/me` reports it; `acting_admin` decides whether admin controls show. */
export interface Me {
  id: string;
  email: string | null;
  handle: string;
  name: string | null;
  acting_admin: boolean;
}

/** One agent as `GET /api/agents` lists it. */
export interface AgentSummary {
  id: string | null;
  name: string;
  source: 'user' | 'community' | 'system';
  model: string;
  tools: string[];
  capabilities: string[];
  display_name: string | null;
  description: string | null;
  state: string;
}

/** `undefined` while unknown; `null` when the daemon wants a sign-in (401). */
export const me = signal<Me | null | undefined>(undefined);
export const agents = signal<AgentSummary[]>([]);
/** Bumped on every `run_started` / `run_finished`: pages showing runs re-read. */
export const runsVersion = signal(0);
/** Bumped on every `run_finished`: figures over ended runs (the agents' hour stats) re-read. */
export const finishedVersion = signal(0);
/** Bumped on every `config_reload`. */
export const configVersion = signal(0);
/** The newest daemon log lines (admin), oldest first, at most LOG_KEEP. */
export const logLines = signal<Record<string, unknown>[]>([]);
/** True while the live stream is connected. */
export const liveConnected = signal(false);
export const route = signal(location.pathname);

const LOG_KEEP = 1000;

/** Go to `path` (a dashboard route, maybe with a query) without reloading; `route` holds its path only. */
export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  route.value = location.pathname;
}
addEventListener('popstate', () => (route.value = location.pathname));

/** Find out who we are; `me` becomes null when the daemon asks for credentials. */
export async function loadMe(): Promise<void> {
  const res = await send('/api/me');
  me.value = res.status === 401 ? null : res.ok ? ((await res.json()) as Me) : null;
}

/** Re-read the agent list. */
export async function loadAgents(): Promise<void> {
  agents.value = (await api<{ agents: AgentSummary[] }>('/api/agents')).agents;
}

/** Re-read the agents' states (a first run moves an agent from `loaded` to `running` without an event of its own). */
async function refreshStates(): Promise<void> {
  const list = (await api<{ agents: AgentSummary[] }>('/api/agents').catch(() => ({ agents: [] }))).agents;
  const states = new Map(list.map((a) => [a.name, a.state]));
  agents.value = agents.value.map((a) => ({ ...a, state: states.get(a.name) ?? a.state }));
}

function apply({ event, data }: SseEvent): void {
  const d = data as Record<string, unknown>;
  if (event === 'agent_state') {
    agents.value = agents.value.map((a) => (a.name === d.agent ? { ...a, state: String(d.state) } : a));
  } else if (event === 'run_started' || event === 'run_finished') {
    runsVersion.value++;
    if (event === 'run_finished') {
      noteRuns({ [String(d.agent)]: Number(d.created_at) });
      finishedVersion.value++;
      void refreshStates();
    }
  } else if (event === 'config_reload') {
    configVersion.value++;
    void loadAgents();
  } else if (event === 'log') {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(String(d.line)) as Record<string, unknown>;
    } catch {
      line = { msg: String(d.line) };
    }
    const next = logLines.value.length >= LOG_KEEP ? logLines.value.slice(-LOG_KEEP + 1) : logLines.value.slice();
    next.push(line);
    logLines.value = next;
  }
}

let liveAbort: AbortController | undefined;

/** (Re)connect the live stream as the current identity; it reconnects by itself after 1 s when dropped. */
export function connectLive(): void {
  liveAbort?.abort();
  const abort = (liveAbort = new AbortController());
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const res = await send('/api/events', { signal: abort.signal, accept: 'text/event-stream' });
        if (res.ok) {
          for await (const ev of readSse(res)) {
            if (ev.event === 'ready') liveConnected.value = true;
            else apply(ev);
          }
        }
      } catch {
        /* dropped: reconnect below */
      }
      liveConnected.value = false;
      if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void run();
}

/** Close the live stream (sign-out). */
export function disconnectLive(): void {
  liveAbort?.abort();
  liveConnected.value = false;
  logLines.value = [];
}
