/**
 * `GET /api/events`: the dashboard's one live stream (issue requirement "Live"), as Server-Sent
 * Events. The first event is `ready` (`{user_id, is_admin}`), then each live event (src/api/live-events.ts)
 * the caller may see, named by its `type`: `agent_state`, `run_started`, `run_finished`,
 * `config_reload`, and for the admin `log` (one daemon log line, secrets already scrubbed). A comment
 * line every 15 s keeps proxies from closing an idle stream. A client that falls more than 1000
 * events behind is disconnected (it reconnects and reloads what it shows).
 */
import { streamSSE } from 'hono/streaming';
import type { AppDeps } from '../deps.js';
import { visibleTo, type LiveEvent } from '../live-events.js';
import { Routes } from '../openapi.js';

/** Interval of the keep-alive comment (ms). */
const PING_MS = 15_000;
/** Events queued for one slow client before it is disconnected. */
const MAX_BACKLOG = 1000;

/** The live event stream route. */
export function eventRoutes(deps: AppDeps): Routes {
  const r = new Routes('/api');
  r.op(
    {
      method: 'get',
      path: '/events',
      summary: 'Live events (SSE): agent state changes, runs started and finished, config reloads; daemon log lines for the admin',
      tags: ['events'],
      responses: { 200: { description: 'text/event-stream of `ready`, then the events you may see', contentType: 'text/event-stream' } },
    },
    (c) => {
      const userId = c.get('userId');
      const isAdmin = c.get('isAdmin');
      return streamSSE(c, async (stream) => {
        const queue: LiveEvent[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = deps.live?.subscribe((event) => {
          if (!visibleTo(event, userId, isAdmin)) return;
          if (queue.length >= MAX_BACKLOG) return void stream.abort();
          queue.push(event);
          wake?.();
        });
        const ping = setInterval(() => void stream.write(': ping\n\n'), PING_MS);
        stream.onAbort(() => {
          unsubscribe?.();
          clearInterval(ping);
          wake?.();
        });
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ user_id: userId, is_admin: isAdmin }) });
        while (!stream.aborted) {
          const event = queue.shift();
          if (event) await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      });
    },
  );
  return r;
}
