/**
 * Serializers of runtime events (ARCHITECTURE: SSE, CLI stream and OpenAI stream are thin
 * serializers of the same events). SSE: one `event: <type>` + `data: <json>` per RunEvent.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { DoneEvent, ErrorEvent, RunEvent } from '../runtime/events.js';
import { DomainError } from '../domain/errors.js';

/**
 * Stream `events` as Server-Sent Events. The run's AbortController is aborted when the client goes
 * away, which cancels the provider request. Error events pass through `scrub` (configured secret
 * values removed, src/domain/secrets.ts) before they are written.
 */
export function sseResponse(c: Context, events: AsyncIterable<RunEvent>, abort: AbortController, scrub: (text: string) => string): Response {
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => abort.abort());
    try {
      for await (const ev of events) {
        if (stream.aborted) break;
        await stream.writeSSE({ event: ev.type, data: ev.type === 'error' ? scrub(JSON.stringify(ev)) : JSON.stringify(ev) });
      }
    } catch (err) {
      // Headers are gone already: report the failure as the stream's last event.
      const code = err instanceof DomainError ? err.code : 'INTERNAL';
      const message = err instanceof DomainError ? scrub(err.message) : 'internal error';
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ type: 'error', code, message }) });
    }
  });
}

/** The DomainError an `error` run event stands for (`CANCELLED` is reported as UNAVAILABLE). */
export function runError(ev: ErrorEvent): DomainError {
  const code = ev.code === 'CANCELLED' ? 'UNAVAILABLE' : ev.code;
  const details = ev.conversation_id ? [{ field: 'conversation_id', message: ev.conversation_id }] : [];
  return new DomainError(code, ev.message, details, ev.retry_after_secs === undefined ? {} : { retryAfterSecs: ev.retry_after_secs });
}

/** Drain `events` into the final `done` event. @throws DomainError for an `error` event. */
export async function collectRun(events: AsyncIterable<RunEvent>): Promise<DoneEvent> {
  for await (const ev of events) {
    if (ev.type === 'done') return ev;
    if (ev.type === 'error') throw runError(ev);
  }
  throw new DomainError('INTERNAL', 'run ended without a result');
}

/**
 * Wait for a run's first event before a stream is answered, so a run refused before it starts (agent
 * stopped or failed: 503; unknown conversation: 404; busy) gets a real HTTP error status instead of a
 * 200 stream holding one error event. Returns the same events, the first one included.
 * @throws DomainError of the run's first event when it is an `error`.
 */
export async function admitted(events: AsyncIterable<RunEvent>): Promise<AsyncIterable<RunEvent>> {
  const it = events[Symbol.asyncIterator]();
  const first = await it.next();
  if (!first.done && first.value.type === 'error') {
    await it.return?.();
    throw runError(first.value);
  }
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
      } finally {
        // The consumer stopped early (client gone): let the run record it and release its slot.
        await it.return?.();
      }
    },
  };
}
