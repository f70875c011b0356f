/**
 * Per-agent concurrency (issue 4 "Isolation"): at most `maxConcurrent` runs of one agent at a time;
 * more wait in that agent's FIFO queue (at most `maxQueued`, beyond which a run is refused as busy).
 * Each agent has its own slots, so an agent whose provider or tool hangs fills only its own slots and
 * never delays another agent. A queued run whose signal aborts leaves the queue at once.
 */
import { DomainError } from '../domain/errors.js';

/** Limits per agent. */
export interface LimiterOptions {
  maxConcurrent: number;
  maxQueued: number;
}

/** Releases a slot; calling it twice is harmless. */
export type Release = () => void;

/** Slots per key (agent). */
export interface Limiter {
  /**
   * Take a slot for `key`, waiting in its queue when all are busy.
   * @throws DomainError UNAVAILABLE when the queue is full; rejects with the signal's reason when aborted while waiting.
   */
  acquire(key: string, signal?: AbortSignal): Promise<Release>;
  /** Runs in flight and waiting for `key`. */
  load(key: string): { active: number; queued: number };
}

interface Lane {
  active: number;
  waiting: { grant: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[];
}

/** Create a limiter. */
export function createLimiter(opts: LimiterOptions): Limiter {
  const lanes = new Map<string, Lane>();
  const lane = (key: string) => {
    let l = lanes.get(key);
    if (!l) {
      l = { active: 0, waiting: [] };
      lanes.set(key, l);
    }
    return l;
  };
  const releaser = (key: string, l: Lane): Release => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = l.waiting.shift();
      if (next) {
        if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
        next.grant(); // the slot passes straight to the next run
      } else {
        l.active--;
        if (l.active === 0) lanes.delete(key);
      }
    };
  };
  return {
    acquire(key, signal) {
      const l = lane(key);
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (l.active < opts.maxConcurrent) {
        l.active++;
        return Promise.resolve(releaser(key, l));
      }
      if (l.waiting.length >= opts.maxQueued) {
        return Promise.reject(
          new DomainError('UNAVAILABLE', `agent ${key} is busy: ${l.active} runs in flight and ${l.waiting.length} queued; try again shortly`),
        );
      }
      return new Promise<Release>((resolve, reject) => {
        const w: Lane['waiting'][number] = { grant: () => resolve(releaser(key, l)), reject, ...(signal ? { signal } : {}) };
        if (signal) {
          w.onAbort = () => {
            const i = l.waiting.indexOf(w);
            if (i >= 0) l.waiting.splice(i, 1);
            reject(signal.reason);
          };
          signal.addEventListener('abort', w.onAbort, { once: true });
        }
        l.waiting.push(w);
      });
    },
    load(key) {
      const l = lanes.get(key);
      return { active: l?.active ?? 0, queued: l?.waiting.length ?? 0 };
    },
  };
}
