/** `current_time` builtin: the current date and time, in UTC and optionally in an IANA time zone. */
import type { ToolResult } from '../types.js';

/** `current_time {timezone?}` -> ISO 8601 UTC time, Unix ms, and the local time in `timezone` when given. */
export function currentTime(args: unknown, now: Date = new Date()): ToolResult {
  const tz = (args as { timezone?: unknown } | null)?.timezone;
  const out: Record<string, string | number> = { utc: now.toISOString(), unix_ms: now.getTime() };
  if (typeof tz === 'string' && tz !== '') {
    try {
      const fmt = new Intl.DateTimeFormat('en-CA', {
        timeZone: tz,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hour12: false,
        weekday: 'long',
        timeZoneName: 'short',
      });
      out.timezone = tz;
      out.local = fmt.format(now);
    } catch {
      return { content: `error: unknown time zone "${tz}"; use an IANA name such as "Europe/Berlin"`, isError: true };
    }
  }
  return { content: JSON.stringify(out) };
}
