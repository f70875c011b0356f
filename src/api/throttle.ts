/**
 * Attempt throttling with exponential backoff, in memory (abuse limits: login throttled per
 * account and per client address after a handful of failures, registration rate-limited per address).
 *
 * Each key (an email, a client address) counts attempts. `take` counts an attempt when it starts, so
 * parallel attempts cannot slip past the limit while earlier ones are still being checked; a success
 * gives it back (`refund`) or clears the key (`clear`). Once a key has `free` attempts counted, each
 * further one makes the key wait `baseDelayMs * 2^(attempts - free)`, capped at `maxDelayMs`. A key
 * with no attempt for `forgetAfterMs` starts over. At most `maxKeys` keys are remembered: the one
 * least recently attempted is dropped first, so a flood of distinct keys cannot exhaust memory.
 */

/** Limits of one throttle. Times in ms. */
export interface ThrottleOptions {
  /** Attempts counted before any wait (the 11th attempt after 10 failures waits when this is 10). */
  free: number;
  /** First wait, once `free` attempts are counted; doubles with each further attempt. */
  baseDelayMs: number;
  /** Longest wait. */
  maxDelayMs: number;
  /** A key with no attempt for this long is forgotten (its count starts over). */
  forgetAfterMs: number;
  /** Keys remembered at most; beyond it the least recently attempted key is dropped. */
  maxKeys: number;
  /** Clock in ms since epoch (tests inject one). */
  now?: () => number;
}

/** Attempt counters per key. */
export interface Throttle {
  /** Ms until `key` may attempt again; 0 when it may now. */
  wait(key: string): number;
  /** Count an attempt of `key` now; returns the attempts counted for it (this one included). */
  take(key: string): number;
  /** Give back one attempt of `key` (it succeeded and should not count); lifts its wait below `free`. */
  refund(key: string): void;
  /** Forget `key` entirely (a success that resets its count). */
  clear(key: string): void;
  /** Keys remembered (at most `maxKeys`). */
  size(): number;
}

interface Entry {
  attempts: number;
  /** When the key may attempt again (ms since epoch); 0: now. */
  until: number;
  last: number;
}

/** Build a throttle; see the module comment for the rules. */
export function createThrottle(opts: ThrottleOptions): Throttle {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();

  /** The live entry of `key`, dropping it when forgotten. */
  const live = (key: string, t: number): Entry | undefined => {
    const e = entries.get(key);
    if (e && t - e.last >= opts.forgetAfterMs) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };

  return {
    wait(key) {
      const t = now();
      const e = live(key, t);
      return e ? Math.max(0, e.until - t) : 0;
    },
    take(key) {
      const t = now();
      const e = live(key, t) ?? { attempts: 0, until: 0, last: t };
      e.attempts += 1;
      e.last = t;
      if (e.attempts >= opts.free) e.until = t + Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (e.attempts - opts.free));
      // Re-inserting keeps the map in order of last attempt, so the first key is the one to drop.
      entries.delete(key);
      entries.set(key, e);
      if (entries.size > opts.maxKeys) entries.delete(entries.keys().next().value!);
      return e.attempts;
    },
    refund(key) {
      const e = entries.get(key);
      if (!e) return;
      e.attempts = Math.max(0, e.attempts - 1);
      if (e.attempts < opts.free) e.until = 0;
    },
    clear(key) {
      entries.delete(key);
    },
    size: () => entries.size,
  };
}
