/**
 * The SSE serializer of runtime events (ARCHITECTURE: SSE, CLI stream and OpenAI stream are thin
 * serializers of the same events): one `event: <type>` + `data: <json>` per RunEvent. Errors are
 * written through the API's `toWireError` (src/api/errors.ts), which removes secret values.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { ErrorEvent } from '../runtime/events.js';
import type { WireErrors } from './errors.js';
import { runError } from './run.js';

/** The `text/event-stream` body of `sseResponse`, as documented in the OpenAPI document. */
export const RunEventStreamSchema = z
  .string()
  .describe(
    'Server-Sent Events, one per run event: `event: <type>` (start, text_delta, tool_call, tool_result, usage, approval_required, done, error) and `data: <the event as JSON>`; a run ends with `done` (after `approval_required` {execution_id, calls, expires_at} when it paused for approval), or with `error` {type, code, message}',
  );

/** The SSE `error` event of a run's `error` event: its fields, with the message as on the wire (secret values removed). */
export function errorEventData(ev: ErrorEvent, wire: WireErrors): ErrorEvent {
  const w = wire(runError(ev));
  return { ...ev, message: w.message };
}

/**
 * Stream `events` (a run's, or a workflow's: src/api/workflow-run.ts) as Server-Sent Events. The run's AbortController is aborted when the client goes
 * away, which cancels the provider request. A failure after the headers are sent is the stream's
 * last event (`error`, `{type, code, message}`).
 */
export function sseResponse(c: Context, events: AsyncIterable<{ type: string }>, abort: AbortController, wire: WireErrors): Response {
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => abort.abort());
    try {
      for await (const ev of events) {
        if (stream.aborted) break;
        await stream.writeSSE({ event: ev.type, data: JSON.stringify(ev.type === 'error' ? errorEventData(ev as ErrorEvent, wire) : ev) });
      }
    } catch (err) {
      const { code, message } = wire(err);
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ type: 'error', code, message }) });
    }
  });
}
