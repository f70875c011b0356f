/**
 * Server-Sent Events as tests read them, parsed by `eventsource-parser` (the same parser as the CLI
 * client and the dashboard): comments (`: ping` keep-alives) and frames without `data` yield nothing,
 * multi-line `data` is joined by `\n`, `event` is `message` when the frame names none. `data` is
 * parsed as JSON when it is JSON, else kept as text (the `[DONE]` sentinel of /v1 streams).
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';

/** One event: its name and its data (JSON value, or the raw text when not JSON). */
export interface SseEvent {
  event: string;
  data: any;
}

function toEvent({ event, data }: EventSourceMessage): SseEvent {
  try {
    return { event: event ?? 'message', data: JSON.parse(data) };
  } catch {
    return { event: event ?? 'message', data };
  }
}

/** The events of a response body as they arrive (live streams: read some, then cancel). */
export async function* sseEvents(res: Response): AsyncGenerator<SseEvent> {
  const events = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const message of events) yield toEvent(message);
}

/** The events of a body already read as text (a finished stream). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createParser({ onEvent: (message) => events.push(toEvent(message)) });
  parser.feed(text);
  parser.reset({ consume: true });
  return events;
}

/**
 * Read events from `stream` until one satisfies `until` (included) or the stream ends; the stream
 * stays open for more reads.
 */
export async function collect(stream: AsyncIterator<SseEvent>, until?: (ev: SseEvent) => boolean): Promise<SseEvent[]> {
  const seen: SseEvent[] = [];
  for (let next = await stream.next(); !next.done; next = await stream.next()) {
    seen.push(next.value);
    if (until?.(next.value)) break;
  }
  return seen;
}
