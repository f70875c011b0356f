/**
 * Serializers of runtime events (ARCHITECTURE: SSE, CLI stream and OpenAI stream are thin
 * serializers of the same events). SSE: one `event: <type>` + `data: <json>` per RunEvent.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { DoneEvent, RunEvent } from '../runtime/events.js';
import { DomainError } from '../domain/errors.js';

/**
 * Stream `events` as Server-Sent Events. The run's AbortController is aborted when the client goes
 * away, which cancels the provider request.
 */
export function sseResponse(c: Context, events: AsyncIterable<RunEvent>, abort: AbortController): Response {
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => abort.abort());
    try {
      for await (const ev of events) {
        if (stream.aborted) break;
        await stream.writeSSE({ event: ev.type, data: JSON.stringify(ev) });
      }
    } catch (err) {
      // Headers are gone already: report the failure as the stream's last event.
      const code = err instanceof DomainError ? err.code : 'INTERNAL';
      const message = err instanceof DomainError ? err.message : 'internal error';
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ type: 'error', code, message }) });
    }
  });
}

/** Drain `events` into the final `done` event. @throws DomainError for an `error` event. */
export async function collectRun(events: AsyncIterable<RunEvent>): Promise<DoneEvent> {
  for await (const ev of events) {
    if (ev.type === 'done') return ev;
    if (ev.type === 'error') {
      const code = ev.code === 'CANCELLED' ? 'UNAVAILABLE' : ev.code;
      throw new DomainError(code as DomainError['code'], ev.message, ev.conversation_id ? [{ field: 'conversation_id', message: ev.conversation_id }] : []);
    }
  }
  throw new DomainError('INTERNAL', 'run ended without a result');
}
