/**
 * Retry policy of provider requests (SPEC §7 providers): which failures are worth retrying (429, 408, 409,
 * 5xx, connection errors), how long to wait (the server's `Retry-After` / `retry-after-ms` when it
 * sends one, else exponential backoff with jitter), and an abortable sleep. Pure functions: the
 * openai provider applies them around each request.
 */

/** Backoff settings; all in ms. */
export interface RetryPolicy {
  /** First backoff delay when the server sends no Retry-After (doubles per attempt). */
  baseDelayMs: number;
  /** Upper bound of a computed backoff delay. */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the request fails with the wait in the message. */
  maxRetryAfterMs: number;
}

/** Defaults: 500 ms, 1 s, 2 s ... capped at 8 s; Retry-After honoured up to 60 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

/** True for HTTP statuses that a later attempt may get past: 408, 409, 429 and every 5xx. */
export function isRetriableStatus(status: number | undefined): boolean {
  if (status === undefined) return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The wait the server asked for, in ms, from `retry-after-ms` (ms) or `Retry-After` (seconds or an
 * HTTP date); undefined when absent or unparseable. `now` is for tests.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter for retry number `attempt` (0-based), in ms. */
export function backoffMs(attempt: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(raw * (0.75 + Math.random() * 0.25));
}

/** Resolve after `ms`, or reject with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
